//! The dashboard reads and acts only through the other jobs' admin APIs,
//! with the admin token (never the browser's: the session cookie is all the
//! browser holds). So each job stays the one writer of its keys, its
//! validation and events apply to what the dashboard does, and the
//! dashboard can be deployed apart from them (the `*_url` variables).
//!
//! Every answer is read as its owner's type (`spin_retention_core::contracts`,
//! `spin_retention_scores::api`), the type the owner serialises: a field
//! renamed on one side fails to compile, or fails a test, on the other. An
//! answer that does not fit is a 502 naming the job.

use serde::de::DeserializeOwned;
use serde::Serialize;
use spin_retention_core::jobs::{
    handoff_request, HandoffTarget, ALERTS, AUDIENCES, CUSTOMERS, INTAKE, JOURNEYS, SCORING, SURVEY,
};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;

/// The jobs the dashboard calls.
pub const TARGETS: [HandoffTarget; 7] = [INTAKE, SCORING, ALERTS, SURVEY, CUSTOMERS, AUDIENCES, JOURNEYS];

/// A call that did not give the answer a page needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The job's status, or 502 when it could not be reached.
    pub status: u16,
    /// Its problem document (RFC 9457), when it sent one.
    pub problem: Option<Box<Problem>>,
    pub message: String,
}

impl Failure {
    /// A failure of the dashboard's own (no job's problem document).
    pub fn new(status: u16, message: impl Into<String>) -> Failure {
        Failure {
            status,
            problem: None,
            message: message.into(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
}

/// `GET` a job's admin route, its answer read as the owner's type.
pub fn get_as<T: DeserializeOwned>(ctx: &Ctx, target: HandoffTarget, path: &str) -> Result<T, Failure> {
    let body = call(ctx, target, "GET", path, None)?;
    serde_json::from_slice(&body).map_err(|e| {
        Failure::new(
            502,
            format!(
                "{} answered {path} in a shape this dashboard does not read: {e}",
                target.component
            ),
        )
    })
}

/// `GET` as [`get_as`], but a 404 is `None` (a person not scored, never
/// alerted...).
pub fn get_optional_as<T: DeserializeOwned>(
    ctx: &Ctx,
    target: HandoffTarget,
    path: &str,
) -> Result<Option<T>, Failure> {
    match get_as(ctx, target, path) {
        Ok(answer) => Ok(Some(answer)),
        Err(f) if f.is_not_found() => Ok(None),
        Err(f) => Err(f),
    }
}

/// A write (`POST`, `PUT`, `DELETE`) with the owner's type of its body, if
/// any. What the owner answers is not read: the page that follows reads
/// the state again.
pub fn send<B: Serialize>(
    ctx: &Ctx,
    target: HandoffTarget,
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<(), Failure> {
    let body = body.map(|b| serde_json::to_vec(b).expect("a request body serialises"));
    send_text(ctx, target, method, path, body)
}

/// A write whose body is a document as someone typed it (the rules
/// editor's): sent as it is, for the owner to refuse.
pub fn send_text(
    ctx: &Ctx,
    target: HandoffTarget,
    method: &str,
    path: &str,
    body: Option<Vec<u8>>,
) -> Result<(), Failure> {
    call(ctx, target, method, path, body).map(|_| ())
}

/// The body of a 2xx answer; else a [`Failure`] with the job's problem.
fn call(ctx: &Ctx, target: HandoffTarget, method: &str, path: &str, body: Option<Vec<u8>>) -> Result<Vec<u8>, Failure> {
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
    let response = ctx
        .outbound
        .send(request)
        .map_err(|e| Failure::new(502, format!("{} ({url}): {e}", target.component)))?;
    if (200..300).contains(&response.status) {
        return Ok(response.body);
    }
    let problem: Option<Box<Problem>> = serde_json::from_slice(&response.body).ok();
    let detail = problem
        .as_ref()
        .map(|p| p.detail.clone().unwrap_or_else(|| p.title.clone()))
        .unwrap_or_else(|| "no detail".to_string());
    Err(Failure {
        status: response.status,
        message: format!("{} answered {}: {detail}", target.component, response.status),
        problem,
    })
}
