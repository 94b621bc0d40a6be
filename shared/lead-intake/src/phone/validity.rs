//! Whether a parsed number is valid, decided as the `phonenumber` crate's
//! `is_valid_with` decides it (the region its country code picks, then the
//! region's general pattern and any one number type's pattern), but with
//! `regex-lite`: every request is a fresh instance and compiles the
//! patterns it needs, and the crate's `regex` builds several engines per
//! pattern, many times slower than `regex-lite` builds its one.

use phonenumber::metadata::loader::{Descriptor, Metadata};

/// Valid with the metadata of `regions` (a database of some regions).
pub(super) fn is_valid(regions: &[Metadata], code: u16, national: &str) -> bool {
    region_for(regions, code, national).is_some_and(|meta| has_type(meta, national))
}

/// The region the crate picks (`validator::source_for`): a code's only
/// region, or the first of its regions (the main one first) whose leading
/// digits start the number or, without leading digits, whose patterns
/// take it.
fn region_for<'a>(regions: &'a [Metadata], code: u16, national: &str) -> Option<&'a Metadata> {
    let mut of_code: Vec<&Metadata> = Vec::new();
    for meta in regions.iter().filter(|m| m.country_code == Some(code)) {
        if meta.main_country_for_code {
            of_code.insert(0, meta);
        } else {
            of_code.push(meta);
        }
    }
    let known_id = |meta: &Metadata| {
        meta.id
            .as_deref()
            .is_some_and(|id| id.parse::<phonenumber::country::Id>().is_ok())
    };
    if let [only] = of_code[..] {
        return (only.id.as_deref() == Some("001") || known_id(only)).then_some(only);
    }
    of_code.into_iter().find(|meta| match &meta.leading_digits {
        Some(leading) => starts_with(leading, national),
        None => has_type(meta, national),
    })
}

/// The crate's `number_type(..) != Unknown`: the general pattern and at
/// least one type's.
fn has_type(meta: &Metadata, national: &str) -> bool {
    let types = [
        &meta.fixed_line,
        &meta.mobile,
        &meta.premium_rate,
        &meta.toll_free,
        &meta.shared_cost,
        &meta.voip,
        &meta.personal_number,
        &meta.pager,
        &meta.uan,
        &meta.voicemail,
    ];
    meta.general.as_ref().is_some_and(|general| matches(general, national))
        && types.into_iter().flatten().any(|desc| matches(desc, national))
}

/// The crate's `Descriptor::is_match`: a possible length, and the pattern
/// matching from the first digit (not necessarily to the last).
fn matches(desc: &Descriptor, national: &str) -> bool {
    let length_ok = desc.possible_length.is_empty() || desc.possible_length.contains(&(national.len() as u16));
    length_ok
        && desc
            .national_number
            .as_deref()
            .is_some_and(|p| starts_with(p, national))
}

/// Whether `pattern` (the crate compiles it ignoring whitespace) matches
/// at the start of `text`.
fn starts_with(pattern: &str, text: &str) -> bool {
    regex_lite::Regex::new(&format!("(?x)^(?:{pattern})")).is_ok_and(|re| re.is_match(text))
}
