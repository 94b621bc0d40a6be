//! Admin endpoints: `Authorization: Bearer <admin_token>`, compared in
//! constant time so the comparison leaks nothing about the token.

use crate::http::{Reply, Request};
use crate::ports::Config;
use crate::problem::Problem;
use subtle::ConstantTimeEq;

pub const ADMIN_TOKEN: &str = "admin_token";

/// `Ok(())` when the request carries the configured admin token.
pub fn require_admin(req: &Request, config: &dyn Config) -> Result<(), Reply> {
    let Some(expected) = config.get(ADMIN_TOKEN) else {
        return Err(Problem::new(403, "admin-disabled", "Admin Endpoints Disabled")
            .with_detail("set the admin_token variable: admin, hand-off and scheduler routes are closed without it")
            .into());
    };
    require_bearer(req, &expected, "a valid admin bearer token is required")
}

/// `Ok(())` when the request's bearer token is `expected` (compared in
/// constant time); else a 401 saying `detail`.
pub fn require_bearer(req: &Request, expected: &str, detail: &str) -> Result<(), Reply> {
    let given = match credentials(req) {
        Credentials::Bearer(token) => token,
        _ => String::new(),
    };
    if same_secret(&given, expected) {
        Ok(())
    } else {
        Err(
            Reply::from(Problem::new(401, "unauthorized", "Unauthorized").with_detail(detail))
                .with_header("www-authenticate", "Bearer"),
        )
    }
}

/// Compares a given secret with the expected one in constant time: digests
/// of equal length, so the comparison reveals neither content nor length.
pub fn same_secret(given: &str, expected: &str) -> bool {
    let digest = |s: &str| crate::ids::sha256_hex(s);
    !expected.is_empty() && bool::from(digest(given).as_bytes().ct_eq(digest(expected).as_bytes()))
}

/// What the `Authorization` header carries.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials {
    Bearer(String),
    /// HTTP Basic (RFC 7617), for pullers that speak nothing else.
    Basic {
        user: String,
        password: String,
    },
    None,
}

pub fn credentials(req: &Request) -> Credentials {
    use base64::Engine;
    let header = req.header("authorization").unwrap_or_default();
    let Some((scheme, value)) = header.split_once(' ') else {
        return Credentials::None;
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        return Credentials::Bearer(value.trim().to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Credentials::None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|d| d.split_once(':')) {
        Some((user, password)) => Credentials::Basic {
            user: user.to_string(),
            password: password.to_string(),
        },
        None => Credentials::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn req(auth: Option<&str>) -> Request {
        let mut r = Request::new("GET", "/x");
        if let Some(a) = auth {
            r.headers.push(("authorization".into(), a.into()));
        }
        r
    }

    #[test]
    fn token_checks() {
        let config: HashMap<String, String> = [(ADMIN_TOKEN.to_string(), "s3cret".to_string())].into();
        assert!(require_admin(&req(Some("Bearer s3cret")), &config).is_ok());
        assert!(require_admin(&req(Some("bearer s3cret")), &config).is_ok());
        assert_eq!(
            require_admin(&req(Some("Bearer s3cre")), &config).unwrap_err().status,
            401
        );
        assert_eq!(require_admin(&req(None), &config).unwrap_err().status, 401);
        assert_eq!(
            require_admin(&req(Some("Bearer s3cret")), &HashMap::new())
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn basic_and_bearer_are_read() {
        // RFC 7617's example: "Aladdin:open sesame".
        assert_eq!(
            credentials(&req(Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="))),
            Credentials::Basic {
                user: "Aladdin".into(),
                password: "open sesame".into()
            }
        );
        assert_eq!(credentials(&req(Some("Bearer t"))), Credentials::Bearer("t".into()));
        assert_eq!(credentials(&req(Some("Basic !!"))), Credentials::None);
        assert!(!same_secret("", ""));
        assert!(same_secret("a", "a") && !same_secret("a", "b"));
    }
}
