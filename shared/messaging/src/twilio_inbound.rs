//! Twilio's inbound webhooks (a reply to our SMS): `X-Twilio-Signature` is
//! the base64 HMAC-SHA1, keyed with the account's auth token, of the URL
//! Twilio called followed by each POST parameter's name and value, sorted
//! by name (<https://www.twilio.com/docs/usage/webhooks/webhooks-security>).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Stable: repeated names keep their order, as Twilio's own helpers do.
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The signature Twilio sends for a form POST of `params` to `url`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `given` is Twilio's signature of `params` posted to `url`
/// (compared in constant time).
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], given: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(given.trim()) else {
        return false;
    };
    mac(auth_token, url, params).verify_slice(&given).is_ok()
}

/// The parameters of a form body (`application/x-www-form-urlencoded`,
/// as Twilio posts them); `None` for a body that is not UTF-8.
pub fn params(body: &[u8]) -> Option<Vec<(String, String)>> {
    std::str::from_utf8(body).ok()?;
    Some(
        form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// What a reply asks, by its keyword: Twilio's opt-out and opt-in words
/// (and the Hebrew הסר, "remove"), in any case, alone in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Stop,
    Start,
}

pub fn keyword(body: &str) -> Option<Reply> {
    let word = body.trim().trim_end_matches(['.', '!']).to_uppercase();
    match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "REVOKE" | "הסר" | "הסרה" => {
            Some(Reply::Stop)
        }
        "START" | "UNSTOP" | "YES" => Some(Reply::Start),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's published example: auth token `12345`, this URL and these
    /// parameters sign as `RSOYDt4T1cUTdK1PDd93/VVr8B8=`.
    #[test]
    fn twilios_published_example_verifies() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature("12345", url, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(verify("12345", url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        let mut changed = params.clone();
        changed[2].1 = "9999".into();
        assert!(!verify("12345", url, &changed, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!verify("54321", url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!verify("12345", url, &params, "not base64!"));
    }

    #[test]
    fn stop_words_in_any_case_and_nothing_else() {
        assert_eq!(keyword(" stop "), Some(Reply::Stop));
        assert_eq!(keyword("Unsubscribe."), Some(Reply::Stop));
        assert_eq!(keyword("הסר"), Some(Reply::Stop));
        assert_eq!(keyword("start"), Some(Reply::Start));
        assert_eq!(keyword("please stop calling me"), None);
    }
}
