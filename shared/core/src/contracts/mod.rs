//! What one job answers and another reads, as types: the bodies of the
//! admin routes the dashboard (and any other reader) calls, and the
//! records those answers are made of. The owner serialises these types in
//! its handler and the reader deserialises into them, so a renamed field
//! fails to compile, or fails a test, on both sides at once; nobody looks
//! a field up by name on a `serde_json::Value`.
//!
//! They live here, not in the owner's crate, because no job crate depends
//! on another: a job keeps its logic and its store functions, and
//! re-exports the types of its answers from here (`pub use`). One module
//! per owner:
//!
//! - [`intake`]: a lead's profile with its submissions, a person found.
//! - [`ack`]: instant-ack's delivery record, which intake's lead view shows.
//! - [`alerts`]: a lead's alert steps, claim, contact and times; the body
//!   of a claim or a contact.
//! - [`survey`]: definitions, answers, summaries, follow-ups.
//! - [`customers`]: a customer's view and events, the metrics, the RFM
//!   quintiles.
//! - [`audiences`]: the definitions, an audience's size, the export log, a
//!   person's memberships.
//! - [`journeys`]: every journey with its figures and lift; a status change.
//!
//! lead-scoring's answers are `spin_retention_scores::api` (they are made
//! of its score record, which lives there); the records every job reads
//! are core's own ([`crate::lead`], [`crate::customer`], [`crate::events`],
//! [`crate::signals`]). Readers that do not need a part of an answer still
//! get it in the type: it costs nothing, and the owner's tests deserialise
//! every answer they make into it.

pub mod ack;
pub mod alerts;
pub mod audiences;
pub mod customers;
pub mod intake;
pub mod journeys;
pub mod survey;

/// A page of a list, newest first: its items and the next page's `cursor`
/// (`None` on the last page).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// For the owners' unit tests: their answers read as the contract types.
#[cfg(any(test, feature = "test-support"))]
pub mod testing {
    use serde::de::DeserializeOwned;
    use serde::Serialize;

    /// An owner's answer read as its contract type, which writes it back
    /// the same: a reader of `T` gets all the owner said, in the owner's
    /// names (no field the type drops or renames).
    pub fn reads_as<T: Serialize + DeserializeOwned>(body: &[u8]) -> T {
        let sent: serde_json::Value = serde_json::from_slice(body).expect("an answer in JSON");
        let read: T = serde_json::from_value(sent.clone()).unwrap_or_else(|e| panic!("{e}: {sent}"));
        assert_eq!(serde_json::to_value(&read).unwrap(), sent, "read back as it was sent");
        read
    }
}
