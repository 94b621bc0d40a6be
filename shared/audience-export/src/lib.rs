//! audience-export's logic: named audiences over the shared lead, score
//! and survey data ([`definition`], [`facts`]), kept as per-audience
//! indexes ([`membership`]), pulled by ad platforms in their own formats
//! ([`formats`], [`export`]) with their own credentials ([`pullers`]),
//! only for people whose consent allows it ([`consent`]), every pull
//! logged ([`log`]).

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod consent;
pub mod definition;
pub mod export;
pub mod facts;
pub mod formats;
pub mod job;
pub mod keys;
pub mod log;
pub mod membership;
pub mod pullers;

/// What erasing a person removes here: memberships and index entries.
pub use membership::forget;
#[cfg(test)]
mod tests;
