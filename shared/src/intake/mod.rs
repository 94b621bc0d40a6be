//! lead-intake's logic: from a request body to a stored, deduplicated lead.

pub mod admin;
pub mod body;
pub mod handoff;
pub mod pages;
pub mod phone;
pub mod settings;
pub mod submit;
pub mod validate;
