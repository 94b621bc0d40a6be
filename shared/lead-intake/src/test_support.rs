//! Stored leads for lead-intake's own unit tests, through its real
//! validation and storage. Other jobs' tests use
//! `spin_retention_core::lead::testing`, which needs no lead-intake.

use crate::submit::Stored;
use crate::validate::{self, Validated};
use spin_retention_core::body::Fields;
use spin_retention_core::ports::Ctx;

/// Stores a submission the way lead-intake does, with single opt-in (a new
/// person's consent is in force at once) and no hourly cap; returns the
/// lead id.
pub fn submit(ctx: &Ctx, pairs: &[(&str, &str)]) -> String {
    let fields: Fields = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let Validated::Valid(draft) = validate::validate(&fields, &validate::FormRules::default()).unwrap() else {
        panic!("spam")
    };
    match crate::submit::store_submission(ctx, *draft, None, &Default::default()).unwrap() {
        Stored::New(s) | Stored::Repeat(s) => s.lead_id,
        Stored::TooMany { .. } => unreachable!("no cap"),
    }
}
