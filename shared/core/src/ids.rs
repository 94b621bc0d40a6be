//! Deterministic ids and hashed keys. A retry of the same request computes
//! the same id, so it can never create a second record.

use sha2::{Digest, Sha256};

pub fn sha256_hex(input: &str) -> String {
    format!("{:x}", Sha256::digest(input.as_bytes()))
}

/// `<prefix>_<first 24 hex digits of sha256(parts joined by NUL)>`.
pub fn derive(prefix: &str, parts: &[&str]) -> String {
    let digest = sha256_hex(&parts.join("\0"));
    format!("{prefix}_{}", &digest[..24])
}

/// 64 random bits from the OS (`wasi:random` on WASI), through `getrandom`.
/// An error means the host gives no randomness at all.
pub fn random_u64() -> Result<u64, String> {
    getrandom::u64().map_err(|e| format!("no random source: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn derived_ids_are_stable_and_separate_parts() {
        assert_eq!(derive("l", &["a", "b"]), derive("l", &["a", "b"]));
        assert_ne!(derive("l", &["ab", ""]), derive("l", &["a", "b"]));
        assert!(derive("s", &["x"]).starts_with("s_"));
        assert_eq!(derive("s", &["x"]).len(), 26);
    }

    #[test]
    fn random_numbers_differ() {
        let a = random_u64().unwrap();
        let b = random_u64().unwrap();
        assert_ne!(a, b);
    }
}
