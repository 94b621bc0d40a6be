//! Signing in: the admin token is exchanged once for a session cookie, and
//! never kept by the browser (not in a URL, not in local storage).
//!
//! The cookie is `<claims>.<signature>` ([`spin_retention_core::signed`]),
//! signed with `dashboard_session_secret`, `HttpOnly; Secure;
//! SameSite=Strict`, and it expires (`dashboard_session_hours`, 8 by
//! default). Signing out writes `dashboard-signout:<session id>`, so a
//! copied cookie stops working too. Each session is bound to a hash of the
//! admin token it was started with (an HMAC under the session secret, never
//! the token): a new admin token signs everyone out. Every form carries the session's CSRF
//! token, an HMAC of its id under the same secret: a page of ours can show
//! it, another site cannot compute it.

use crate::keys;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::http::Request;
use spin_retention_core::ports::{Config, Ctx};
use spin_retention_core::signed;
use spin_retention_core::store::StoreError;

pub const SECRET: &str = "dashboard_session_secret";
pub const HOURS: &str = "dashboard_session_hours";
pub const COOKIE: &str = "dashboard_session";
const DEFAULT_HOURS: i64 = 8;
/// The shortest secret accepted: 32 bytes, as for an HMAC-SHA256 key.
pub const MIN_SECRET: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Random; what a sign-out revokes and the CSRF token is bound to.
    pub sid: String,
    /// Who signed in (`admin`).
    pub who: String,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// An HMAC of the admin token at sign-in, under the session secret (absent in a cookie
    /// older than the binding: such a session is refused).
    #[serde(default)]
    pub tok: String,
}

impl Session {
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }

    /// The token every form of this session carries.
    pub fn csrf(&self, secret: &str) -> String {
        let mac = signed::hmac_sha256(secret.as_bytes(), format!("csrf|{}", self.sid).as_bytes());
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Why the dashboard cannot sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disabled {
    NoSecret,
    NoAdminToken,
}

/// The secret, if the dashboard is configured.
pub fn secret(config: &dyn Config) -> Result<String, Disabled> {
    if config.get(spin_retention_core::auth::ADMIN_TOKEN).is_none() {
        return Err(Disabled::NoAdminToken);
    }
    config
        .get(SECRET)
        .filter(|s| s.len() >= MIN_SECRET)
        .ok_or(Disabled::NoSecret)
}

/// What binds a session to the admin token: an HMAC of the token under the
/// session secret, so the cookie (readable, only signed) never holds the
/// token or a plain hash one could test guesses against.
fn token_hash(config: &dyn Config, secret: &str) -> String {
    let token = config.get(spin_retention_core::auth::ADMIN_TOKEN).unwrap_or_default();
    let mac = signed::hmac_sha256(secret.as_bytes(), format!("admin-token|{token}").as_bytes());
    mac[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn lifetime(config: &dyn Config) -> Duration {
    let hours = config
        .get(HOURS)
        .and_then(|h| h.parse::<i64>().ok())
        .filter(|h| (1..=24 * 30).contains(h))
        .unwrap_or(DEFAULT_HOURS);
    Duration::hours(hours)
}

/// A new session for `who`, and its `Set-Cookie` value.
pub fn start(ctx: &Ctx, secret: &str, who: &str) -> Result<(Session, String), String> {
    let sid = format!(
        "{:016x}{:016x}",
        spin_retention_core::ids::random_u64()?,
        spin_retention_core::ids::random_u64()?
    );
    let lifetime = lifetime(ctx.config);
    let session = Session {
        sid,
        who: who.to_string(),
        exp: (ctx.now + lifetime).timestamp(),
        tok: token_hash(ctx.config, secret),
    };
    let value = signed::sign(&session, secret);
    Ok((session, set_cookie(&value, lifetime.num_seconds())))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear() -> String {
    set_cookie("", 0)
}

fn set_cookie(value: &str, max_age: i64) -> String {
    format!("{COOKIE}={value}; Path=/dashboard; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

/// A cookie's value from the request's `Cookie` header.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers
        .iter()
        .filter(|(k, _)| k == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The request's session: signed with our secret, started under the admin
/// token in force, not expired, not signed out.
pub fn current(req: &Request, ctx: &Ctx, secret: &str) -> Result<Option<Session>, StoreError> {
    let Some(value) = cookie(req, COOKIE) else {
        return Ok(None);
    };
    let Ok(session) = signed::verify::<Session>(&value, secret) else {
        return Ok(None);
    };
    let same_token = spin_retention_core::auth::same_secret(&session.tok, &token_hash(ctx.config, secret));
    if !same_token || session.exp <= ctx.now.timestamp() || ctx.store.exists(&keys::signed_out(&session.sid))? {
        return Ok(None);
    }
    Ok(Some(session))
}

/// Signs the session out everywhere: its cookie is refused from now on.
pub fn revoke(ctx: &Ctx, session: &Session) -> Result<(), StoreError> {
    ctx.store
        .set(&keys::signed_out(&session.sid), session.exp.to_string().as_bytes())
}

/// Whether a form post carries this session's CSRF token (compared in
/// constant time), and comes from our own pages: a browser that says the
/// request is cross-site is refused even with a token.
pub fn form_is_ours(req: &Request, session: &Session, secret: &str, token: Option<&str>) -> bool {
    let cross_site = req
        .header("sec-fetch-site")
        .is_some_and(|s| s.eq_ignore_ascii_case("cross-site") || s.eq_ignore_ascii_case("same-site"));
    !cross_site && token.is_some_and(|t| spin_retention_core::auth::same_secret(t, &session.csrf(secret)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::ports::{test_now, NoOutbound};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    const SECRET_VALUE: &str = "0123456789abcdef0123456789abcdef";

    fn config() -> HashMap<String, String> {
        HashMap::from([
            ("admin_token".to_string(), "admin-secret".to_string()),
            (SECRET.to_string(), SECRET_VALUE.to_string()),
        ])
    }

    fn request_with(cookie_header: &str) -> Request {
        let mut req = Request::new("GET", "/dashboard/hot");
        req.headers.push(("cookie".into(), cookie_header.into()));
        req
    }

    #[test]
    fn a_session_lives_until_it_expires_or_signs_out() {
        let store = MemoryStore::default();
        let config = config();
        let ctx = Ctx::new(&store, &config, &NoOutbound, test_now());
        let (session, set) = start(&ctx, SECRET_VALUE, "admin").unwrap();
        assert!(set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict"));
        assert!(set.contains("Max-Age=28800"));
        let value = set.split(';').next().unwrap().to_string();
        let req = request_with(&format!("lang=he; {value}"));
        assert_eq!(current(&req, &ctx, SECRET_VALUE).unwrap(), Some(session.clone()));

        // Another secret, an altered cookie, or later than its expiry: no session.
        assert_eq!(current(&req, &ctx, "another-secret-another-secret-xx").unwrap(), None);
        let altered = request_with(&value.replace("dashboard_session=e", "dashboard_session=f"));
        assert_eq!(current(&altered, &ctx, SECRET_VALUE).unwrap(), None);
        let later = Ctx::new(&store, &config, &NoOutbound, test_now() + Duration::hours(8));
        assert_eq!(current(&req, &later, SECRET_VALUE).unwrap(), None);

        revoke(&ctx, &session).unwrap();
        assert_eq!(current(&req, &ctx, SECRET_VALUE).unwrap(), None);
    }

    #[test]
    fn a_new_admin_token_signs_everyone_out() {
        let store = MemoryStore::default();
        let mut config = config();
        let ctx = Ctx::new(&store, &config, &NoOutbound, test_now());
        let (session, set) = start(&ctx, SECRET_VALUE, "admin").unwrap();
        let value = set.split(';').next().unwrap().to_string();
        let req = request_with(&value);
        assert_eq!(current(&req, &ctx, SECRET_VALUE).unwrap(), Some(session));
        assert!(!value.contains("admin-secret"), "the token itself is not in the cookie");

        config.insert("admin_token".into(), "the-new-admin-token".into());
        let ctx = Ctx::new(&store, &config, &NoOutbound, test_now());
        assert_eq!(current(&req, &ctx, SECRET_VALUE).unwrap(), None, "signed out");
        let (fresh, set) = start(&ctx, SECRET_VALUE, "admin").unwrap();
        let req = request_with(set.split(';').next().unwrap());
        assert_eq!(
            current(&req, &ctx, SECRET_VALUE).unwrap(),
            Some(fresh),
            "a new sign-in works"
        );
    }

    #[test]
    fn forms_need_the_sessions_own_token() {
        let session = Session {
            sid: "abc".into(),
            who: "admin".into(),
            exp: 0,
            tok: String::new(),
        };
        let other = Session {
            sid: "abd".into(),
            ..session.clone()
        };
        let token = session.csrf(SECRET_VALUE);
        let req = Request::new("POST", "/dashboard/leads/l_1/claim");
        assert!(form_is_ours(&req, &session, SECRET_VALUE, Some(&token)));
        assert!(!form_is_ours(&req, &session, SECRET_VALUE, None));
        assert!(!form_is_ours(&req, &other, SECRET_VALUE, Some(&token)));
        let mut cross = req.clone();
        cross.headers.push(("sec-fetch-site".into(), "cross-site".into()));
        assert!(!form_is_ours(&cross, &session, SECRET_VALUE, Some(&token)));
    }

    #[test]
    fn no_secret_or_no_admin_token_disables_sign_in() {
        let mut config = config();
        assert!(secret(&config).is_ok());
        config.insert(SECRET.into(), "short".into());
        assert_eq!(secret(&config), Err(Disabled::NoSecret));
        config.remove("admin_token");
        assert_eq!(secret(&config), Err(Disabled::NoAdminToken));
    }
}
