//! Plain HTTP request and reply types, so job logic and routing are testable
//! without Spin. The Spin adapter converts to and from these.

use crate::problem::{self, Problem};
use serde::Serialize;

/// What a handler answers: a reply, or the refusal or problem that took its
/// place. Both are replies; the `Err` side lets `?` carry a [`Problem`] or
/// a store error to its RFC 9457 reply.
pub type Handled = Result<Reply, Reply>;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path as routed by the host (Spin's full path, query excluded).
    pub path: String,
    pub query: String,
    /// Header names are lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_string(),
            path: path.to_string(),
            ..Self::default()
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A browser navigating (a plain HTML form post) should get a page or a
    /// redirect; every other caller, `fetch()` with JSON or FormData
    /// included, gets JSON.
    pub fn wants_json(&self) -> bool {
        let navigating = self
            .header("sec-fetch-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("navigate"));
        let accept = self.header("accept").unwrap_or_default().to_ascii_lowercase();
        let json_body = crate::body::media_type(self.header("content-type").unwrap_or_default()) == "application/json";
        json_body || !(navigating || accept.contains("text/html"))
    }

    /// `scheme://host[:port]` this request was sent to (Spin's
    /// `spin-full-url`), for links back to the app.
    pub fn origin(&self) -> Option<String> {
        let url = self.header("spin-full-url")?;
        let (scheme, rest) = url.split_once("://")?;
        let host = rest.split(['/', '?']).next()?;
        Some(format!("{scheme}://{host}"))
    }

    /// The first value of a query parameter, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// `?limit=N` for paged endpoints: `default` when absent, at most `max`;
    /// anything but a positive whole number is a 400.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, Reply> {
        match self.query_param("limit") {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n.min(max)),
                _ => Err(bad_parameter("limit", "must be a positive whole number")),
            },
        }
    }
}

/// 400 for a query parameter that makes no sense.
pub fn bad_parameter(name: &str, message: &str) -> Reply {
    Problem::new(400, "invalid-parameter", "Invalid Parameter")
        .with_detail(format!("{name} {message}"))
        .with_field_error(name, message)
        .into()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(value).expect("reply bodies serialise"),
        }
    }

    /// 204, no body.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn problem(problem: &Problem) -> Self {
        Self {
            status: problem.status,
            headers: vec![("content-type".into(), problem::CONTENT_TYPE.into())],
            body: problem.to_json(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl From<crate::store::StoreError> for Reply {
    fn from(e: crate::store::StoreError) -> Self {
        Problem::from(e).into()
    }
}

impl From<Problem> for Reply {
    fn from(problem: Problem) -> Self {
        Reply::problem(&problem)
    }
}

/// 405 with the `Allow` header RFC 9110 asks for.
pub fn method_not_allowed(req: &Request, allow: &[&str]) -> Reply {
    Reply::from(Problem::method_not_allowed(&req.method, &req.path)).with_header("allow", &allow.join(", "))
}
