//! What a job needs from its host, besides the store: configuration values and
//! outbound HTTP. The Spin adapter implements these over Spin's variables and
//! `wasi:http` outgoing handler; tests implement them in memory.

use crate::store::Store;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Settings (Spin variables). `None` when the variable is not defined or empty.
pub trait Config {
    fn get(&self, name: &str) -> Option<String>;
}

impl Config for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).filter(|v| !v.is_empty()).cloned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundRequest {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    /// Header names are lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Outbound HTTP. `Err` carries the transport failure as text (for example
/// Spin's `HttpRequestDenied` when the host is not in `allowed_outbound_hosts`).
pub trait Outbound {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String>;
}

/// The rest of a request body that the host did not read into
/// [`crate::http::Request::body`]: on routes a job streams
/// ([`crate::jobs::Job::streamed`]), the body arrives chunk by chunk, so
/// an import of any size sits in memory one chunk at a time.
pub trait BodySource {
    /// The next chunk; `Ok(None)` at the end.
    fn next_chunk(&self) -> Result<Option<Vec<u8>>, String>;
}

/// A body already in memory, handed out in chunks (native tests).
pub struct Chunks(pub std::cell::RefCell<std::collections::VecDeque<Vec<u8>>>);

impl Chunks {
    pub fn new(body: &[u8], chunk: usize) -> Self {
        Chunks(std::cell::RefCell::new(
            body.chunks(chunk.max(1)).map(<[u8]>::to_vec).collect(),
        ))
    }
}

impl BodySource for Chunks {
    fn next_chunk(&self) -> Result<Option<Vec<u8>>, String> {
        Ok(self.0.borrow_mut().pop_front())
    }
}

/// Everything a request handler may touch.
pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    pub config: &'a dyn Config,
    pub outbound: &'a dyn Outbound,
    pub now: DateTime<Utc>,
    /// `now` came from the request's [`TEST_CLOCK_HEADER`] (allowed by the
    /// `test_clock` variable), so hand-offs pass it on.
    pub test_clock: bool,
    /// The body still to read, on a streamed route (else all of it is in
    /// the request).
    pub body: Option<&'a dyn BodySource>,
}

/// The request header that sets `now`, for end-to-end tests of time (SLA
/// deadlines): honoured only when the `test_clock` variable is `enabled`.
pub const TEST_CLOCK_HEADER: &str = "x-test-clock";

impl<'a> Ctx<'a> {
    /// A context for a request arriving at `now`: the adapter passes the
    /// real clock, tests a fixed instant (`test_now`).
    pub fn new(store: &'a dyn Store, config: &'a dyn Config, outbound: &'a dyn Outbound, now: DateTime<Utc>) -> Self {
        Ctx {
            store,
            config,
            outbound,
            now,
            test_clock: false,
            body: None,
        }
    }
}

/// The instant unit tests run at, so no test depends on today's date.
#[cfg(any(test, feature = "test-support"))]
pub fn test_now() -> DateTime<Utc> {
    "2026-11-23T10:00:00Z".parse().expect("a valid instant")
}

/// An [`Outbound`] for contexts that must not call out.
pub struct NoOutbound;

impl Outbound for NoOutbound {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        Err(format!(
            "outbound HTTP not available here ({})",
            crate::net::origin(&request.url)
        ))
    }
}
