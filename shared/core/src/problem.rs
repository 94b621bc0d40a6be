//! RFC 9457 problem details: the one shape every error answer takes.

use serde::{Deserialize, Serialize};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One invalid input, named so a form can show it next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A problem document, as every job answers an error (and a client of
/// another job, the dashboard, reads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` means "see the status".
    #[serde(rename = "type", default = "about_blank")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// RFC 9457's default `type`.
fn about_blank() -> String {
    "about:blank".to_string()
}

impl Problem {
    /// A problem of a named kind: `urn:problem:spin-retention:<slug>`.
    pub fn new(status: u16, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("urn:problem:spin-retention:{slug}"),
            title: title.to_string(),
            status,
            detail: None,
            instance: None,
            errors: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_instance(mut self, path: impl Into<String>) -> Self {
        self.instance = Some(path.into());
        self
    }

    pub fn with_field_error(mut self, field: &str, message: &str) -> Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    pub fn not_found(path: &str) -> Self {
        Self::new(404, "not-found", "Not Found")
            .with_detail(format!("no resource at {path}"))
            .with_instance(path)
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(405, "method-not-allowed", "Method Not Allowed")
            .with_detail(format!("{method} is not supported on {path}"))
            .with_instance(path)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(413, "body-too-large", "Content Too Large")
            .with_detail(format!("the body is larger than {limit} bytes"))
    }

    pub fn store_unavailable(reason: impl std::fmt::Display) -> Self {
        Self::new(503, "store-unavailable", "Storage Unavailable")
            .with_detail(format!("{reason}; retry: a retry completes what this request started"))
    }

    /// A stored value that cannot be read is a defect, not a passing
    /// failure: a 500, which no retry fixes (a 503 would invite retries).
    pub fn stored_value_unreadable(reason: impl std::fmt::Display) -> Self {
        Self::new(500, "stored-value-unreadable", "Stored Value Unreadable")
            .with_detail(format!("{reason}; a defect to report: retrying will not help"))
    }

    /// A JSON document an admin sent, checked in two steps: its shape (a
    /// wrong one is named by its path, `at rules[3].points: ...`), then
    /// `check`'s list of problems. Either way a 422 of the kind `invalid`,
    /// whose detail counts problems "in the `what`".
    pub fn check_json<T: serde::de::DeserializeOwned>(
        body: &[u8],
        invalid: impl Fn() -> Problem,
        what: &str,
        check: impl FnOnce(&T) -> Vec<FieldError>,
    ) -> Result<T, Problem> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        let value: T = serde_path_to_error::deserialize(de)
            .map_err(|e| invalid().with_detail(format!("at {}: {}", e.path(), e.inner())))?;
        let errors = check(&value);
        if errors.is_empty() {
            return Ok(value);
        }
        let mut problem = invalid().with_detail(format!("{} problem(s) in the {what}", errors.len()));
        problem.errors = errors;
        Err(problem)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("problem serialises")
    }
}

/// A store error as its problem: the store out of reach is a 503 (retry),
/// a value that cannot be decoded a 500.
impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(_) => Problem::store_unavailable(e),
            crate::store::StoreError::Corrupt { .. } => Problem::stored_value_unreadable(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_rfc9457_member_names() {
        let p = Problem::new(422, "invalid-fields", "Invalid fields")
            .with_detail("2 fields are invalid")
            .with_field_error("email", "not an email address");
        let v: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(v["type"], "urn:problem:spin-retention:invalid-fields");
        assert_eq!(v["status"], 422);
        assert_eq!(v["title"], "Invalid fields");
        assert_eq!(v["errors"][0]["field"], "email");
        assert!(v.get("instance").is_none());
        // A client of the job reads it back as it was.
        assert_eq!(serde_json::from_slice::<Problem>(&p.to_json()).unwrap(), p);
        // Another server's least problem: `about:blank`, no errors.
        let least: Problem = serde_json::from_str(r#"{"title": "Bad Gateway", "status": 502}"#).unwrap();
        assert_eq!((least.kind.as_str(), least.errors.len()), ("about:blank", 0));
    }

    /// The store out of reach is worth a retry; a value it cannot decode is
    /// not (it was a 503 that invited retries).
    #[test]
    fn a_corrupt_value_is_a_500_and_an_unreachable_store_a_503() {
        use crate::store::{JsonStore, MemoryStore, Store, StoreError, UnavailableStore};
        let store = MemoryStore::new();
        store.set("k", b"not json").unwrap();
        let corrupt = store.get_json::<u64>(&crate::keys::Key::new("k")).unwrap_err();
        assert!(matches!(corrupt, StoreError::Corrupt { .. }));
        let reply = crate::http::Reply::from(corrupt);
        assert_eq!(reply.status, 500);
        let down = UnavailableStore("down".into()).get("k").unwrap_err();
        assert_eq!(crate::http::Reply::from(down).status, 503);
    }
}
