//! Audiences as data: each a named set of conditions over a lead, its score
//! and its survey answers ([`super::facts`]), and an optional window of
//! recent activity. The defaults ship in `shared/audience-export/defaults/audiences.json`;
//! an admin replaces them with `PUT /audiences/admin/definitions`
//! ([`spin_retention_core::admin_doc`]).

use super::facts;
use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc::{About, Document};
use spin_retention_core::contracts::audiences as contract;
use spin_retention_core::http::Reply;
use spin_retention_core::problem::{FieldError, Problem};
use spin_retention_core::store::{Store, StoreError};
use spin_retention_facts::condition::{check_condition, Condition};

pub const DEFAULTS_JSON: &str = include_str!("../defaults/audiences.json");

/// An audience, its conditions in the facts' language.
pub type Audience = contract::Audience<Condition>;

/// The audiences in force: the contract's definitions (which
/// `GET /audiences/admin/definitions` answers) over conditions, as an admin
/// document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Audiences(pub contract::Audiences<Condition>);

impl std::ops::Deref for Audiences {
    type Target = contract::Audiences<Condition>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Document for Audiences {
    const KEY: &'static str = crate::keys::AUDIENCE_DEFINITIONS;
    const NAME: &'static str = "definitions";
    const MAX_BYTES: usize = 128 * 1024;
    const NEXT: &'static str = "POST /audiences/admin/refresh until done, to re-evaluate existing leads";

    fn defaults() -> Self {
        parse(DEFAULTS_JSON.as_bytes()).expect("the shipped default audiences are valid")
    }

    fn parse(body: &[u8]) -> Result<Self, Problem> {
        parse(body)
    }

    /// `GET /audiences/admin/definitions`, as its readers read it.
    fn answer(self, about: About) -> Reply {
        Reply::json(
            200,
            &contract::Definitions {
                about,
                definitions: self,
            },
        )
    }
}

/// The audiences in force (an admin's, else the defaults).
pub fn current(store: &dyn Store) -> Result<Audiences, StoreError> {
    Ok(spin_retention_core::admin_doc::current::<Audiences>(store)?.0)
}

/// Parses and validates a set of audiences; `Err` is a 422 naming each
/// bad audience.
pub fn parse(body: &[u8]) -> Result<Audiences, Problem> {
    let invalid = || Problem::new(422, "invalid-audiences", "Invalid Audiences");
    Problem::check_json(body, invalid, "audiences", validate)
}

const MAX_AUDIENCES: usize = 50;
const MAX_ID: usize = 64;
/// Ten years: longer is "no window".
const MAX_WINDOW_DAYS: u32 = 3650;

pub fn validate(set: &Audiences) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut error = |field: String, message: String| errors.push(FieldError { field, message });
    if set.audiences.len() > MAX_AUDIENCES {
        error("audiences".into(), format!("at most {MAX_AUDIENCES} audiences"));
    }
    if set.conversion_forms.iter().any(|f| f.trim().is_empty()) {
        error("conversion_forms".into(), "form names must not be empty".into());
    }
    for (i, audience) in set.audiences.iter().enumerate() {
        let at = format!(
            "audiences[{}]",
            if audience.id.is_empty() {
                i.to_string()
            } else {
                audience.id.clone()
            }
        );
        let id_ok = !audience.id.is_empty()
            && audience.id.len() <= MAX_ID
            && audience
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            error(
                format!("{at}.id"),
                format!("1 to {MAX_ID} lowercase letters, digits or -"),
            );
        }
        if crate::job::JOB.reserved().contains(&audience.id.as_str()) {
            // `/audiences/<word>/...` is one of the job's own routes, which
            // win over an audience's: its export could never be reached.
            error(
                format!("{at}.id"),
                format!(
                    "\"{}\" is a reserved word of /audiences/ routes (reserved: {})",
                    audience.id,
                    crate::job::JOB.reserved().join(", ")
                ),
            );
        }
        if set.audiences[..i].iter().any(|a| a.id == audience.id) {
            error(at.clone(), format!("duplicate audience id \"{}\"", audience.id));
        }
        if audience
            .active_within_days
            .is_some_and(|d| !(1..=MAX_WINDOW_DAYS).contains(&d))
        {
            error(
                format!("{at}.active_within_days"),
                format!("must be 1 to {MAX_WINDOW_DAYS} days"),
            );
        }
        for (j, c) in audience.when.iter().enumerate() {
            check_condition(c, &format!("{at}.when[{j}]"), &facts::AUDIENCE_FACTS, &mut error);
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_document_takes_the_shipped_definitions() {
        let (defs, filled) = Audiences::parse_with_defaults(b"{}").unwrap();
        assert_eq!(defs, Audiences::defaults());
        assert!(!filled.is_empty());
    }

    #[test]
    fn shipped_defaults_are_valid() {
        let set = Audiences::defaults();
        let ids: Vec<&str> = set.audiences.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "hot-not-converted",
                "pricing-no-phone",
                "promoters",
                "at-risk-win-back",
                "cant-lose-them",
                "slipping-regulars",
                "champions-lookalike",
                "one-time-buyers-30-60d"
            ]
        );
    }

    #[test]
    fn errors_name_the_bad_audience() {
        let body = br#"{"audiences":[
            {"id":"Bad Id","when":[]},
            {"id":"x","when":[{"fact":"tierz","equals":"hot"}]},
            {"id":"x","when":[{"fact":"score","equals":"high"}],"active_within_days":4000000000}
        ]}"#;
        let problem = parse(body).unwrap_err();
        let fields: Vec<(String, String)> = problem
            .errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect();
        assert!(fields.iter().any(|(f, _)| f == "audiences[Bad Id].id"), "{fields:?}");
        assert!(fields.iter().any(|(f, m)| f == "audiences[x].when[0]"
            && m.contains("unknown fact \"tierz\" (GET /audiences/admin/definitions")));
        assert!(fields
            .iter()
            .any(|(f, m)| f == "audiences[x]" && m.contains("duplicate")));
        assert!(fields.iter().any(|(f, _)| f == "audiences[x].active_within_days"));
        assert!(fields
            .iter()
            .any(|(f, m)| f == "audiences[x].when[0]" && m.contains("does not fit score")));
        assert_eq!(problem.status, 422);
        let shape = parse(br#"{"audiences":[{"id":"a","when":"hot"}]}"#).unwrap_err();
        assert_eq!(shape.status, 422);
    }

    /// `GET /audiences/leads/export` used to answer 405: the hand-off route
    /// `/audiences/leads/<lead>` took the path. Such an id is now refused
    /// when the audience is defined, saying why.
    #[test]
    fn an_id_that_is_a_route_word_is_refused_by_name() {
        for word in ["leads", "admin", "health"] {
            let body = format!(r#"{{"audiences":[{{"id":"{word}","when":[{{"fact":"tier","equals":"hot"}}]}}]}}"#);
            let problem = parse(body.as_bytes()).unwrap_err();
            assert_eq!(problem.status, 422);
            let error = &problem.errors[0];
            assert_eq!(error.field, format!("audiences[{word}].id"));
            assert!(error.message.contains("reserved word"), "{}", error.message);
        }
        assert!(parse(br#"{"audiences":[{"id":"leads-2","when":[{"fact":"tier","equals":"hot"}]}]}"#).is_ok());
    }
}
