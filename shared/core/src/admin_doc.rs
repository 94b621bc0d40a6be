//! Rule sets an admin edits as one JSON document (scoring rules, audience
//! definitions): shipped defaults, a validated replacement, a reset, and a
//! version that changes with any edit. One implementation for each such
//! document's `GET`, `PUT` and `DELETE`.
//!
//! A `PUT` may leave sections out: each top-level section the document
//! leaves out takes its default (the shipped document's), and the answer
//! names them (`defaults_filled`). A section given is taken whole, so a
//! part of it left out is still a 422 naming it ([`fill_defaults`]).

use crate::http::{Reply, Request};
use crate::ids::sha256_hex;
use crate::ports::Ctx;
use crate::problem::Problem;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The type of a fact that rules and definitions test, as an admin's
/// document lists it beside each fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FactType {
    Text,
    List,
    Number,
    Bool,
}

/// Whose document is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The shipped defaults.
    Default,
    /// An admin's `PUT`.
    Admin,
}

/// A fact a document's conditions may test, as `GET` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedFact {
    pub fact: String,
    #[serde(rename = "type")]
    pub kind: FactType,
    pub about: String,
}

/// What `GET` answers besides the document itself: its version and
/// source, when it was set (`None`: the defaults) and the facts its
/// conditions may test. A document other jobs read answers as its owner's
/// contract type, this flattened beside the document under its name
/// (`spin_retention_scores::api::Rules`,
/// [`crate::contracts::audiences::Definitions`]); see [`Document::answer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct About {
    pub version: String,
    pub source: Source,
    pub updated_at: Option<DateTime<Utc>>,
    pub facts: Vec<ListedFact>,
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

    /// [`Document::parse`] of the body with the sections it leaves out
    /// taken from [`Document::defaults`]; with the names of those sections.
    fn parse_with_defaults(body: &[u8]) -> Result<(Self, Vec<String>), Problem> {
        let defaults = as_value(&Self::defaults());
        let (body, filled) = fill_defaults(body, &defaults);
        Ok((Self::parse(&body)?, filled))
    }

    /// `GET`'s answer: `about`, and the document under [`Document::NAME`].
    /// A document that other jobs read answers with its contract type
    /// instead, the same JSON.
    fn answer(self, about: About) -> Reply {
        let mut answer = as_value(&about);
        answer[Self::NAME] = as_value(&self);
        Reply::json(200, &answer)
    }

    /// Changes whenever anything in the document does.
    fn version(&self) -> String {
        let json = serde_json::to_string(self).expect("documents serialise");
        sha256_hex(&json)[..12].to_string()
    }
}

/// `value` as JSON, through its bytes: a document's types then serialise
/// with one serializer in a component (the bytes' one, which storing them
/// needs anyway), not a second copy of their code for `serde_json::Value`.
pub fn as_value<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::from_slice(&crate::store::json_bytes(value)).expect("JSON reads back")
}

/// `body` with each top-level member of `defaults` that it leaves out
/// taken from `defaults`, and the names of those members, in `defaults`'
/// order. Only whole sections: a section the body gives is kept as given
/// (its own parse names what it lacks). A body that is no JSON object is
/// returned as it is, for the parse to refuse.
pub fn fill_defaults(body: &[u8], defaults: &serde_json::Value) -> (Vec<u8>, Vec<String>) {
    let (Ok(serde_json::Value::Object(mut given)), Some(defaults)) =
        (serde_json::from_slice::<serde_json::Value>(body), defaults.as_object())
    else {
        return (body.to_vec(), Vec::new());
    };
    let mut filled = Vec::new();
    for (name, value) in defaults {
        if !given.contains_key(name) {
            given.insert(name.clone(), value.clone());
            filled.push(name.clone());
        }
    }
    (crate::store::json_bytes(&given), filled)
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
            Ok(()) => changed(&T::defaults(), &[]),
            Err(e) => Reply::from(e),
        },
    }
}

fn get<T: Document>(ctx: &Ctx, facts: &[(&str, FactType, &str)]) -> Reply {
    match current::<T>(ctx.store) {
        Ok((document, updated_at)) => {
            let about = About {
                version: document.version(),
                source: if updated_at.is_some() {
                    Source::Admin
                } else {
                    Source::Default
                },
                updated_at,
                facts: facts
                    .iter()
                    .map(|(name, kind, about)| ListedFact {
                        fact: name.to_string(),
                        kind: *kind,
                        about: about.to_string(),
                    })
                    .collect(),
            };
            document.answer(about)
        }
        Err(e) => Reply::from(e),
    }
}

fn put<T: Document>(req: &Request, ctx: &Ctx) -> Reply {
    if req.body.len() > T::MAX_BYTES {
        return Problem::too_large(T::MAX_BYTES).into();
    }
    let (document, filled) = match T::parse_with_defaults(&req.body) {
        Ok(parsed) => parsed,
        Err(problem) => return problem.with_instance(&req.path).into(),
    };
    let reply = changed(&document, &filled);
    match save(ctx.store, document, ctx.now) {
        Ok(()) => reply,
        Err(e) => Reply::from(e),
    }
}

/// The answer to a change (`PUT`, `DELETE`): the new version, what to run
/// next, and the sections that took their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    pub version: String,
    pub next: String,
    pub defaults_filled: Vec<String>,
}

fn changed<T: Document>(document: &T, defaults_filled: &[String]) -> Reply {
    Reply::json(
        200,
        &Changed {
            version: document.version(),
            next: T::NEXT.to_string(),
            defaults_filled: defaults_filled.to_vec(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::NoOutbound;
    use crate::store::MemoryStore;
    use std::collections::HashMap;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        limits: Limits,
        ttl_hours: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Limits {
        minutes: u32,
        steps: u32,
    }

    impl Document for Doc {
        const KEY: &'static str = "doc";
        const NAME: &'static str = "doc";
        const MAX_BYTES: usize = 1024;
        const NEXT: &'static str = "nothing";

        fn defaults() -> Self {
            Doc {
                limits: Limits { minutes: 15, steps: 2 },
                ttl_hours: 72,
                owner: None,
            }
        }

        fn parse(body: &[u8]) -> Result<Self, Problem> {
            Problem::check_json(
                body,
                || Problem::new(422, "invalid-doc", "Invalid Doc"),
                "doc",
                |_| Vec::new(),
            )
        }
    }

    fn put(body: &str) -> (u16, serde_json::Value, Option<Doc>) {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = HashMap::new();
        let ctx = Ctx::new(&store, &config, &NoOutbound, crate::ports::test_now());
        let mut req = Request::new("PUT", "/x/admin/doc");
        req.body = body.as_bytes().to_vec();
        let reply = handle::<Doc>(&req, &ctx, &[]);
        let stored = current::<Doc>(&store).unwrap();
        (
            reply.status,
            serde_json::from_slice(&reply.body).unwrap(),
            stored.1.map(|_| stored.0),
        )
    }

    #[test]
    fn a_document_takes_the_defaults_of_the_sections_it_leaves_out_and_says_which() {
        let (status, answer, stored) = put(r#"{"owner": "dana"}"#);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["defaults_filled"], serde_json::json!(["limits", "ttl_hours"]));
        let stored = stored.unwrap();
        assert_eq!((stored.limits.minutes, stored.ttl_hours), (15, 72));
        assert_eq!(stored.owner.as_deref(), Some("dana"));

        let (status, answer, stored) = put(r#"{"limits": {"minutes": 5, "steps": 1}, "ttl_hours": 1}"#);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["defaults_filled"], serde_json::json!([]));
        assert_eq!(stored.unwrap().limits.minutes, 5);

        // A section given is the admin's whole: a part of it left out is an error.
        let (status, answer, _) = put(r#"{"limits": {"minutes": 5}}"#);
        assert_eq!(status, 422, "{answer}");
        let (status, _, _) = put("[1]");
        assert_eq!(status, 422, "not an object");
    }

    /// `GET` says what `About` holds, and the document under its name.
    #[test]
    fn a_document_is_listed_with_what_about_says() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = HashMap::new();
        let ctx = Ctx::new(&store, &config, &NoOutbound, crate::ports::test_now());
        let facts = [("tier", FactType::Text, "hot, warm or cold")];
        let reply = handle::<Doc>(&Request::new("GET", "/x/admin/doc"), &ctx, &facts);
        let about: About = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!((about.source, about.updated_at), (Source::Default, None));
        assert_eq!(about.version, Doc::defaults().version());
        assert_eq!(
            about.facts,
            [ListedFact {
                fact: "tier".into(),
                kind: FactType::Text,
                about: "hot, warm or cold".into()
            }]
        );
        let listed: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(listed["doc"]["ttl_hours"], 72);
    }
}
