//! Unsubscribing, as RFC 8058 asks: every marketing email carries
//! `List-Unsubscribe: <https://…/journeys/unsubscribe/<token>>` and
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. A mail client
//! POSTs `List-Unsubscribe=One-Click` there with no cookie and no
//! credentials; the answer is a 200 (never a redirect), and the opt-out is
//! written before it, so the next send (which checks it) sends nothing.
//! The same URL opened in a browser shows a page with one button.
//!
//! The token is signed (`journeys_link_secret`) and names only the person
//! and the topic; it does not expire, since mail clients keep it.

use crate::instance::OptOut;
use crate::keys;
use serde::{Deserialize, Serialize};
use spin_retention_core::html;
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ports::{Config, Ctx};
use spin_retention_core::signed;
use spin_retention_core::store::JsonStore;

/// The topic an opt-out from everything names.
pub const ALL: &str = "all";

/// The opt-out of a reply of STOP to an SMS: marketing by SMS and WhatsApp
/// only (email goes on). No journey's topic may take these names.
pub const SMS_STOP: &str = "sms-stop";

pub const SECRET: &str = "journeys_link_secret";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claims {
    /// `unsubscribe`: no other link signed with this secret reads as one.
    p: String,
    l: String,
    t: String,
    /// The person's language (`en`, `he`), for the page.
    g: String,
}

/// The unsubscribe URL of `lead_id` for `topic`; `None` without a secret.
pub fn url(config: &dyn Config, lead_id: &str, topic: &str, language: &str) -> Option<String> {
    let secret = config.get(SECRET).filter(|s| !s.is_empty())?;
    let claims = Claims {
        p: "unsubscribe".into(),
        l: lead_id.into(),
        t: topic.into(),
        g: language.into(),
    };
    let origin = config.get("public_url").unwrap_or_default();
    Some(format!(
        "{}/journeys/unsubscribe/{}",
        origin.trim_end_matches('/'),
        signed::sign(&claims, &secret)
    ))
}

fn verify(config: &dyn Config, token: &str) -> Option<Claims> {
    let secret = config.get(SECRET).filter(|s| !s.is_empty())?;
    signed::verify::<Claims>(token, &secret)
        .ok()
        .filter(|c| c.p == "unsubscribe")
}

/// The page's words: `(title, text, button)` per step, in English or Hebrew.
fn words(language: &str, what: &str) -> (&'static str, &'static str) {
    match (language, what) {
        ("he", "ask") => ("הסרה מרשימת התפוצה", "להפסיק לקבל את ההודעות האלה?"),
        ("he", "button") => ("הסרה", ""),
        ("he", "done") => ("הוסרת מהרשימה", "לא יישלחו אליך עוד הודעות כאלה."),
        (_, "ask") => ("Unsubscribe", "Stop getting these emails?"),
        (_, "button") => ("Unsubscribe", ""),
        _ => (
            "Unsubscribed",
            "You are unsubscribed. You will get no more of these emails.",
        ),
    }
}

fn page(status: u16, language: &str, title: &str, body: &str) -> Reply {
    let dir = if language == "he" { "rtl" } else { "ltr" };
    html::page(status, language, dir, title, body)
}

fn refused() -> Reply {
    page(
        404,
        "en",
        "Link not valid",
        "<p>This unsubscribe link is not valid. Use the link in your latest email.</p>",
    )
}

/// `GET /journeys/unsubscribe/{token}`: the page with the button.
pub fn show(_req: &Request, ctx: &Ctx, token: &str) -> Reply {
    let Some(claims) = verify(ctx.config, token) else {
        return refused();
    };
    let action = format!("/journeys/unsubscribe/{}", html::escape(token));
    let (title, ask) = words(&claims.g, "ask");
    let (button, _) = words(&claims.g, "button");
    page(
        200,
        &claims.g,
        title,
        &format!(
            "<h1>{title}</h1><p>{ask}</p><form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">{button}</button></form>"
        ),
    )
}

/// `POST /journeys/unsubscribe/{token}`: one click, from a mail client or
/// the page's button. 200 either way, with no redirect.
pub fn one_click(req: &Request, ctx: &Ctx, token: &str) -> Result<Reply, Reply> {
    let Some(claims) = verify(ctx.config, token) else {
        return Ok(refused());
    };
    let via = if req.header("cookie").is_none() && req.header("referer").is_none() {
        "one-click"
    } else {
        "page"
    };
    let key = keys::opt_out(&claims.l, &claims.t);
    if !ctx.store.exists(&key)? {
        ctx.store.set_json(
            &key,
            &OptOut {
                at: ctx.now,
                via: via.into(),
            },
        )?;
    }
    let (title, text) = words(&claims.g, "done");
    Ok(page(200, &claims.g, title, &format!("<h1>{title}</h1><p>{text}</p>")))
}
