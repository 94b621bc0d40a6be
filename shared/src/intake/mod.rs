//! lead-intake's logic: from a request body to a stored, deduplicated lead.

pub mod body;
pub mod validate;
