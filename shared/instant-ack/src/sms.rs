//! What an acknowledgement by SMS or WhatsApp may cost: each message is
//! paid for and reaches whatever number a stranger typed into the form
//! (SMS pumping, toll fraud). Two limits, both Spin variables:
//! - `ack_sms_countries`: ISO 3166-1 codes, comma-separated, of the
//!   countries whose numbers may get one (empty: every country);
//! - `ack_new_numbers_per_day`: how many numbers never acknowledged before
//!   may get one per day (UTC), default [`DEFAULT_NEW_NUMBERS_PER_DAY`].
//!
//! The country of a number is read from its calling code (and, for codes
//! several countries share, the prefixes that tell them apart: the NANP
//! area codes of the Caribbean and the US territories, Kazakhstan's `+77`,
//! the Vatican's `+3906698`...). Where the prefix does not tell them apart
//! (the US and Canada on `+1`, the UK and the Crown dependencies on `+44`),
//! a number counts as each of them: allowing `US` allows Canada's numbers.

/// The default of `ack_new_numbers_per_day`.
pub const DEFAULT_NEW_NUMBERS_PER_DAY: i64 = 100;

/// The countries an E.164 number (`+972525551234`) may belong to: those of
/// its longest known prefix; empty when none is known.
pub fn countries(e164: &str) -> &'static [&'static str] {
    let digits = e164.strip_prefix('+').unwrap_or(e164);
    PREFIXES
        .iter()
        .filter(|(prefix, _)| digits.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(&[], |(_, countries)| *countries)
}

/// The `ack_sms_countries` list: uppercase codes; empty means every country.
pub fn parse_countries(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Whether the number may be sent to under the allow-list.
pub fn country_allowed(e164: &str, allowed: &[String]) -> bool {
    allowed.is_empty() || countries(e164).iter().any(|c| allowed.iter().any(|a| a == c))
}

/// Calling codes and the prefixes within shared codes, from
/// libphonenumber's metadata (`PhoneNumberMetadata.xml` of the
/// `phonenumber` crate, 9.0.33); non-geographic codes are left out.
const PREFIXES: &[(&str, &[&str])] = &[
    ("1", &["US", "CA"]),
    ("1242", &["BS"]),
    ("1246", &["BB"]),
    ("1264", &["AI"]),
    ("1268", &["AG"]),
    ("1284", &["VG"]),
    ("1340", &["VI"]),
    ("1345", &["KY"]),
    ("1441", &["BM"]),
    ("1473", &["GD"]),
    ("1649", &["TC"]),
    ("1658", &["JM"]),
    ("1664", &["MS"]),
    ("1670", &["MP"]),
    ("1671", &["GU"]),
    ("1684", &["AS"]),
    ("1721", &["SX"]),
    ("1758", &["LC"]),
    ("1767", &["DM"]),
    ("1784", &["VC"]),
    ("1787", &["PR"]),
    ("1809", &["DO"]),
    ("1829", &["DO"]),
    ("1849", &["DO"]),
    ("1868", &["TT"]),
    ("1869", &["KN"]),
    ("1876", &["JM"]),
    ("1939", &["PR"]),
    ("20", &["EG"]),
    ("211", &["SS"]),
    ("212", &["MA", "EH"]),
    ("213", &["DZ"]),
    ("216", &["TN"]),
    ("218", &["LY"]),
    ("220", &["GM"]),
    ("221", &["SN"]),
    ("222", &["MR"]),
    ("223", &["ML"]),
    ("224", &["GN"]),
    ("225", &["CI"]),
    ("226", &["BF"]),
    ("227", &["NE"]),
    ("228", &["TG"]),
    ("229", &["BJ"]),
    ("230", &["MU"]),
    ("231", &["LR"]),
    ("232", &["SL"]),
    ("233", &["GH"]),
    ("234", &["NG"]),
    ("235", &["TD"]),
    ("236", &["CF"]),
    ("237", &["CM"]),
    ("238", &["CV"]),
    ("239", &["ST"]),
    ("240", &["GQ"]),
    ("241", &["GA"]),
    ("242", &["CG"]),
    ("243", &["CD"]),
    ("244", &["AO"]),
    ("245", &["GW"]),
    ("246", &["IO"]),
    ("247", &["AC"]),
    ("248", &["SC"]),
    ("249", &["SD"]),
    ("250", &["RW"]),
    ("251", &["ET"]),
    ("252", &["SO"]),
    ("253", &["DJ"]),
    ("254", &["KE"]),
    ("255", &["TZ"]),
    ("256", &["UG"]),
    ("257", &["BI"]),
    ("258", &["MZ"]),
    ("260", &["ZM"]),
    ("261", &["MG"]),
    ("262", &["RE", "YT"]),
    ("263", &["ZW"]),
    ("264", &["NA"]),
    ("265", &["MW"]),
    ("266", &["LS"]),
    ("267", &["BW"]),
    ("268", &["SZ"]),
    ("269", &["KM"]),
    ("27", &["ZA"]),
    ("290", &["SH"]),
    ("2908", &["TA"]),
    ("291", &["ER"]),
    ("297", &["AW"]),
    ("298", &["FO"]),
    ("299", &["GL"]),
    ("30", &["GR"]),
    ("31", &["NL"]),
    ("32", &["BE"]),
    ("33", &["FR"]),
    ("34", &["ES"]),
    ("350", &["GI"]),
    ("351", &["PT"]),
    ("352", &["LU"]),
    ("353", &["IE"]),
    ("354", &["IS"]),
    ("355", &["AL"]),
    ("356", &["MT"]),
    ("357", &["CY"]),
    ("358", &["FI"]),
    ("35818", &["AX"]),
    ("359", &["BG"]),
    ("36", &["HU"]),
    ("370", &["LT"]),
    ("371", &["LV"]),
    ("372", &["EE"]),
    ("373", &["MD"]),
    ("374", &["AM"]),
    ("375", &["BY"]),
    ("376", &["AD"]),
    ("377", &["MC"]),
    ("378", &["SM"]),
    ("380", &["UA"]),
    ("381", &["RS"]),
    ("382", &["ME"]),
    ("383", &["XK"]),
    ("385", &["HR"]),
    ("386", &["SI"]),
    ("387", &["BA"]),
    ("389", &["MK"]),
    ("39", &["IT"]),
    ("3906698", &["VA"]),
    ("40", &["RO"]),
    ("41", &["CH"]),
    ("420", &["CZ"]),
    ("421", &["SK"]),
    ("423", &["LI"]),
    ("43", &["AT"]),
    ("44", &["GB", "GG", "IM", "JE"]),
    ("45", &["DK"]),
    ("46", &["SE"]),
    ("47", &["NO"]),
    ("4779", &["SJ"]),
    ("48", &["PL"]),
    ("49", &["DE"]),
    ("500", &["FK"]),
    ("501", &["BZ"]),
    ("502", &["GT"]),
    ("503", &["SV"]),
    ("504", &["HN"]),
    ("505", &["NI"]),
    ("506", &["CR"]),
    ("507", &["PA"]),
    ("508", &["PM"]),
    ("509", &["HT"]),
    ("51", &["PE"]),
    ("52", &["MX"]),
    ("53", &["CU"]),
    ("54", &["AR"]),
    ("55", &["BR"]),
    ("56", &["CL"]),
    ("57", &["CO"]),
    ("58", &["VE"]),
    ("590", &["BL", "GP", "MF"]),
    ("591", &["BO"]),
    ("592", &["GY"]),
    ("593", &["EC"]),
    ("594", &["GF"]),
    ("595", &["PY"]),
    ("596", &["MQ"]),
    ("597", &["SR"]),
    ("598", &["UY"]),
    ("599", &["CW"]),
    ("5993", &["BQ"]),
    ("5994", &["BQ"]),
    ("5997", &["BQ"]),
    ("60", &["MY"]),
    ("61", &["AU", "CC", "CX"]),
    ("62", &["ID"]),
    ("63", &["PH"]),
    ("64", &["NZ"]),
    ("65", &["SG"]),
    ("66", &["TH"]),
    ("670", &["TL"]),
    ("672", &["NF"]),
    ("673", &["BN"]),
    ("674", &["NR"]),
    ("675", &["PG"]),
    ("676", &["TO"]),
    ("677", &["SB"]),
    ("678", &["VU"]),
    ("679", &["FJ"]),
    ("680", &["PW"]),
    ("681", &["WF"]),
    ("682", &["CK"]),
    ("683", &["NU"]),
    ("685", &["WS"]),
    ("686", &["KI"]),
    ("687", &["NC"]),
    ("688", &["TV"]),
    ("689", &["PF"]),
    ("690", &["TK"]),
    ("691", &["FM"]),
    ("692", &["MH"]),
    ("7", &["RU"]),
    ("76", &["KZ"]),
    ("77", &["KZ"]),
    ("81", &["JP"]),
    ("82", &["KR"]),
    ("84", &["VN"]),
    ("850", &["KP"]),
    ("852", &["HK"]),
    ("853", &["MO"]),
    ("855", &["KH"]),
    ("856", &["LA"]),
    ("86", &["CN"]),
    ("880", &["BD"]),
    ("886", &["TW"]),
    ("90", &["TR"]),
    ("91", &["IN"]),
    ("92", &["PK"]),
    ("93", &["AF"]),
    ("94", &["LK"]),
    ("95", &["MM"]),
    ("960", &["MV"]),
    ("961", &["LB"]),
    ("962", &["JO"]),
    ("963", &["SY"]),
    ("964", &["IQ"]),
    ("965", &["KW"]),
    ("966", &["SA"]),
    ("967", &["YE"]),
    ("968", &["OM"]),
    ("970", &["PS"]),
    ("971", &["AE"]),
    ("972", &["IL"]),
    ("973", &["BH"]),
    ("974", &["QA"]),
    ("975", &["BT"]),
    ("976", &["MN"]),
    ("977", &["NP"]),
    ("98", &["IR"]),
    ("992", &["TJ"]),
    ("993", &["TM"]),
    ("994", &["AZ"]),
    ("995", &["GE"]),
    ("996", &["KG"]),
    ("998", &["UZ"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_by_calling_code_and_shared_prefixes() {
        assert_eq!(countries("+972525551234"), ["IL"]);
        assert_eq!(countries("+12015550123"), ["US", "CA"]);
        assert_eq!(countries("+18765550123"), ["JM"], "Jamaica is not the US");
        assert_eq!(countries("+77012345678"), ["KZ"]);
        assert_eq!(countries("+74951234567"), ["RU"]);
        assert_eq!(countries("+447911123456"), ["GB", "GG", "IM", "JE"]);
        assert!(countries("+999").is_empty());
    }

    #[test]
    fn the_allow_list() {
        let list = parse_countries(Some(" il, us ,"));
        assert_eq!(list, ["IL", "US"]);
        assert!(country_allowed("+972525551234", &list));
        assert!(country_allowed("+12015550123", &list));
        assert!(!country_allowed("+18765550123", &list));
        assert!(!country_allowed("+447911123456", &list));
        assert!(country_allowed("+447911123456", &parse_countries(None)), "empty: all");
    }
}
