//! Rule sets an admin edits as one JSON document (scoring rules, audience
//! definitions): shipped defaults, a validated replacement, a reset, and a
//! version that changes with any edit. One implementation for each such
//! document's `GET`, `PUT` and `DELETE`.

use crate::http::{Reply, Request};
use crate::ids::sha256_hex;
use crate::ports::Ctx;
use crate::problem::Problem;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::json;

/// The type of a fact that rules and definitions test, as an admin's
/// document lists it beside each fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactType {
    Text,
    List,
    Number,
    Bool,
}

pub trait Document: Serialize + DeserializeOwned + Sized {
    /// Where an admin's version is kept (absent: the defaults).
    const KEY: &'static str;
    /// Its name in answers (`rules`, `definitions`).
    const NAME: &'static str;
    /// A larger body is a 413: a mistaken upload never fills the store.
    const MAX_BYTES: usize;
    /// What to run after a change, so results already stored follow it.
    const NEXT: &'static str;

    fn defaults() -> Self;

    /// Parses and validates; `Err` is a 422 naming every problem.
    fn parse(body: &[u8]) -> Result<Self, Problem>;

    /// Changes whenever anything in the document does.
    fn version(&self) -> String {
        let json = serde_json::to_string(self).expect("documents serialise");
        sha256_hex(&json)[..12].to_string()
    }
}

/// What is stored under [`Document::KEY`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored<T> {
    pub document: T,
    pub updated_at: DateTime<Utc>,
}

fn stored_key<T: Document>() -> crate::keys::Key<Stored<T>> {
    crate::keys::Key::new(T::KEY)
}

/// The document in force (an admin's, else the defaults) and when it was
/// set (`None`: defaults).
pub fn current<T: Document>(store: &dyn Store) -> Result<(T, Option<DateTime<Utc>>), StoreError> {
    Ok(match store.get_json(&stored_key::<T>())? {
        Some(stored) => (stored.document, Some(stored.updated_at)),
        None => (T::defaults(), None),
    })
}

pub fn save<T: Document>(store: &dyn Store, document: T, now: DateTime<Utc>) -> Result<(), StoreError> {
    store.set_json(
        &stored_key::<T>(),
        &Stored {
            document,
            updated_at: now,
        },
    )
}

/// `GET`: the document, its version and source, and the facts its
/// conditions may test; `PUT`: validate and replace; `DELETE`: back to the
/// defaults.
pub fn handle<T: Document>(req: &Request, ctx: &Ctx, facts: &[(&str, FactType, &str)]) -> Reply {
    match req.method.as_str() {
        "GET" => get::<T>(ctx, facts),
        "PUT" => put::<T>(req, ctx),
        _ => match ctx.store.delete(T::KEY) {
            Ok(()) => changed(&T::defaults()),
            Err(e) => Reply::from(e),
        },
    }
}

fn get<T: Document>(ctx: &Ctx, facts: &[(&str, FactType, &str)]) -> Reply {
    match current::<T>(ctx.store) {
        Ok((document, updated_at)) => Reply::json(
            200,
            &json!({
                "version": document.version(),
                "source": if updated_at.is_some() { "admin" } else { "default" },
                "updated_at": updated_at,
                T::NAME: document,
                "facts": facts
                    .iter()
                    .map(|(name, kind, about)| json!({ "fact": name, "type": kind, "about": about }))
                    .collect::<Vec<_>>(),
            }),
        ),
        Err(e) => Reply::from(e),
    }
}

fn put<T: Document>(req: &Request, ctx: &Ctx) -> Reply {
    if req.body.len() > T::MAX_BYTES {
        return Problem::too_large(T::MAX_BYTES).into();
    }
    let document = match T::parse(&req.body) {
        Ok(document) => document,
        Err(problem) => return problem.with_instance(&req.path).into(),
    };
    let reply = changed(&document);
    match save(ctx.store, document, ctx.now) {
        Ok(()) => reply,
        Err(e) => Reply::from(e),
    }
}

fn changed<T: Document>(document: &T) -> Reply {
    Reply::json(200, &json!({ "version": document.version(), "next": T::NEXT }))
}
