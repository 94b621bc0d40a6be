//! Who may pull an export: each platform with its own credential (Spin
//! variable `export_token_<platform>`), as a bearer token or, for pullers
//! that only speak HTTP Basic, as the password with the platform's name as
//! the user (`google:<token>`). A platform's credential pulls only its own
//! format; the admin token pulls any.

use super::formats::Format;
use spin_retention_core::auth::{credentials, same_secret, Credentials, ADMIN_TOKEN};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ports::Config;
use spin_retention_core::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Puller {
    Admin,
    Platform(Format),
}

impl Puller {
    /// Named in the export log.
    pub fn name(self) -> &'static str {
        match self {
            Puller::Admin => "admin",
            Puller::Platform(format) => format.name(),
        }
    }

    /// The format a pull gets when it names none.
    pub fn default_format(self) -> Format {
        match self {
            Puller::Admin => Format::Csv,
            Puller::Platform(format) => format,
        }
    }
}

pub fn token_variable(format: Format) -> String {
    format!("export_token_{}", format.name())
}

fn unauthorized() -> Reply {
    Reply::from(Problem::new(401, "unauthorized", "Unauthorized").with_detail(
        "pull with the platform's export token: Authorization: Bearer <token>, or Basic with the platform's name as user",
    ))
    .with_header("www-authenticate", "Bearer, Basic realm=\"audiences\"")
}

/// The puller whose credential the request carries. Every configured
/// token is compared (in constant time), so timing tells nothing either.
pub fn identify(req: &Request, config: &dyn Config) -> Result<Puller, Reply> {
    let secret = |name: &str| config.get(name).unwrap_or_default();
    let mut found = None;
    match credentials(req) {
        Credentials::Bearer(token) => {
            if same_secret(&token, &secret(ADMIN_TOKEN)) {
                found = Some(Puller::Admin);
            }
            for format in Format::ALL {
                if same_secret(&token, &secret(&token_variable(format))) {
                    found = Some(Puller::Platform(format));
                }
            }
        }
        Credentials::Basic { user, password } => {
            for format in Format::ALL {
                let matches = same_secret(&password, &secret(&token_variable(format)));
                if matches && user == format.name() {
                    found = Some(Puller::Platform(format));
                }
            }
        }
        Credentials::None => {}
    }
    found.ok_or_else(unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn req(auth: &str) -> Request {
        let mut r = Request::new("GET", "/audiences/promoters/export");
        r.headers.push(("authorization".into(), auth.into()));
        r
    }

    #[test]
    fn each_platform_has_its_own_credential() {
        let config: HashMap<String, String> = [
            ("admin_token", "adm"),
            ("export_token_google", "g-secret"),
            ("export_token_meta", "m-secret"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        let who = |auth: &str| identify(&req(auth), &config).map_err(|r| r.status);
        assert_eq!(who("Bearer g-secret"), Ok(Puller::Platform(Format::Google)));
        assert_eq!(who("Bearer m-secret"), Ok(Puller::Platform(Format::Meta)));
        assert_eq!(who("Bearer adm"), Ok(Puller::Admin));
        // base64("google:g-secret")
        assert_eq!(who("Basic Z29vZ2xlOmctc2VjcmV0"), Ok(Puller::Platform(Format::Google)));
        // base64("meta:g-secret"): google's password under meta's name.
        assert_eq!(who("Basic bWV0YTpnLXNlY3JldA=="), Err(401));
        assert_eq!(who("Bearer nope"), Err(401));
        // No token configured for tiktok: an empty one never matches.
        assert_eq!(who("Bearer "), Err(401));
    }
}
