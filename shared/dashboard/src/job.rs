//! dashboard's routes: the table of [`JOB`]. Pages need a session
//! (`signed_in`); every write is a form post that also needs the
//! session's CSRF token (`form_post`).

use crate::api::{self, TARGETS};
use crate::assets;
use crate::i18n::{self, Lang};
use crate::page::urlencode;
use crate::page::{local_path, redirect, refusal, Frame};
use crate::screens::{self, Screen, Shown};
use crate::session;
use spin_retention_core::body::{self, Fields, Limits};
use spin_retention_core::contracts::alerts::Act;
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{Job, Outcome, ALERTS, SURVEY};
use spin_retention_core::ports::Ctx;
use spin_retention_core::routes::{Caller, Method, Params, Route};

const SESSION: Caller = Caller::Checked {
    who: "a signed-in dashboard session (cookie)",
    check: has_session,
};
const SESSION_FORM: Caller = Caller::Checked {
    who: "a signed-in dashboard session (cookie) and its CSRF token",
    check: posts_our_form,
};

pub const JOB: Job = Job {
    name: "dashboard",
    prefix: "/dashboard",
    handoffs: &TARGETS,
    streamed: &[],
    routes: &[
        Route {
            method: Method::GET,
            path: "/dashboard",
            caller: Caller::Anyone,
            handler: |_, _, _| Ok(redirect("/dashboard/hot").into()),
        },
        Route {
            method: Method::GET,
            path: "/dashboard/signin",
            caller: Caller::Anyone,
            handler: |req, ctx, _| Ok(screens::signin::show(req, ctx).into()),
        },
        Route {
            method: Method::POST,
            path: "/dashboard/signin",
            caller: Caller::Presents("anyone holding the admin token, typed into the form"),
            handler: sign_in,
        },
        Route {
            method: Method::POST,
            path: "/dashboard/signout",
            caller: SESSION_FORM,
            handler: sign_out,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/lang",
            caller: Caller::Anyone,
            handler: switch_lang,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/assets/{file}",
            caller: Caller::Anyone,
            handler: asset,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/hot",
            caller: SESSION,
            handler: |req, ctx, _| signed_in(req, ctx, screens::hot::show),
        },
        Route {
            method: Method::POST,
            path: "/dashboard/leads/{id}/claim",
            caller: SESSION_FORM,
            handler: claim,
        },
        Route {
            method: Method::POST,
            path: "/dashboard/leads/{id}/contacted",
            caller: SESSION_FORM,
            handler: contacted,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/people",
            caller: SESSION,
            handler: |req, ctx, _| signed_in(req, ctx, screens::person::find),
        },
        Route {
            method: Method::GET,
            path: "/dashboard/people/{id}",
            caller: SESSION,
            handler: person,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/people/{id}/erase",
            caller: SESSION,
            handler: confirm_erase,
        },
        Route {
            method: Method::POST,
            path: "/dashboard/people/{id}/erase",
            caller: SESSION_FORM,
            handler: erase,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/surveys",
            caller: SESSION,
            handler: |req, ctx, _| signed_in(req, ctx, screens::surveys::show),
        },
        Route {
            method: Method::POST,
            path: "/dashboard/followups/{survey}/{lead}/close",
            caller: SESSION_FORM,
            handler: close_follow_up,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/retention",
            caller: SESSION,
            handler: |req, ctx, _| signed_in(req, ctx, screens::retention::show),
        },
        Route {
            method: Method::GET,
            path: "/dashboard/audiences",
            caller: SESSION,
            handler: |req, ctx, _| signed_in(req, ctx, screens::audiences::show),
        },
        Route {
            method: Method::GET,
            path: "/dashboard/journeys",
            caller: SESSION,
            handler: |req, ctx, _| signed_in(req, ctx, screens::journeys::show),
        },
        Route {
            method: Method::GET,
            path: "/dashboard/journeys/{id}",
            caller: SESSION,
            handler: |req, ctx, p| signed_in(req, ctx, |s| screens::journeys::funnel(s, p.get("id"))),
        },
        Route {
            method: Method::POST,
            path: "/dashboard/journeys/{id}/status",
            caller: SESSION_FORM,
            handler: journey_status,
        },
        Route {
            method: Method::GET,
            path: "/dashboard/rules",
            caller: SESSION,
            handler: |req, ctx, _| signed_in(req, ctx, screens::rules::show),
        },
        Route {
            method: Method::POST,
            path: "/dashboard/rules/{name}",
            caller: SESSION_FORM,
            handler: save_rules,
        },
    ],
};

/// `POST /dashboard/signin`: the sign-in form's token.
fn sign_in(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let fields = fields(req).unwrap_or_default();
    Ok(screens::signin::sign_in(req, ctx, field(&fields, "token")).into())
}

/// `POST /dashboard/signout`: revokes the session and clears its cookie.
fn sign_out(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    form_post(req, ctx, |s, _| {
        if let Some(current) = current_session(s)? {
            session::revoke(s.ctx, &current).map_err(store_failure)?;
        }
        Ok(redirect("/dashboard/signin").with_header("set-cookie", &session::clear()))
    })
}

/// `GET /dashboard/lang?to=&back=`: sets the language cookie and goes back.
fn switch_lang(req: &Request, _ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let lang = req.query_param("to").and_then(|l| Lang::parse(&l)).unwrap_or(Lang::En);
    let back = local_path(req.query_param("back").as_deref());
    let cookie = format!(
        "{}={}; Path=/dashboard; Max-Age=31536000; HttpOnly; Secure; SameSite=Lax",
        i18n::COOKIE,
        lang.code()
    );
    Ok(redirect(&back).with_header("set-cookie", &cookie).into())
}

/// `GET /dashboard/assets/{file}`: the stylesheet, the one asset.
fn asset(req: &Request, _ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    if assets::STYLESHEET_PATH.ends_with(&format!("/{}", p.get("file"))) {
        Ok(assets::stylesheet().into())
    } else {
        Ok(spin_retention_core::problem::Problem::not_found(&req.path).into())
    }
}

/// `POST /dashboard/leads/{id}/claim`: claims the lead ([`act`]).
fn claim(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let id = p.get("id").to_string();
    form_post(req, ctx, move |s, f| act(s, f, &id, "claim"))
}

/// `POST /dashboard/leads/{id}/contacted`: records the contact ([`act`]).
fn contacted(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let id = p.get("id").to_string();
    form_post(req, ctx, move |s, f| act(s, f, &id, "contacted"))
}

/// `GET /dashboard/people/{id}`: a person's page.
fn person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let id = p.get("id").to_string();
    signed_in(req, ctx, move |s| screens::person::show(s, &id))
}

/// `GET /dashboard/people/{id}/erase`: asks to confirm an erase.
fn confirm_erase(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let id = p.get("id").to_string();
    signed_in(req, ctx, move |s| screens::person::confirm_erase(s, &id, false))
}

/// `POST /dashboard/people/{id}/erase`: erases the person, once confirmed.
fn erase(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let id = p.get("id").to_string();
    form_post(req, ctx, move |s, f| {
        screens::person::erase(s, &id, field(f, "confirm"))
    })
}

/// `POST /dashboard/followups/{survey}/{lead}/close`: closes a survey
/// follow-up through survey's admin route, then goes back.
fn close_follow_up(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let path = format!(
        "/survey/admin/followups/{}/{}/close",
        urlencode(p.get("survey")),
        urlencode(p.get("lead"))
    );
    form_post(req, ctx, move |s, f| {
        api::send::<()>(s.ctx, SURVEY, "POST", &path, None)?;
        Ok(redirect(&local_path(field(f, "back").or(Some("/dashboard/surveys")))))
    })
}

/// `POST /dashboard/journeys/{id}/status`: pauses or resumes a journey
/// (its `status` field).
fn journey_status(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let id = p.get("id").to_string();
    form_post(req, ctx, move |s, f| {
        screens::journeys::set_status(s, &id, field(f, "status").unwrap_or_default())
    })
}

/// `POST /dashboard/rules/{name}`: saves a rules document (its `json` field).
fn save_rules(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let name = p.get("name").to_string();
    form_post(req, ctx, move |s, f| {
        screens::rules::save(s, &name, field(f, "json").unwrap_or_default())
    })
}

/// The check of [`SESSION`]: without a signed-in session a browser is
/// sent to sign in.
fn has_session(req: &Request, ctx: &Ctx) -> Result<(), Reply> {
    let signed_in = match session::secret(ctx.config) {
        Ok(secret) => session::current(req, ctx, &secret)?.is_some(),
        Err(_) => false,
    };
    signed_in.then_some(()).ok_or_else(|| redirect("/dashboard/signin"))
}

/// The check of [`SESSION_FORM`]: a form we sent, posted with its session
/// and CSRF token; else 403.
fn posts_our_form(req: &Request, ctx: &Ctx) -> Result<(), Reply> {
    let lang = Lang::of(req);
    let forbidden = || refusal(lang, 403, lang.t("forbidden"), lang.t("forbidden"));
    let secret = session::secret(ctx.config).map_err(|_| forbidden())?;
    let current = session::current(req, ctx, &secret)?.ok_or_else(forbidden)?;
    // A body we cannot read as our form (too long, another type) is
    // refused for what it is (413, 415), not as a forgery.
    let fields = fields(req).map_err(|problem| {
        let detail = problem.detail.clone().unwrap_or_default();
        refusal(lang, problem.status, &problem.title, &detail)
    })?;
    match session::form_is_ours(req, &current, &secret, field(&fields, "csrf")) {
        true => Ok(()),
        false => Err(forbidden()),
    }
}

/// A page for a signed-in user (its route's [`SESSION`] check admitted
/// it); without a session a browser is sent to sign in.
fn signed_in(req: &Request, ctx: &Ctx, page: impl FnOnce(&Screen) -> Shown) -> Result<Outcome, Reply> {
    let Ok(secret) = session::secret(ctx.config) else {
        return Ok(redirect("/dashboard/signin").into());
    };
    let Some(current) = session::current(req, ctx, &secret)? else {
        return Ok(redirect("/dashboard/signin").into());
    };
    let screen = screen(req, ctx, &current, &secret);
    if !plain_path(&req.path) {
        return Ok(screen.failed(&not_ours(&req.path)).into());
    }
    Ok(page(&screen).unwrap_or_else(|failure| screen.failed(&failure)).into())
}

/// A form post (its route's [`SESSION_FORM`] check admitted it): refused
/// (403) without a session or without its CSRF token.
fn form_post(req: &Request, ctx: &Ctx, act: impl FnOnce(&Screen, &Fields) -> Shown) -> Result<Outcome, Reply> {
    let lang = Lang::of(req);
    let forbidden = || Ok(refusal(lang, 403, lang.t("forbidden"), lang.t("forbidden")).into());
    let Ok(secret) = session::secret(ctx.config) else {
        return forbidden();
    };
    let Some(current) = session::current(req, ctx, &secret)? else {
        return forbidden();
    };
    let fields = match fields(req) {
        Ok(fields) => fields,
        // Not a form we sent (too long, another type): nothing to act on.
        Err(problem) => {
            let detail = problem.detail.clone().unwrap_or_default();
            return Ok(refusal(lang, problem.status, &problem.title, &detail).into());
        }
    };
    if !session::form_is_ours(req, &current, &secret, field(&fields, "csrf")) {
        return forbidden();
    }
    let screen = screen(req, ctx, &current, &secret);
    if !plain_path(&req.path) {
        return Ok(screen.failed(&not_ours(&req.path)).into());
    }
    Ok(act(&screen, &fields)
        .unwrap_or_else(|failure| screen.failed(&failure))
        .into())
}

/// Ids in our paths are plain words (`l_3f2a...`, `nps-q4`): anything else
/// (`..`, an encoded slash) is no page of ours and never reaches a job.
fn plain_path(path: &str) -> bool {
    path.split('/').skip(1).all(|segment| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment.len() <= 128
            && segment.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    })
}

fn not_ours(path: &str) -> api::Failure {
    api::Failure::new(404, format!("no page at {path}"))
}

fn screen<'a, 'c>(req: &'a Request, ctx: &'a Ctx<'c>, current: &session::Session, secret: &str) -> Screen<'a, 'c> {
    // Where the language switch returns: this page, or for a page a form
    // post answered (a refusal shown again), the page that has the form.
    let here = if req.method == "POST" {
        if req.path.starts_with("/dashboard/rules") {
            "/dashboard/rules".to_string()
        } else if req.path.ends_with("/erase") {
            req.path.clone()
        } else {
            "/dashboard/hot".to_string()
        }
    } else if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    Screen {
        ctx,
        req,
        frame: Frame::new(Lang::of(req), current, secret, here),
    }
}

fn current_session(s: &Screen) -> Result<Option<session::Session>, api::Failure> {
    let secret = session::secret(s.ctx.config).unwrap_or_default();
    session::current(s.req, s.ctx, &secret).map_err(store_failure)
}

fn store_failure(e: spin_retention_core::store::StoreError) -> api::Failure {
    api::Failure::new(503, e.to_string())
}

/// A form's fields; rules are JSON documents of up to 256 KiB.
fn fields(req: &Request) -> Result<Fields, Box<spin_retention_core::problem::Problem>> {
    let limits = Limits {
        max_fields: 10,
        max_name_len: 32,
        max_value_len: 256 * 1024,
    };
    body::parse(req.header("content-type"), &req.body, limits).map_err(Box::new)
}

fn field<'f>(fields: &'f Fields, name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Claim or contacted, through lead-alerts' admin route, for the member
/// chosen (else the assignee). A lead someone else claimed first goes back
/// to the page, which shows who has it.
fn act(s: &Screen, fields: &Fields, id: &str, action: &str) -> Shown {
    let body = Act {
        member_id: field(fields, "member_id").map(str::to_string),
        outcome: field(fields, "outcome")
            .filter(|_| action == "contacted")
            .map(str::to_string),
    };
    let path = format!("/alerts/admin/leads/{}/{action}", urlencode(id));
    let back = local_path(field(fields, "back"));
    match api::send(s.ctx, ALERTS, "POST", &path, Some(&body)) {
        Ok(_) => Ok(redirect(&back)),
        Err(f) if f.status == 409 => Ok(redirect(&back)),
        Err(f) => Err(f),
    }
}
