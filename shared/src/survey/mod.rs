//! Surveys (NPS, CSAT, CES): definitions, personal signed links, answers,
//! summaries and follow-ups, and the per-lead [`signals`] that lead-scoring
//! and audience-export read.

pub mod admin;
pub mod answer;
pub mod definition;
pub mod pages;
pub mod respond;
pub mod signals;
pub mod summary;
pub mod token;
