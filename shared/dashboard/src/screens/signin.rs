//! The sign-in page: the admin token, pasted once, for a session cookie.

use crate::i18n::Lang;
use crate::page::{document, esc, redirect};
use crate::session::{self, Disabled};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ports::Ctx;

pub fn form(lang: Lang, status: u16, problem: Option<&str>) -> Reply {
    let problem = problem
        .map(|p| format!("<p class=\"problem\" role=\"alert\">{}</p>", esc(p)))
        .unwrap_or_default();
    let switch = format!(
        "<a class=\"lang\" href=\"/dashboard/lang?to={}&amp;back=%2Fdashboard%2Fsignin\" lang=\"{}\">{}</a>",
        lang.other().code(),
        lang.other().code(),
        lang.t("switch")
    );
    let body = format!(
        "<main class=\"narrow\"><p>{switch}</p><h1>{}</h1>{problem}\
         <form method=\"post\" action=\"/dashboard/signin\" class=\"signin\">\
         <label>{} <input type=\"password\" name=\"token\" autocomplete=\"off\" required autofocus></label>\
         <button type=\"submit\">{}</button></form><p class=\"muted\">{}</p></main>",
        lang.t("app"),
        lang.t("signin.token"),
        lang.t("signin"),
        lang.t("signin.help"),
    );
    document(lang, status, lang.t("signin"), &body)
}

pub fn show(req: &Request, ctx: &Ctx) -> Reply {
    let lang = Lang::of(req);
    match session::secret(ctx.config) {
        Ok(_) => form(lang, 200, None),
        Err(Disabled::NoSecret | Disabled::NoAdminToken) => form(lang, 503, Some(lang.t("signin.disabled"))),
    }
}

/// `POST /dashboard/signin` `token=`: the admin token for a session.
pub fn sign_in(req: &Request, ctx: &Ctx, token: Option<&str>) -> Reply {
    let lang = Lang::of(req);
    let Ok(secret) = session::secret(ctx.config) else {
        return form(lang, 503, Some(lang.t("signin.disabled")));
    };
    let admin = ctx
        .config
        .get(spin_retention_core::auth::ADMIN_TOKEN)
        .unwrap_or_default();
    let cross_site = req
        .header("sec-fetch-site")
        .is_some_and(|s| s.eq_ignore_ascii_case("cross-site"));
    let right = token.is_some_and(|t| spin_retention_core::auth::same_secret(t.trim(), &admin));
    if cross_site || !right {
        return form(lang, 401, Some(lang.t("signin.wrong")));
    }
    match session::start(ctx, &secret, "admin") {
        Ok((_, cookie)) => redirect("/dashboard/hot").with_header("set-cookie", &cookie),
        Err(e) => form(lang, 503, Some(&e)),
    }
}
