//! Surveys (NPS, CSAT, CES): definitions, personal signed links, answers,
//! summaries and follow-ups. What a person answered and opened goes into
//! their signals (`spin_retention_core::signals`), which lead-scoring and
//! audience-export read.

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod answer;
pub mod definition;
pub mod job;
pub mod keys;
pub mod pages;
pub mod respond;
pub mod summary;
pub mod token;

/// What erasing a person removes here: answers, follow-ups and signals.
pub use answer::forget;
