//! Amounts in minor units of an ISO 4217 currency: parsed from the decimal
//! text people and Shopify send, and shown back the same way. Amounts of
//! two currencies are never added: every total is a map by currency.

pub use spin_retention_core::customer::{exponent, Money};

/// The largest amount of one event, in minor units (10^13 major units):
/// sums of many stay far inside an i64 (and are saturating besides).
pub const MAX_MINOR: i64 = 10_i64.pow(15);

/// A currency code: three letters, uppercased.
pub fn currency(code: &str) -> Result<String, String> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err("must be a three-letter ISO 4217 currency code".into())
    }
}

/// `"12.50"` in `currency` as minor units (1250). No more decimals than the
/// currency has, no sign, no exponent.
pub fn parse(text: &str, currency: &str) -> Result<i64, String> {
    let text = text.trim();
    let places = exponent(currency) as usize;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || (text.contains('.') && fraction.is_empty()) {
        return Err(format!("\"{text}\" is not an amount like 12.50"));
    }
    // "1000.00" yen is 1000: zeros past the currency's places say nothing.
    let fraction = if fraction.len() > places && fraction[places..].bytes().all(|b| b == b'0') {
        &fraction[..places]
    } else {
        fraction
    };
    if fraction.len() > places {
        return Err(format!("{currency} has {places} decimal places"));
    }
    let scaled = format!("{whole}{fraction:0<places$}");
    scaled
        .parse::<i64>()
        .ok()
        .filter(|n| *n <= MAX_MINOR)
        .ok_or_else(|| format!("\"{text}\" is too large"))
}

/// Minor units as decimal text (in core: the dashboard shows amounts too).
pub use spin_retention_core::customer::format_minor as format;

/// Every amount of `money` as decimal text, by currency.
pub fn show(money: &Money) -> std::collections::BTreeMap<String, String> {
    money.iter().map(|(c, m)| (c.clone(), format(*m, c))).collect()
}

/// A whole number of major units in minor units (tier thresholds).
pub fn major_to_minor(major: f64, currency: &str) -> i64 {
    (major * 10f64.powi(exponent(currency) as i32)).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_each_currency_s_minor_units() {
        assert_eq!(parse("12.5", "USD"), Ok(1250));
        assert_eq!(parse("12", "USD"), Ok(1200));
        assert_eq!(parse("1200", "JPY"), Ok(1200));
        assert!(parse("12.5", "JPY").is_err(), "yen has no decimals");
        assert_eq!(parse("1000.00", "JPY"), Ok(1000), "as Shopify writes yen");
        assert_eq!(parse("1.234", "KWD"), Ok(1234));
        for bad in [
            "",
            "-1",
            "1e3",
            "1.",
            "12.345",
            "abc",
            "99999999999999999999",
            "10000000000000.01",
        ] {
            assert!(parse(bad, "EUR").is_err(), "{bad}");
        }
        assert_eq!(format(1250, "USD"), "12.50");
        assert_eq!(format(-5, "EUR"), "-0.05");
        assert_eq!(format(1200, "JPY"), "1200");
        assert_eq!(format(1234, "KWD"), "1.234");
        assert_eq!(currency(" usd "), Ok("USD".into()));
        assert!(currency("US").is_err());
        assert_eq!(major_to_minor(500.0, "USD"), 50_000);
    }
}
