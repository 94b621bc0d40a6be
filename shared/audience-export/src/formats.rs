//! Export formats of the ad platforms: each platform's own normalisation of
//! each identifier, then SHA-256 (lowercase hex), laid out as that platform's
//! CSV upload file.
//!
//! Every rule cites the platform page it comes from. Raw PII never leaves:
//! names, email and phone are always hashed; only country and postal code go
//! out in clear where the platform wants them so, and then only as safe CSV.
//! In every format the identifiers a platform matches on (email, phone) are
//! the leading columns, which is how `row` tells a useless row.

use spin_retention_core::ids::sha256_hex;

/// What an export may know about one person, as lead-intake stores it: email
/// already lowercased, phone E.164 (e.g. "+972501234567"), country ISO 3166-1
/// alpha-2 uppercase. Any may be missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Person<'a> {
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub city: Option<&'a str>,
    /// State / province.
    pub region: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Google,
    Meta,
    Tiktok,
    Linkedin,
    Csv,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Google,
        Format::Meta,
        Format::Tiktok,
        Format::Linkedin,
        Format::Csv,
    ];

    /// "google", "meta", "tiktok", "linkedin", "csv" (the `?format=` value and
    /// the credential name).
    pub fn name(self) -> &'static str {
        match self {
            Format::Google => "google",
            Format::Meta => "meta",
            Format::Tiktok => "tiktok",
            Format::Linkedin => "linkedin",
            Format::Csv => "csv",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The CSV header line, ending in "\n".
    pub fn header(self) -> &'static str {
        match self {
            // Google Ads Help, "Format your customer data file",
            // https://support.google.com/google-ads/answer/7659867 : headers
            // in English exactly "Email", "Phone", "First Name", "Last Name",
            // "Country", "Zip"; CSV in ASCII or UTF-8; data may be pre-hashed
            // with SHA256.
            Format::Google => "Email,Phone,First Name,Last Name,Country,Zip\n",
            // Meta Business Help Centre, "How to format a customer list when
            // creating a custom audience",
            // https://www.facebook.com/business/help/2082575038703844 : the
            // uploader maps the lowercase column headers email, phone, fn, ln,
            // ct, st, zip, country (the API's EMAIL, PHONE, FN, ... keys).
            Format::Meta => "email,phone,fn,ln,ct,st,zip,country\n",
            // TikTok Ads Help, "List of supported IDs and formats for a
            // customer file",
            // https://ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file
            // : required header "Email_SHA256" / "Phone_SHA256" for hashed
            // values; several ID types may share one file.
            Format::Tiktok => "Email_SHA256,Phone_SHA256\n",
            // LinkedIn Help, "Requirements for contact targeting lists in
            // Campaign Manager", https://www.linkedin.com/help/lms/answer/a1489764
            // : keep the template's headers unchanged, any field may be blank.
            // The header names follow Campaign Manager's contact template (the
            // help page links the file but does not print it; the same names
            // appear in https://www.linkedin.com/help/lms/answer/a530615).
            Format::Linkedin => "email,firstname,lastname,jobtitle,employeecompany,country,googleaid\n",
            // Our own generic format for any other tool: Google's
            // normalisation, every identifier hashed except country and postal
            // code (which, as in Google's file, stay readable).
            Format::Csv => "email_sha256,phone_sha256,first_name_sha256,last_name_sha256,country,postal_code\n",
        }
    }

    /// One CSV line ending in "\n" of this platform's normalised, hashed
    /// identifiers; `None` when the person has no identifier the platform
    /// matches on (email or phone; a row of only names/country is useless).
    pub fn row(self, p: &Person) -> Option<String> {
        let cells = match self {
            Format::Google | Format::Csv => vec![
                hashed(p.email.map(google::email)),
                hashed(p.phone.map(google::phone)),
                hashed(p.first_name.map(google::name)),
                hashed(p.last_name.map(google::name)),
                // Country and Zip are sent in clear (Google's template shows
                // "us", "94016", "WC2H 8LG"; the Ads API's OfflineUserAddressInfo
                // has unhashed country_code and postal_code).
                plain(p.country),
                plain(p.postal_code.filter(|z| spin_retention_core::lead::is_postal_code(z))),
            ],
            Format::Meta => vec![
                hashed(p.email.map(meta::email)),
                hashed(p.phone.map(meta::phone)),
                hashed(p.first_name.map(meta::name)),
                hashed(p.last_name.map(meta::name)),
                hashed(p.city.map(meta::city)),
                hashed(p.region.map(meta::region)),
                hashed(p.postal_code.map(|z| meta::zip(z, p.country))),
                // Meta hashes every key, country included.
                hashed(p.country.map(meta::country)),
            ],
            Format::Tiktok => vec![hashed(p.email.map(tiktok::email)), hashed(p.phone.map(tiktok::phone))],
            // LinkedIn matches on email (phone is not a LinkedIn key). Names,
            // job title and company would go out in clear, so they stay blank.
            Format::Linkedin => vec![
                hashed(p.email.map(linkedin::email)),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                plain(p.country),
                String::new(),
            ],
        };
        let keys = if self == Format::Linkedin { 1 } else { 2 };
        cells[..keys].iter().any(|c| !c.is_empty()).then(|| line(&cells))
    }
}

/// SHA-256 of a normalised value; a missing or empty value is an empty cell,
/// never the hash of "".
fn hashed(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .map(|v| sha256_hex(&v))
        .unwrap_or_default()
}

/// An unhashed cell: letters, digits, space and '-' only, so nothing can
/// break the row (comma, quote, newline), and never starting with a formula
/// character (= + - @): the first three are dropped, '-' is trimmed in front.
fn plain(value: Option<&str>) -> String {
    let kept: String = value
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .collect();
    kept.trim_start_matches(['-', ' ']).trim_end().to_owned()
}

fn line(cells: &[String]) -> String {
    let mut line = cells.join(",");
    line.push('\n');
    line
}

fn lower_trim(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Lowercase letters only (any script, so "zoë" keeps its ë).
fn letters(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

fn digits(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

/// Google Customer Match (Google Ads upload and Data Manager API).
///
/// Rules: Data Manager API, "Format user data",
/// <https://developers.google.com/data-manager/api/devguides/concepts/formatting>
/// (Google's current Customer Match ingestion; the Google Ads template's
/// "hashed formatting guidelines" say the same in short: lowercase, no extra
/// spaces, phone E.164).
pub mod google {
    use super::{digits, lower_trim};

    /// Lowercase; no leading, trailing or inner whitespace. For gmail.com and
    /// googlemail.com only: drop the dots before '@' and a '+' tag
    /// ("cloudy.sanfrancisco+shopping@gmail.com" ->
    /// "cloudysanfrancisco@gmail.com"); other domains keep both.
    pub fn email(raw: &str) -> String {
        let email: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        match email.split_once('@') {
            Some((local, domain)) if domain == "gmail.com" || domain == "googlemail.com" => {
                let local = local.split_once('+').map_or(local, |(l, _)| l);
                format!("{}@{domain}", local.replace('.', ""))
            }
            _ => email,
        }
    }

    /// E.164: '+', country code, then digits only
    /// ("(800)555-0100" in the US -> "+18005550100").
    pub fn phone(raw: &str) -> String {
        let digits = digits(raw);
        if digits.is_empty() {
            digits
        } else {
            format!("+{digits}")
        }
    }

    /// given_name / family_name: lowercase, leading and trailing whitespace
    /// trimmed. Google asks nothing about punctuation or accents (its template
    /// hashes "zoë", "pérez"), so they stay. Its "no prefixes (Mrs.) or
    /// suffixes (Jr.)" is not guessed at here: lead-intake stores names as
    /// typed into a first-name / last-name form.
    pub fn name(raw: &str) -> String {
        lower_trim(raw)
    }
}

/// Meta (Facebook/Instagram) Custom Audiences from a customer list.
///
/// Rules: Meta Marketing API, "Customer File Custom Audiences", section
/// "Hashing and Normalizing Data",
/// <https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences>
/// (the table as reproduced in HCL Unica Link's Facebook connector docs,
/// <https://help.hcl-software.com/unica/Link/en/12.1.7/Link/Facebook/data_normalization.html>).
/// All keys, country included, are SHA-256 hashed.
pub mod meta {
    use super::{digits, letters, lower_trim};

    /// EMAIL: trim leading and trailing whitespace, lowercase. No gmail
    /// rewriting: Meta does not ask for it.
    pub fn email(raw: &str) -> String {
        lower_trim(raw)
    }

    /// PHONE: remove symbols, letters and any leading zeros; keep the country
    /// code (so "+972 50-123-4567" -> "972501234567", no '+').
    pub fn phone(raw: &str) -> String {
        digits(raw).trim_start_matches('0').to_owned()
    }

    /// FN / LN: "a-z only, lowercase, no punctuation; special characters in
    /// UTF-8": letters of any script, lowercased; spaces, digits and
    /// punctuation dropped ("Mary-Ann" -> "maryann").
    pub fn name(raw: &str) -> String {
        letters(raw)
    }

    /// CT: a-z lowercase, no punctuation, no special characters, no white
    /// space ("Tel Aviv" -> "telaviv"). Accented letters are kept rather than
    /// transliterated (no table for that here).
    pub fn city(raw: &str) -> String {
        letters(raw)
    }

    /// ST: US states as the 2-letter ANSI code, lowercase; elsewhere
    /// lowercase, no punctuation, special characters or white space. Both are
    /// "letters only, lowercase"; a spelled-out US state name is not mapped
    /// to its code.
    pub fn region(raw: &str) -> String {
        letters(raw)
    }

    /// ZIP: lowercase, no white space; US: only the first 5 digits; UK: the
    /// Area/District/Sector form, i.e. without the last two letters
    /// ("SW1A 1AA" -> "sw1a1").
    pub fn zip(raw: &str, country: Option<&str>) -> String {
        let zip: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        match country.map(str::trim) {
            Some(c) if c.eq_ignore_ascii_case("US") => digits(&zip).chars().take(5).collect(),
            Some(c) if c.eq_ignore_ascii_case("GB") && zip.chars().count() > 4 => {
                let keep = zip.chars().count() - 2;
                zip.chars().take(keep).collect()
            }
            _ => zip,
        }
    }

    /// COUNTRY: lowercase ISO 3166-1 alpha-2 ("IL" -> "il").
    pub fn country(raw: &str) -> String {
        letters(raw)
    }
}

/// TikTok Custom Audience from a customer file.
///
/// Rules: TikTok Ads Help, "List of supported IDs and formats for a customer
/// file" (last updated August 2025),
/// <https://ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file>
/// and its hashed examples in the same article's preview,
/// <https://ads.tiktok.com/help/preview?content_id=5gcDeV2ckkwNVh1BedxvSJ&lang=en>
/// Unlike Google and Meta, TikTok drops a '+' tag from every email, and (unlike
/// Google) hashes the phone without its '+'.
pub mod tiktok {
    use super::lower_trim;

    /// Email: lowercase, no spaces, and "remove '+' and any characters
    /// following the '+' symbol until '@'" (any domain). Dots stay.
    pub fn email(raw: &str) -> String {
        let email = lower_trim(raw);
        match email.split_once('@') {
            Some((local, domain)) => {
                let local = local.split_once('+').map_or(local, |(l, _)| l);
                format!("{local}@{domain}")
            }
            None => email,
        }
    }

    /// Phone: remove symbols including the '+' sign, remove letters and
    /// leading zeros, keep the country code ("374-93-828222" ->
    /// "37493828222"). The same rule as Meta's.
    pub fn phone(raw: &str) -> String {
        super::meta::phone(raw)
    }
}

/// LinkedIn Matched Audiences contact list.
pub mod linkedin {
    use super::lower_trim;

    /// LinkedIn Help, "Requirements for contact targeting lists in Campaign
    /// Manager", <https://www.linkedin.com/help/lms/answer/a1489764> : emails may
    /// be SHA-256 hashed. LinkedIn states no normalisation; its uploader
    /// hashes unhashed emails in the browser, and hashed-email matching across
    /// the industry (e.g. Adobe's LinkedIn destination, `email_lc_sha256`) is
    /// on trimmed, lowercased addresses, so that is what is hashed.
    pub fn email(raw: &str) -> String {
        lower_trim(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // printf %s <value> | sha256sum
    const TEST_AT_EXAMPLE: &str = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
    const PLUS_972: &str = "6d7cdf3b1cac797805601c570abacdc7a8620780fa06c11a1c24eabea1468fa4";
    const DIGITS_972: &str = "1b28f71583657cd11ff8ad48a922f9a3b051fdb267ffc4fe88c47db2338629f4";
    const DANA: &str = "2c9e0a2585dc7406589a3724f0027811506e0f133726303a15d6779d532a2573";
    const LEVI: &str = "c3c0a114bf9769f107003aca3157da439936a06b03e2d6f0e05965e742453bf2";
    const TELAVIV: &str = "b5f044fbe895c22a619df2f398add6cd3e7252a517dac22ecdb27c54089ff7fa";
    const CENTER: &str = "f179a509d32bd92c923f236324daef85551c03a761bf0188be286a585281b4ac";
    const ZIP_6100000: &str = "6959dfa7047ce005b6c795fad01adc66b9d1a1a529782e456f6d68c198dbb11d";
    const IL: &str = "a0fb903525dc10dccaa4bd72bed4fe5b24ae8346b8a7343edce84172feb7085a";

    fn dana() -> Person<'static> {
        Person {
            email: Some("test@example.com"),
            phone: Some("+972501234567"),
            first_name: Some(" Dana "),
            last_name: Some("Levi"),
            city: Some("Tel Aviv"),
            region: Some("Center"),
            postal_code: Some("6100000"),
            country: Some("IL"),
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("Google"), None);
        assert_eq!(Format::from_name("x"), None);
    }

    #[test]
    fn headers() {
        assert_eq!(
            Format::Google.header(),
            "Email,Phone,First Name,Last Name,Country,Zip\n"
        );
        assert_eq!(Format::Meta.header(), "email,phone,fn,ln,ct,st,zip,country\n");
        assert_eq!(Format::Tiktok.header(), "Email_SHA256,Phone_SHA256\n");
        assert_eq!(
            Format::Linkedin.header(),
            "email,firstname,lastname,jobtitle,employeecompany,country,googleaid\n"
        );
        assert_eq!(
            Format::Csv.header(),
            "email_sha256,phone_sha256,first_name_sha256,last_name_sha256,country,postal_code\n"
        );
        // Every row has as many cells as its header.
        for f in Format::ALL {
            let row = f.row(&dana()).unwrap();
            assert_eq!(row.matches(',').count(), f.header().matches(',').count());
        }
    }

    #[test]
    fn hash_is_lowercase_hex_sha256() {
        assert_eq!(sha256_hex("test@example.com"), TEST_AT_EXAMPLE);
        // Meta's worked example (developers.facebook.com/docs/marketing-api/
        // custom-audiences-targeting): hash("sha256", "mary@example.com").
        assert_eq!(
            sha256_hex(&meta::email("mary@example.com")),
            "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
        );
    }

    #[test]
    fn google_normalisers() {
        // Data Manager API "Format user data" examples.
        assert_eq!(
            google::email("cloudy.sanfrancisco+shopping@gmail.com"),
            "cloudysanfrancisco@gmail.com"
        );
        assert_eq!(google::email("user.name+NYC@Example.com"), "user.name+nyc@example.com");
        assert_eq!(google::email(" A.B@GoogleMail.com "), "ab@googlemail.com");
        assert_eq!(google::email("te st@example.com"), "test@example.com");
        // "(800)555-0100" -> "+18005550100" (given with its country code).
        assert_eq!(google::phone("+1 (800) 555-0100"), "+18005550100");
        assert_eq!(google::phone("+972501234567"), "+972501234567");
        assert_eq!(google::name("  Zoë "), "zoë");
        assert_eq!(google::name("Pérez"), "pérez");
    }

    #[test]
    fn meta_normalisers() {
        assert_eq!(meta::email("  Mary@Example.COM "), "mary@example.com");
        assert_eq!(meta::email("jane.doe+x@gmail.com"), "jane.doe+x@gmail.com");
        assert_eq!(meta::phone("+972 50-123-4567"), "972501234567");
        assert_eq!(meta::phone("+1 (234) 567-8910"), "12345678910");
        assert_eq!(meta::phone("0044 844 412 4653"), "448444124653");
        assert_eq!(meta::name("Mary-Ann"), "maryann");
        assert_eq!(meta::name("Émilie"), "émilie");
        assert_eq!(meta::name("F."), "f");
        assert_eq!(meta::city("Tel Aviv-Yafo"), "telavivyafo");
        assert_eq!(meta::region("NY"), "ny");
        assert_eq!(meta::region("Tel Aviv District"), "telavivdistrict");
        assert_eq!(meta::zip("94035-1234", Some("US")), "94035");
        assert_eq!(meta::zip("SW1A 1AA", Some("GB")), "sw1a1");
        assert_eq!(meta::zip("61000 00", Some("IL")), "6100000");
        assert_eq!(meta::zip("K1A 0B1", None), "k1a0b1");
        assert_eq!(meta::country("IL"), "il");
    }

    #[test]
    fn tiktok_normalisers() {
        // TikTok's worked example: normalised "janedoe@gmail.com" and its hash.
        assert_eq!(tiktok::email(" JaneDoe@Gmail.com"), "janedoe@gmail.com");
        assert_eq!(
            sha256_hex(&tiktok::email("janedoe@gmail.com")),
            "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
        );
        assert_eq!(
            tiktok::email("firstname-lastname+promo@gmail.com"),
            "firstname-lastname@gmail.com"
        );
        assert_eq!(tiktok::email("a.b+c@example.com"), "a.b@example.com");
        // "(657)777-0000" -> "16577770000" and "374-93-828222" -> "37493828222"
        // (given with their country codes, as lead-intake stores them).
        assert_eq!(tiktok::phone("+1 (657) 777-0000"), "16577770000");
        assert_eq!(tiktok::phone("+374-93-828222"), "37493828222");
        // TikTok's hashed phone example is the hash of "37493828222".
        assert_eq!(
            sha256_hex(&tiktok::phone("+37493828222")),
            "65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4"
        );
    }

    #[test]
    fn linkedin_normaliser() {
        assert_eq!(linkedin::email(" Test@Example.com "), "test@example.com");
    }

    #[test]
    fn full_rows() {
        let p = dana();
        assert_eq!(
            Format::Google.row(&p).unwrap(),
            format!("{TEST_AT_EXAMPLE},{PLUS_972},{DANA},{LEVI},IL,6100000\n")
        );
        assert_eq!(Format::Csv.row(&p), Format::Google.row(&p));
        assert_eq!(
            Format::Meta.row(&p).unwrap(),
            format!("{TEST_AT_EXAMPLE},{DIGITS_972},{DANA},{LEVI},{TELAVIV},{CENTER},{ZIP_6100000},{IL}\n")
        );
        assert_eq!(
            Format::Tiktok.row(&p).unwrap(),
            format!("{TEST_AT_EXAMPLE},{DIGITS_972}\n")
        );
        assert_eq!(
            Format::Linkedin.row(&p).unwrap(),
            format!("{TEST_AT_EXAMPLE},,,,,IL,\n")
        );
    }

    #[test]
    fn no_email_or_phone_is_no_row() {
        let names_only = Person {
            email: None,
            phone: None,
            ..dana()
        };
        for f in Format::ALL {
            assert_eq!(f.row(&names_only), None, "{}", f.name());
        }
        // Blank after normalisation counts as missing.
        let blank = Person {
            email: Some("  "),
            phone: Some("+"),
            ..dana()
        };
        for f in Format::ALL {
            assert_eq!(f.row(&blank), None, "{}", f.name());
        }
        // LinkedIn does not match on phone.
        let phone_only = Person { email: None, ..dana() };
        assert_eq!(Format::Linkedin.row(&phone_only), None);
        assert_eq!(Format::Tiktok.row(&phone_only).unwrap(), format!(",{DIGITS_972}\n"));
    }

    #[test]
    fn empty_after_normalisation_is_an_empty_cell() {
        let p = Person {
            email: Some("test@example.com"),
            phone: Some("n/a"),
            first_name: Some("--"),
            last_name: Some(""),
            city: Some("..."),
            region: None,
            postal_code: Some(" "),
            country: None,
        };
        assert_eq!(Format::Meta.row(&p).unwrap(), format!("{TEST_AT_EXAMPLE},,,,,,,\n"));
        assert_eq!(
            Format::Google.row(&p).unwrap(),
            format!("{TEST_AT_EXAMPLE},,{},,,\n", sha256_hex("--"))
        );
    }

    #[test]
    fn unhashed_cells_are_safe_csv() {
        assert_eq!(plain(Some("=HYPERLINK(\"x\")")), "HYPERLINKx");
        assert_eq!(plain(Some("-1+2")), "12");
        assert_eq!(plain(Some(" - @SUM(A1)")), "SUMA1");
        assert_eq!(plain(Some("+972")), "972");
        assert_eq!(plain(Some("WC2H 8LG")), "WC2H 8LG");
        assert_eq!(plain(Some("12345-6789")), "12345-6789");
        assert_eq!(plain(Some("a,b\"c\r\nd")), "abcd");
        assert_eq!(plain(None), "");
        let p = Person {
            postal_code: Some("1,2\n=3"),
            country: Some("\"IL\""),
            ..dana()
        };
        let row = Format::Google.row(&p).unwrap();
        // Not a postal code: left out rather than sent in clear.
        assert!(row.ends_with(",IL,\n"), "{row}");
        let named = Person {
            postal_code: Some("Dana Levi"),
            ..dana()
        };
        assert!(Format::Csv.row(&named).unwrap().ends_with(",\n"));
        assert_eq!(row.matches('\n').count(), 1);
        for f in Format::ALL {
            for cell in f.row(&p).unwrap().trim_end().split(',') {
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
            }
        }
    }
}
