//! Helpers for unit tests that need stored leads.

use crate::validate::{self, Validated};
use spin_retention_core::body::Fields;
use spin_retention_core::ports::Ctx;

/// Stores a submission the way lead-intake does; returns the lead id.
pub fn submit(ctx: &Ctx, pairs: &[(&str, &str)]) -> String {
    let fields: Fields = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let Validated::Valid(draft) = validate::validate(&fields, &validate::FormRules::default()).unwrap() else {
        panic!("spam")
    };
    crate::submit::store_submission(ctx, *draft, None).unwrap().0.lead_id
}
