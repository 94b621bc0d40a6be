//! Phone numbers to E.164 with libphonenumber's metadata (the `phonenumber`
//! crate), without paying for the whole database on every request.
//!
//! The crate builds its database of all 254 regions (thousands of patterns)
//! on first use: about 60 ms natively, more in wasm, and every request is a
//! fresh instance. We keep the same metadata as a postcard blob
//! (`shared/data/phone-metadata.postcard`, made from the crate's own XML by
//! the ignored test `regenerate_metadata`; a test checks it still matches
//! the crate) and build a database of only the country codes the number can
//! have: the default region's, and those its leading digits can start
//! with. That takes about 1 ms. A number the small database refuses is
//! checked against the whole one, so the answer is always the crate's.

use phonenumber::metadata::{loader, Database};

static METADATA: &[u8] = include_bytes!("../../data/phone-metadata.postcard");

/// The number in E.164 (`+972525551234`), or `None` if it is not valid.
/// `default_region` (ISO 3166-1 alpha-2) reads numbers written without `+`.
pub fn to_e164(raw: &str, default_region: &str) -> Option<String> {
    let region: Option<phonenumber::country::Id> = default_region.parse().ok();
    let all: Vec<loader::Metadata> = postcard::from_bytes(METADATA).ok()?;
    if let Some(small) = small_database(&all, raw, default_region) {
        if let Some(e164) = check(&small, region, raw) {
            return Some(e164);
        }
    }
    // The whole database from our copy: the crate's own copy (the same
    // bytes) then stays out of the component.
    check(&Database::from(all).ok()?, region, raw)
}

fn check(db: &Database, region: Option<phonenumber::country::Id>, raw: &str) -> Option<String> {
    let number = phonenumber::parse_with(db, region, raw).ok()?;
    // E.164 as the crate writes it, without its formatter, which compiles
    // every national format's pattern first (about 70 ms) even for E.164.
    phonenumber::is_valid_with(db, &number).then(|| format!("+{}{}", number.country().code(), number.national()))
}

/// The regions of the default region's country code and of every country
/// code (1 to 3 digits) the number's international digits can start with.
fn small_database(all: &[loader::Metadata], raw: &str, default_region: &str) -> Option<Database> {
    let home = all
        .iter()
        .find(|m| m.id.as_deref() == Some(default_region))
        .and_then(|m| m.country_code);
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
    let codes: Vec<u16> = (1..=digits.len()).filter_map(|n| digits[..n].parse().ok()).collect();
    let wanted = |m: &loader::Metadata| m.country_code.is_some_and(|c| Some(c) == home || codes.contains(&c));
    Database::from(all.iter().filter(|m| wanted(m)).cloned().collect()).ok()
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

    /// Every region's example numbers, national and international: the
    /// blob is the crate's metadata and the small database agrees with it.
    #[test]
    fn every_regions_examples_agree_with_the_crate() {
        let all: Vec<loader::Metadata> = postcard::from_bytes(METADATA).unwrap();
        assert!(all.len() > 240);
        let mut checked = 0;
        for meta in &all {
            let (Some(id), Some(code)) = (meta.id.as_deref(), meta.country_code) else {
                continue;
            };
            for example in [&meta.fixed_line, &meta.mobile]
                .into_iter()
                .flatten()
                .filter_map(|d| d.example.as_deref())
            {
                let national = to_e164(example, id);
                assert_eq!(national, full(example, id), "{example} in {id}");
                let international = format!("+{code} {example}");
                assert_eq!(
                    to_e164(&international, "US"),
                    full(&international, "US"),
                    "{international}"
                );
                checked += 1;
            }
        }
        assert!(checked > 400, "{checked}");
    }

    /// Writes the blob from the `phonenumber` crate's own XML, found through
    /// `cargo metadata`. Run after upgrading the crate:
    /// `cargo test -p spin-retention-shared regenerate_metadata -- --ignored`
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
        let all = loader::load(file).expect("the crate's XML loads");
        let blob = postcard::to_allocvec(&all).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/phone-metadata.postcard");
        std::fs::write(path, blob).unwrap();
    }
}
