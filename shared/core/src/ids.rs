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

/// 64 random bits: std's RandomState is seeded from the OS (wasi:random on
/// WASI), and each new one differs, so no random number crate is needed.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish()
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
}
