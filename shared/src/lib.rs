//! Domain logic shared by every spin-retention component.
//!
//! Nothing here knows about Spin: the components adapt Spin's HTTP, key-value,
//! variables and outbound HTTP APIs to the small ports defined in [`ports`], so
//! all of this is tested natively with `cargo test` over [`store::MemoryStore`].

// Errors here are problem documents and replies, built once per failed
// request: their size does not matter, and boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod ack;
pub mod admin_doc;
pub mod audience;
pub mod auth;
pub mod cors;
pub mod health;
pub mod http;
pub mod ids;
pub mod index;
pub mod intake;
pub mod jobs;
pub mod keys;
pub mod lead;
pub mod leads_index;
pub mod ports;
pub mod problem;
pub mod ratelimit;
pub mod scoring;
pub mod slots;
pub mod sorted_index;
pub mod store;
pub mod survey;
#[cfg(test)]
pub mod test_support;
