//! Signed links: `<payload>.<signature>`, both base64url, where the payload
//! is JSON claims and the signature HMAC-SHA256 over the payload with a
//! secret (a Spin variable). Survey links and alert links (claim, contacted)
//! are both these; each names its own claims and checks their expiry.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Serialize};
use sha2::Sha256;

/// Not a token at all, altered, or signed with another secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

fn mac(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length")
}

pub fn sign<T: Serialize>(claims: &T, secret: &str) -> String {
    let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let mut m = mac(secret);
    m.update(payload.as_bytes());
    format!("{payload}.{}", B64.encode(m.finalize().into_bytes()))
}

/// The claims of `token`, its signature checked in constant time.
pub fn verify<T: DeserializeOwned>(token: &str, secret: &str) -> Result<T, Invalid> {
    let (payload, signature) = token.trim().split_once('.').ok_or(Invalid)?;
    let signature = B64.decode(signature).map_err(|_| Invalid)?;
    let mut m = mac(secret);
    m.update(payload.as_bytes());
    m.verify_slice(&signature).map_err(|_| Invalid)?;
    B64.decode(payload)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or(Invalid)
}

/// Claims that hold until a time: a link's.
pub trait Expiring {
    /// Seconds since the epoch from which the claims no longer hold.
    fn expires(&self) -> i64;
}

/// Why a link's claims do not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token, altered, or signed with another secret.
    Invalid,
    Expired,
}

/// [`verify`], and the claims have not expired by `now`: every link's
/// check (survey, alert and consent links).
pub fn verify_unexpired<T: DeserializeOwned + Expiring>(
    token: &str,
    secret: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<T, Refused> {
    let claims: T = verify(token, secret).map_err(|Invalid| Refused::Invalid)?;
    if now.timestamp() >= claims.expires() {
        return Err(Refused::Expired);
    }
    Ok(claims)
}

/// HMAC-SHA256 of `message` under raw `key` bytes (webhook signatures).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(message);
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Claims {
        l: String,
    }

    #[test]
    fn round_trip_and_refusals() {
        let token = sign(&Claims { l: "l_1".into() }, "k1");
        assert_eq!(verify::<Claims>(&token, "k1"), Ok(Claims { l: "l_1".into() }));
        assert_eq!(verify::<Claims>(&token, "k2"), Err(Invalid), "other secret");
        let (_, sig) = token.split_once('.').unwrap();
        let forged = B64.encode(br#"{"l":"l_2"}"#);
        assert_eq!(verify::<Claims>(&format!("{forged}.{sig}"), "k1"), Err(Invalid));
        assert_eq!(verify::<Claims>("garbage", "k1"), Err(Invalid));
        assert_eq!(verify::<Claims>("a.b", "k1"), Err(Invalid));
    }
}
