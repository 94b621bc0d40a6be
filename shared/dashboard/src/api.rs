//! The dashboard reads and acts only through the other jobs' admin APIs,
//! with the admin token (never the browser's: the session cookie is all the
//! browser holds). So each job stays the one writer of its keys, its
//! validation and events apply to what the dashboard does, and the
//! dashboard can be deployed apart from them (the `*_url` variables).

use serde_json::Value;
use spin_retention_core::jobs::{
    handoff_request, HandoffTarget, ALERTS, AUDIENCES, CUSTOMERS, INTAKE, SCORING, SURVEY,
};
use spin_retention_core::ports::Ctx;

/// The jobs the dashboard calls.
pub const TARGETS: [HandoffTarget; 6] = [INTAKE, SCORING, ALERTS, SURVEY, CUSTOMERS, AUDIENCES];

/// A call that did not give the answer a page needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The job's status, or 502 when it could not be reached.
    pub status: u16,
    /// Its problem document (RFC 9457), `Null` when it sent none.
    pub problem: Value,
    pub message: String,
}

impl Failure {
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
}

/// `GET` a job's admin route; the JSON it answers with 2xx.
pub fn get(ctx: &Ctx, target: HandoffTarget, path: &str) -> Result<Value, Failure> {
    call(ctx, target, "GET", path, None)
}

/// `GET` a job's admin route, its answer read as the owner's type (its
/// `api`): an answer that does not fit is a 502 naming the job.
pub fn get_as<T: serde::de::DeserializeOwned>(ctx: &Ctx, target: HandoffTarget, path: &str) -> Result<T, Failure> {
    let json = get(ctx, target, path)?;
    serde_json::from_value(json).map_err(|e| Failure {
        status: 502,
        problem: Value::Null,
        message: format!(
            "{} answered {path} in a shape this dashboard does not read: {e}",
            target.component
        ),
    })
}

/// `GET` as [`get_as`], but a 404 is `None`.
pub fn get_optional_as<T: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    target: HandoffTarget,
    path: &str,
) -> Result<Option<T>, Failure> {
    get_optional(ctx, target, path)?
        .map(|json| read_as(target, path, json))
        .transpose()
}

/// A part of an answer read as the owner's type: one that does not fit is
/// a 502 naming the job.
pub fn read_as<T: serde::de::DeserializeOwned>(target: HandoffTarget, path: &str, json: Value) -> Result<T, Failure> {
    serde_json::from_value(json).map_err(|e| Failure {
        status: 502,
        problem: Value::Null,
        message: format!(
            "{} answered {path} in a shape this dashboard does not read: {e}",
            target.component
        ),
    })
}

/// `GET`, but a 404 is `None` (a person not scored, never alerted...).
pub fn get_optional(ctx: &Ctx, target: HandoffTarget, path: &str) -> Result<Option<Value>, Failure> {
    match get(ctx, target, path) {
        Ok(v) => Ok(Some(v)),
        Err(f) if f.is_not_found() => Ok(None),
        Err(f) => Err(f),
    }
}

/// A write (`POST`, `PUT`, `DELETE`) with an optional JSON body.
pub fn send(
    ctx: &Ctx,
    target: HandoffTarget,
    method: &str,
    path: &str,
    body: Option<Vec<u8>>,
) -> Result<Value, Failure> {
    call(ctx, target, method, path, body)
}

fn call(ctx: &Ctx, target: HandoffTarget, method: &str, path: &str, body: Option<Vec<u8>>) -> Result<Value, Failure> {
    let url = format!("{}{path}", target.base_url(ctx.config).trim_end_matches('/'));
    // A hand-off's request: the admin token only inside the app or over
    // TLS, and the test clock passed on.
    let token = ctx.config.get(spin_retention_core::auth::ADMIN_TOKEN);
    let mut request = handoff_request(ctx, url.clone(), token.as_deref());
    request.method = method.into();
    request.headers.push(("accept".into(), "application/json".into()));
    if let Some(body) = body {
        request.headers.push(("content-type".into(), "application/json".into()));
        request.body = body;
    }
    let response = ctx.outbound.send(request).map_err(|e| Failure {
        status: 502,
        problem: Value::Null,
        message: format!("{} ({url}): {e}", target.component),
    })?;
    let json: Value = if response.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&response.body).unwrap_or(Value::Null)
    };
    if (200..300).contains(&response.status) {
        Ok(json)
    } else {
        let detail = json["detail"]
            .as_str()
            .or(json["title"].as_str())
            .unwrap_or("no detail")
            .to_string();
        Err(Failure {
            status: response.status,
            message: format!("{} answered {}: {detail}", target.component, response.status),
            problem: json,
        })
    }
}
