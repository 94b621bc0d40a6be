//! CORS for browser `fetch()` callers, with an allowlist of origins
//! (`cors_allowed_origins`, comma-separated; `*` allows any).

use crate::http::{Reply, Request};
use crate::problem::Problem;

pub struct Cors {
    allowed: Vec<String>,
}

impl Cors {
    pub fn new(setting: Option<String>) -> Self {
        let allowed = setting
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| !o.is_empty())
            .collect();
        Cors { allowed }
    }

    fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        self.allowed.iter().any(|a| a == "*" || *a == origin)
    }

    /// With an allowlist configured, a request from another origin is refused.
    /// Without one, browsers' same-origin rules apply (no CORS headers sent).
    pub fn check(&self, req: &Request) -> Result<(), Reply> {
        match req.header("origin") {
            Some(origin) if !self.allowed.is_empty() && !self.allows(origin) => {
                Err(Problem::new(403, "origin-not-allowed", "Origin Not Allowed")
                    .with_detail(format!("{origin} is not in cors_allowed_origins"))
                    .into())
            }
            _ => Ok(()),
        }
    }

    /// Adds the response headers a browser needs to read the answer.
    pub fn decorate(&self, req: &Request, reply: Reply) -> Reply {
        match req.header("origin") {
            Some(origin) if self.allows(origin) => reply
                .with_header("access-control-allow-origin", origin)
                .with_header("vary", "Origin"),
            _ => reply,
        }
    }

    /// Answers a preflight `OPTIONS` request.
    pub fn preflight(&self, req: &Request, methods: &str) -> Reply {
        if let Err(refused) = self.check(req) {
            return refused;
        }
        let reply = Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
        .with_header("access-control-allow-methods", methods)
        .with_header("access-control-allow-headers", "content-type, accept, idempotency-key")
        .with_header("access-control-max-age", "600");
        self.decorate(req, reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(origin: &str) -> Request {
        let mut r = Request::new("OPTIONS", "/intake/leads");
        r.headers.push(("origin".into(), origin.into()));
        r
    }

    #[test]
    fn allowlist() {
        let cors = Cors::new(Some("https://shop.example.com, https://www.example.com/".into()));
        let ok = cors.preflight(&from("https://www.example.com"), "POST");
        assert_eq!(ok.status, 204);
        assert_eq!(
            ok.header("access-control-allow-origin"),
            Some("https://www.example.com")
        );
        assert_eq!(cors.preflight(&from("https://evil.example"), "POST").status, 403);
        assert!(Cors::new(None).check(&from("https://any.example")).is_ok());
        let star = Cors::new(Some("*".into()));
        assert_eq!(
            star.decorate(&from("https://a.b"), Reply::json(200, &1))
                .header("access-control-allow-origin"),
            Some("https://a.b")
        );
    }
}
