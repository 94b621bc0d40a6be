//! Phone numbers to E.164 with libphonenumber's metadata (the `phonenumber`
//! crate), without paying for the whole database on every request.
//!
//! Every request is a fresh instance, so whatever the crate builds on first
//! use is built again for each submission. Three costs are avoided:
//! - the database of all 254 regions (about 60 ms natively): we keep the
//!   metadata as a postcard blob grouped by country code
//!   (`shared/data/phone-metadata.postcard`) and build a database of only
//!   the regions the number can belong to ([`to_e164`]);
//! - compiling the patterns: the crate's `\d` is Unicode (hundreds of
//!   ranges per pattern), so the blob spells it `[0-9]`, the same on the
//!   ASCII digits the crate matches against, about 8x cheaper to compile;
//!   it leaves out the formatting patterns, which parsing never reads; and
//!   validity is decided as the crate decides it but with `regex-lite`
//!   (`validity`), which compiles a pattern many times faster;
//! - the parser's own Unicode patterns (about 2 ms): a number written with
//!   digits, spaces and `-.()` only is handed to the crate in its RFC 3966
//!   form (`tel:+972-525551234`), which the crate reads without them.
//!
//! The blob is made from the crate's own XML by the ignored test
//! `regenerate_metadata`; tests check that the answers are the crate's.

mod validity;

use phonenumber::metadata::{loader, Database};

/// The crate's metadata grouped by country code, each group postcard-encoded
/// on its own so that a request decodes only the groups it needs, after
/// the country code of each region id.
static METADATA: &[u8] = include_bytes!("../../data/phone-metadata.postcard");

type Blob = (Vec<(&'static str, u16)>, Vec<(u16, &'static [u8])>);

fn blob() -> Option<Blob> {
    postcard::from_bytes(METADATA).ok()
}

#[cfg(test)]
fn groups() -> Option<Vec<(u16, &'static [u8])>> {
    blob().map(|(_, groups)| groups)
}

fn decode(group: &[u8]) -> Vec<loader::Metadata> {
    postcard::from_bytes(group).unwrap_or_default()
}

/// The number in E.164 (`+972525551234`), or `None` if it is not valid.
/// `default_region` (ISO 3166-1 alpha-2) reads numbers written without `+`.
///
/// Tried with ever larger databases, each only if the last found the
/// number invalid: the default region and the main region of each country
/// code the number can start with (almost every valid number ends here);
/// every region of those codes; every region. A number valid with fewer
/// regions is valid with all of them, with the same E.164 form, so the
/// answer is always the whole database's.
pub fn to_e164(raw: &str, default_region: &str) -> Option<String> {
    let region: Option<phonenumber::country::Id> = default_region.parse().ok();
    let (regions, groups) = blob()?;
    let known = |code: u16| groups.iter().any(|(c, _)| *c == code);
    let codes = candidate_codes(raw);
    let home_code = regions
        .iter()
        .find(|(id, _)| *id == default_region)
        .map(|(_, code)| *code);
    let wanted: Vec<Vec<loader::Metadata>> = groups
        .iter()
        .filter(|(code, _)| codes.contains(code) || Some(*code) == home_code)
        .map(|(_, group)| decode(group))
        .collect();
    let home = wanted
        .iter()
        .flatten()
        .filter(|m| m.id.as_deref() == Some(default_region));
    let mains = wanted
        .iter()
        .filter_map(|group| group.iter().find(|m| m.main_country_for_code).or(group.first()))
        .filter(|m| m.id.as_deref() != Some(default_region));
    let home_idd = home.clone().find_map(|m| m.international_prefix.as_deref());
    let raw = match simple_form(raw, home_idd, known) {
        Simple::Tel(tel) => tel,
        Simple::NoSuchCode => return None,
        Simple::Other => raw.to_owned(),
    };
    let raw = raw.as_str();
    let first: Vec<loader::Metadata> = home.chain(mains).cloned().collect();
    // Decoded only when needed: the whole database costs more than the rest.
    let wider: [&dyn Fn() -> Vec<loader::Metadata>; 2] = [&|| wanted.iter().flatten().cloned().collect(), &|| {
        groups.iter().flat_map(|(_, group)| decode(group)).collect()
    }];
    check(&first, region, raw).or_else(|| wider.iter().find_map(|tier| check(&tier(), region, raw)))
}

fn check(tier: &[loader::Metadata], region: Option<phonenumber::country::Id>, raw: &str) -> Option<String> {
    // Parsing reads the type patterns only without a region.
    let for_parsing = match region {
        Some(_) => tier.iter().cloned().map(without_types).collect(),
        None => tier.to_vec(),
    };
    let number = phonenumber::parse_with(&Database::from(for_parsing).ok()?, region, raw).ok()?;
    let (code, national) = (number.country().code(), number.national().to_string());
    // E.164 as the crate writes it, without its formatter, which compiles
    // every national format's pattern first (about 70 ms) even for E.164.
    validity::is_valid(tier, code, &national).then(|| format!("+{code}{national}"))
}

/// Metadata without the number types' patterns, so that the crate does
/// not check the syntax of patterns it will not use.
fn without_types(meta: loader::Metadata) -> loader::Metadata {
    loader::Metadata {
        fixed_line: None,
        mobile: None,
        toll_free: None,
        premium_rate: None,
        shared_cost: None,
        personal_number: None,
        voip: None,
        pager: None,
        uan: None,
        emergency: None,
        voicemail: None,
        short_code: None,
        standard_rate: None,
        carrier: None,
        no_international: None,
        ..meta
    }
}

enum Simple {
    /// The number in RFC 3966 form.
    Tel(String),
    /// Written with `+` and a country code that does not exist.
    NoSuchCode,
    /// Anything else (letters, an extension, other characters): for the
    /// crate's own parser.
    Other,
}

/// A number written with ASCII digits, spaces and `-.()`, with an optional
/// `+` first, in the RFC 3966 form the crate reads as it would read the
/// original. After a `+` the country code is the first 1-3 digits that are
/// one (country codes are prefix-free), as the crate finds it; a number the
/// crate might read differently stays `Other`: one whose digits after the
/// `+` start with 0, or a default region whose international prefix could
/// match them ([`plain_zero_prefix`]), since the crate strips that prefix
/// even after a `+`.
fn simple_form(raw: &str, home_idd: Option<&str>, known: impl Fn(u16) -> bool) -> Simple {
    let trimmed = raw.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if !rest.chars().all(|c| c.is_ascii_digit() || " -.()".contains(c)) {
        return Simple::Other;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !plus {
        return Simple::Tel(format!("tel:{digits}"));
    }
    if digits.starts_with('0') || home_idd.is_some_and(|idd| !plain_zero_prefix(idd)) {
        return Simple::Other;
    }
    let code_len = (1..=3.min(digits.len())).find(|&n| digits[..n].parse().is_ok_and(&known));
    match code_len {
        Some(n) => Simple::Tel(format!("tel:+{}-{}", &digits[..n], &digits[n..])),
        None => Simple::NoSuchCode,
    }
}

/// Whether an international prefix pattern can only match digits that
/// start with 0: it starts with `0` and has no alternative at its top level
/// (`00|99...` and `00|16` can match a number after a `+`, and the crate
/// strips them there).
fn plain_zero_prefix(idd: &str) -> bool {
    let mut depth = 0i32;
    for c in idd.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '|' if depth == 0 => return false,
            _ => {}
        }
    }
    idd.starts_with('0')
}

/// The country codes (1 to 3 digits) a number written internationally
/// (`+`, `00` or `011` first) can start with.
fn candidate_codes(raw: &str) -> Vec<u16> {
    let trimmed = raw.trim_start();
    let international = trimmed
        .strip_prefix('+')
        .or_else(|| trimmed.strip_prefix("00"))
        .or_else(|| trimmed.strip_prefix("011"));
    let digits: String = international
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .take(3)
        .collect();
    (1..=digits.len()).filter_map(|n| digits[..n].parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the crate alone answers.
    fn full(raw: &str, region: &str) -> Option<String> {
        let number = phonenumber::parse(region.parse().ok(), raw).ok()?;
        phonenumber::is_valid(&number).then(|| number.format().mode(phonenumber::Mode::E164).to_string())
    }

    #[test]
    fn normalises_like_the_whole_database() {
        for (raw, region, e164) in [
            ("(201) 555-0123", "US", Some("+12015550123")),
            ("+972 52-555-1234", "US", Some("+972525551234")),
            ("052-555-1234", "IL", Some("+972525551234")),
            ("00 44 20 7946 0958", "IL", Some("+442079460958")),
            ("011 44 20 7946 0958", "US", Some("+442079460958")),
            ("12345", "US", None),
            ("not a number", "US", None),
        ] {
            assert_eq!(to_e164(raw, region).as_deref(), e164, "{raw} in {region}");
            assert_eq!(to_e164(raw, region), full(raw, region), "{raw} in {region}");
        }
    }

    /// Every region's example fixed-line and mobile numbers: region id,
    /// country code, the number written nationally.
    fn examples() -> Vec<(String, u16, String)> {
        let all: Vec<loader::Metadata> = groups().unwrap().iter().flat_map(|(_, g)| decode(g)).collect();
        assert!(all.len() > 240);
        let mut out = Vec::new();
        for meta in &all {
            let (Some(id), Some(code)) = (meta.id.as_deref(), meta.country_code) else {
                continue;
            };
            for example in [&meta.fixed_line, &meta.mobile]
                .into_iter()
                .flatten()
                .filter_map(|d| d.example.as_deref())
            {
                out.push((id.to_string(), code, example.to_string()));
            }
        }
        out
    }

    /// Every region's example numbers, national and international: the
    /// blob is the crate's metadata and the small database agrees with it.
    #[test]
    fn every_regions_examples_agree_with_the_crate() {
        let mut checked = 0;
        for (id, code, example) in examples() {
            let (id, example) = (id.as_str(), example.as_str());
            assert_eq!(to_e164(example, id), full(example, id), "{example} in {id}");
            let international = format!("+{code} {example}");
            assert_eq!(
                to_e164(&international, "US"),
                full(&international, "US"),
                "{international}"
            );
            checked += 1;
        }
        assert!(checked > 400, "{checked}");
    }

    /// What parsing and validation read, with ASCII digit classes: the
    /// formats only write numbers out, and the crate matches only ASCII
    /// digits (it maps every other digit to ASCII first).
    fn for_parsing(mut meta: loader::Metadata) -> loader::Metadata {
        fn ascii(pattern: &mut Option<String>) {
            if let Some(p) = pattern {
                *p = p.replace(r"\d", "[0-9]");
            }
        }
        meta.formats.clear();
        meta.international_formats.clear();
        for desc in [
            &mut meta.general,
            &mut meta.fixed_line,
            &mut meta.mobile,
            &mut meta.toll_free,
            &mut meta.premium_rate,
            &mut meta.shared_cost,
            &mut meta.personal_number,
            &mut meta.voip,
            &mut meta.pager,
            &mut meta.uan,
            &mut meta.emergency,
            &mut meta.voicemail,
            &mut meta.short_code,
            &mut meta.standard_rate,
            &mut meta.carrier,
            &mut meta.no_international,
        ]
        .into_iter()
        .flatten()
        {
            ascii(&mut desc.national_number);
        }
        ascii(&mut meta.international_prefix);
        ascii(&mut meta.national_prefix_for_parsing);
        ascii(&mut meta.leading_digits);
        meta
    }

    /// Numbers as people write them, every example in one of several forms
    /// in turn, and inputs the fast path must leave to the crate: the
    /// answers are the crate's.
    #[test]
    fn written_forms_agree_with_the_crate() {
        let grouped = |digits: &str, turn: usize| -> String {
            let seps = [" ", "-", ".", " "];
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && i % 3 == 0 {
                    out.push_str(seps[(i / 3 + turn) % seps.len()]);
                }
                out.push(c);
            }
            if turn.is_multiple_of(2) && digits.len() > 6 {
                format!("({}) {}", &out[..3], &out[3..])
            } else {
                out
            }
        };
        let mut turn = 0;
        for (id, code, example) in examples() {
            let (id, example) = (id.as_str(), example.as_str());
            turn += 1;
            let (raw, region) = match turn % 5 {
                0 => (grouped(example, turn), id),
                1 => (format!("+{code} {}", grouped(example, turn)), "US"),
                2 => (format!("00{code}{example}"), "GB"),
                3 => (format!("{code}{example}"), id),
                _ => (format!("  +{code}{example}  "), "RU"),
            };
            assert_eq!(to_e164(&raw, region), full(&raw, region), "{raw} in {region}");
        }
        for (raw, region) in [
            ("+011 44 20 7946 0958", "US"),
            ("+810 44 20 7946 0958", "RU"),
            // Default regions whose international prefix has an alternative
            // that does not start with 0: the crate strips it after a `+`.
            ("+1 650 253 0000", "TD"),
            ("+1 212 300 4567", "CN"),
            ("+994 40 123 45 67", "FI"),
            ("+990 44 20 7946 0958", "FI"),
            ("+61 2 1234 5678", "AU"),
            ("+1 (201) 555-0123", "IL"),
            ("tel:+1-201-555-0123", "US"),
            ("201-555-0123 ext. 7", "US"),
            ("1-800-FLOWERS", "US"),
            ("\u{ff12}\u{ff10}\u{ff11}5550123", "US"),
            ("(((201) 555 0123", "US"),
            ("+999 123 456 789", "US"),
            ("+", "US"),
            ("", "US"),
            ("+44", "GB"),
            ("052 555 1234", "XX"),
        ] {
            assert_eq!(to_e164(raw, region), full(raw, region), "{raw} in {region}");
        }
    }

    /// Writes the blob from the `phonenumber` crate's own XML, found through
    /// `cargo metadata`. Run after upgrading the crate:
    /// `cargo test -p spin-retention-lead-intake regenerate_metadata -- --ignored`
    #[test]
    #[ignore]
    fn regenerate_metadata() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--locked"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata answers JSON");
        let manifest = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "phonenumber")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("phonenumber is a dependency");
        let xml = std::path::Path::new(manifest).with_file_name("assets/PhoneNumberMetadata.xml");
        let file = std::io::BufReader::new(std::fs::File::open(&xml).expect("the crate ships its XML"));
        let all: Vec<loader::Metadata> = loader::load(file)
            .expect("the crate's XML loads")
            .into_iter()
            .map(for_parsing)
            .collect();
        let regions: Vec<(String, u16)> = all
            .iter()
            .filter_map(|m| Some((m.id.clone()?, m.country_code?)))
            .collect();
        let mut by_code: std::collections::BTreeMap<u16, Vec<loader::Metadata>> = Default::default();
        for meta in all {
            by_code.entry(meta.country_code.unwrap_or(0)).or_default().push(meta);
        }
        let groups: Vec<(u16, Vec<u8>)> = by_code
            .into_iter()
            .map(|(code, group)| (code, postcard::to_allocvec(&group).unwrap()))
            .collect();
        let blob = postcard::to_allocvec(&(regions, groups)).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/phone-metadata.postcard");
        std::fs::write(path, blob).unwrap();
    }
}
