//! What every spin-retention job shares: HTTP types and problem details,
//! the store abstraction with the logs and indexes built on it, keys, ids,
//! auth, CORS, health, admin documents, the lead record, and the frame of a
//! job ([`jobs`]).
//!
//! Nothing here knows about Spin: the adapter (`components/adapter`) adapts
//! Spin's HTTP, key-value, variables and outbound HTTP APIs to the small ports
//! defined in [`ports`], so
//! all of this is tested natively with `cargo test` over [`store::MemoryStore`].

// Errors here are problem documents and replies, built once per failed
// request: their size does not matter, and boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod admin_doc;
pub mod auth;
pub mod body;
pub mod calendar;
pub mod client;
pub mod consent_link;
pub mod contracts;
pub mod cors;
pub mod customer;
pub mod events;
pub mod happened;
pub mod health;
pub mod html;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod keys;
pub mod lead;
pub mod lead_list;
pub mod net;
pub mod overlay;
#[cfg(any(test, feature = "test-support"))]
pub mod ownership;
pub mod ports;
pub mod problem;
pub mod ratelimit;
pub mod routes;
pub mod sets;
pub mod signals;
pub mod signed;
pub mod slots;
pub mod sorted_sets;
pub mod store;
pub mod tags;
pub mod team;
pub mod text;
pub mod turns;
pub mod walk;
