//! dashboard: the web UI the team opens every morning. Hot leads, a
//! person's whole story, surveys, retention, audiences and rules, in
//! English and Hebrew.
//!
//! It is a client of the other jobs' admin APIs ([`api`]), called with the
//! admin token over Spin's local service chaining: it writes none of their
//! keys, and what it does (a claim, an erase, new rules) goes through the
//! owner's own validation and events. It owns only the sign-outs of its
//! sessions ([`keys`]) and reads one key of another job (lead-intake's
//! identity index, to find a person by email or phone).
//!
//! Pages are rendered on the server and run no script: forms post back
//! with a CSRF token, charts are inline SVG ([`charts`]), and the stylesheet
//! is embedded at build time ([`assets`]).

pub mod api;
pub mod assets;
pub mod charts;
pub mod i18n;
pub mod job;
pub mod keys;
pub mod page;
pub mod screens;
pub mod session;

#[cfg(test)]
mod tests;
