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
            .with_detail("set the admin_token variable to use admin endpoints")
            .into());
    };
    let header = req.header("authorization").unwrap_or_default();
    let given = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => "",
    };
    // Digests of equal length: the comparison reveals neither content nor length.
    let digest = |s: &str| crate::ids::sha256_hex(s);
    if bool::from(digest(given).as_bytes().ct_eq(digest(&expected).as_bytes())) {
        Ok(())
    } else {
        Err(Reply::from(
            Problem::new(401, "unauthorized", "Unauthorized").with_detail("a valid admin bearer token is required"),
        )
        .with_header("www-authenticate", "Bearer"))
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
}
