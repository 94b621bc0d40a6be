//! The frame of every page, and the few ways a page is answered.
//!
//! Every dynamic value goes through [`esc`] (names, comments and messages
//! are what people typed). Pages run no script at all: the
//! Content-Security-Policy allows only our own stylesheet, forms that post
//! to us, and nothing framed, so even markup that slipped through could
//! not run.

use crate::i18n::Lang;
use crate::session::Session;
use chrono::{DateTime, Utc};
use serde::Serialize;
use spin_retention_core::http::Reply;

pub use spin_retention_core::html::escape as esc;

pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       base-uri 'none'; frame-ancestors 'none'";

/// The name an owner gives a value of one of its enums (`email_link`,
/// `wrong_number`), as it serialises it, escaped.
pub fn name<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    esc(json.trim_matches('"'))
}

/// Text that may be absent, escaped (`""` when it is).
pub fn opt(value: &Option<String>) -> String {
    esc(value.as_deref().unwrap_or_default())
}

/// What every page of a signed-in user shows around its content.
pub struct Frame {
    pub lang: Lang,
    pub csrf: String,
    pub who: String,
    /// The page's own path and query, where the language switch returns.
    pub here: String,
}

impl Frame {
    pub fn new(lang: Lang, session: &Session, secret: &str, here: String) -> Frame {
        Frame {
            lang,
            csrf: session.csrf(secret),
            who: session.who.clone(),
            here,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// A form that posts to `action` with this session's CSRF token.
    pub fn form(&self, action: &str, class: &str, inner: &str) -> String {
        format!(
            "<form method=\"post\" action=\"{}\" class=\"{class}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{inner}</form>",
            esc(action),
            esc(&self.csrf)
        )
    }

    /// A whole page with the navigation; `body` is HTML built with [`esc`].
    pub fn page(&self, active: &str, title: &str, body: &str) -> Reply {
        let nav: String = [
            ("hot", "/dashboard/hot", "nav.hot"),
            ("surveys", "/dashboard/surveys", "nav.surveys"),
            ("retention", "/dashboard/retention", "nav.retention"),
            ("audiences", "/dashboard/audiences", "nav.audiences"),
            ("journeys", "/dashboard/journeys", "nav.journeys"),
            ("rules", "/dashboard/rules", "nav.rules"),
            ("find", "/dashboard/people", "nav.find"),
        ]
        .iter()
        .map(|(id, href, key)| {
            let current = if *id == active { " aria-current=\"page\"" } else { "" };
            format!("<a href=\"{href}\"{current}>{}</a>", self.t(key))
        })
        .collect();
        let switch = format!(
            "<a class=\"lang\" href=\"/dashboard/lang?to={}&amp;back={}\" lang=\"{}\">{}</a>",
            self.lang.other().code(),
            esc(&urlencode(&self.here)),
            self.lang.other().code(),
            self.t("switch")
        );
        let signout = self.form(
            "/dashboard/signout",
            "signout",
            &format!("<button type=\"submit\">{}</button>", self.t("signout")),
        );
        let header = format!(
            "<header><strong class=\"brand\">{}</strong><nav>{nav}</nav><span class=\"who\">{} {}</span>{switch}{signout}</header>",
            self.t("app"),
            self.t("signed.in.as"),
            esc(&self.who)
        );
        document(
            self.lang,
            200,
            title,
            &format!("{header}<main><h1>{}</h1>{body}</main>", esc(title)),
        )
    }
}

/// A page without the navigation (sign-in, errors before a session).
pub fn document(lang: Lang, status: u16, title: &str, body: &str) -> Reply {
    let html = format!(
        "<!doctype html><html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{}\"></head><body>{body}</body></html>",
        lang.code(),
        lang.dir(),
        esc(title),
        crate::assets::STYLESHEET_PATH,
    );
    spin_retention_core::html::reply(status, CSP, html)
}

/// A short page that says what went wrong, with its status.
pub fn refusal(lang: Lang, status: u16, title: &str, detail: &str) -> Reply {
    let body = format!(
        "<main class=\"narrow\"><h1>{}</h1><p>{}</p><p><a href=\"/dashboard/hot\">{}</a></p></main>",
        esc(title),
        esc(detail),
        lang.t("nav.hot")
    );
    document(lang, status, title, &body)
}

/// `303 See Other` to a path of ours.
pub fn redirect(location: &str) -> Reply {
    Reply {
        status: 303,
        headers: vec![
            ("location".into(), location.to_string()),
            ("cache-control".into(), "no-store".into()),
        ],
        body: Vec::new(),
    }
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A path to come back to: only a dashboard path of ours, never another
/// site (`//evil.example`), never out of `/dashboard` (`..`, or `%2e%2e`
/// that a browser resolves as `..`), never a broken `Location` (control
/// characters). Anything else goes to the hot leads.
pub fn local_path(back: Option<&str>) -> String {
    let ours = |b: &str| {
        let rest = b.strip_prefix("/dashboard").unwrap_or("x");
        let lower = b.to_ascii_lowercase();
        (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
            && b.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/?=&%-_.#~+:,".contains(c))
            && !b.contains("//")
            && !b.contains("..")
            && !["%2e", "%2f", "%5c", "%00"].iter().any(|bad| lower.contains(bad))
    };
    match back {
        Some(b) if ours(b) => b.to_string(),
        _ => "/dashboard/hot".to_string(),
    }
}

/// `2026-11-23T10:05:00Z` as `2026-11-23 10:05` (UTC).
pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// A span of minutes as `3 h 05 min` or `12 min`.
pub fn minutes(total: i64) -> String {
    let total = total.abs();
    if total >= 60 * 24 {
        format!("{} d {} h", total / (60 * 24), total % (60 * 24) / 60)
    } else if total >= 60 {
        format!("{} h {:02} min", total / 60, total % 60)
    } else {
        format!("{total} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_paths_stay_ours() {
        assert_eq!(
            opt(&Some("<script>alert(1)</script>".into())),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(opt(&None), "");
        assert_eq!(name(&spin_retention_core::lead::ConfirmedBy::EmailLink), "email_link");
        assert_eq!(
            local_path(Some("/dashboard/people/l_1?x=1")),
            "/dashboard/people/l_1?x=1"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/dashboard/../intake",
            "/dashboard//evil.example",
            "/x",
            "/dashboardx",
            "/dashboard/%2e%2e/intake/thanks",
            "/dashboard/%2E%2E/intake",
            "/dashboard/hot\r\nset-cookie: x=1",
            "/dashboard/\\evil",
        ] {
            assert_eq!(local_path(Some(bad)), "/dashboard/hot", "{bad}");
        }
    }

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(minutes(12), "12 min");
        assert_eq!(minutes(-185), "3 h 05 min");
        assert_eq!(minutes(60 * 24 * 2 + 90), "2 d 1 h");
    }
}
