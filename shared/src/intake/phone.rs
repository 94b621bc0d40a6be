//! Phone numbers to E.164 with libphonenumber's metadata (the `phonenumber`
//! crate), without paying for the whole database on every request.
//!
//! The crate builds its database of all 254 regions (thousands of patterns)
//! on first use: about 60 ms natively, more in wasm, and every request is a
//! fresh instance. We keep the same metadata as a postcard blob
//! (`shared/data/phone-metadata.postcard`, made from the crate's own XML by
//! the ignored test `regenerate_metadata`; a test checks it still matches
//! the crate) and build a database of only the regions the number can
//! belong to ([`to_e164`]): a few milliseconds instead of 60.

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
    let tiers = [
        home.chain(mains).cloned().collect(),
        wanted.into_iter().flatten().collect(),
        groups.iter().flat_map(|(_, group)| decode(group)).collect(),
    ];
    tiers
        .into_iter()
        .find_map(|tier: Vec<loader::Metadata>| check(&Database::from(tier).ok()?, region, raw))
}

fn check(db: &Database, region: Option<phonenumber::country::Id>, raw: &str) -> Option<String> {
    let number = phonenumber::parse_with(db, region, raw).ok()?;
    // E.164 as the crate writes it, without its formatter, which compiles
    // every national format's pattern first (about 70 ms) even for E.164.
    phonenumber::is_valid_with(db, &number).then(|| format!("+{}{}", number.country().code(), number.national()))
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

    /// Every region's example numbers, national and international: the
    /// blob is the crate's metadata and the small database agrees with it.
    #[test]
    fn every_regions_examples_agree_with_the_crate() {
        let all: Vec<loader::Metadata> = groups().unwrap().iter().flat_map(|(_, g)| decode(g)).collect();
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
