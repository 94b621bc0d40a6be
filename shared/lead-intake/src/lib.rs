//! lead-intake's logic: from a request body to a stored, deduplicated lead.

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod catch_up;
pub mod consent;
pub mod erase;
pub mod handoff;
pub mod job;
pub mod keys;
pub mod pages;
pub mod people;
pub mod phone;
pub mod settings;
pub mod submit;
#[cfg(test)]
mod test_support;
pub mod tick;
pub mod validate;
