//! The signed links in an alert: "I'm on it" (claim) and "Contacted". A
//! link names the lead, the person it was sent to and the action, and
//! expires (`link_ttl_hours`); it is signed with the `alert_link_secret`
//! variable ([`spin_retention_core::signed`]).
//!
//! Opening a link shows a page with one button; the button's POST does the
//! action. Mail scanners open links in alerts, so a GET never acts.

use crate::record::{Claimed, ContactOutcome, Contacted, LeadAlerts};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::html::{escape, page};
use spin_retention_core::http::Reply;
use spin_retention_core::ports::Config;
use spin_retention_core::signed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Claim,
    Contact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "l")]
    pub lead_id: String,
    /// The member's id, or `owner`.
    #[serde(rename = "m")]
    pub who: String,
    #[serde(rename = "a")]
    pub action: Action,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No secret set, so no link can be trusted.
    Disabled,
    Invalid,
    Expired,
}

pub const SECRET: &str = "alert_link_secret";

/// Where links point: the app's public origin (`public_url`).
pub fn url(config: &dyn Config, claims: &Claims) -> String {
    let origin = config
        .get("public_url")
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let token = match config.get(SECRET) {
        Some(secret) => signed::sign(claims, &secret),
        // Unsigned links would let anyone claim; the page says why.
        None => "disabled".into(),
    };
    format!("{}/alerts/links/{token}", origin.trim_end_matches('/'))
}

pub fn claims(lead_id: &str, who: &str, action: Action, now: DateTime<Utc>, ttl_hours: u32) -> Claims {
    Claims {
        lead_id: lead_id.into(),
        who: who.into(),
        action,
        // Saturating: a value stored before the bound was checked must not trap.
        expires: now
            .checked_add_signed(Duration::hours(ttl_hours.into()))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
            .timestamp(),
    }
}

pub fn verify(config: &dyn Config, token: &str, now: DateTime<Utc>) -> Result<Claims, Refused> {
    let secret = config.get(SECRET).ok_or(Refused::Disabled)?;
    signed::verify_unexpired(token, &secret, now).map_err(|refused| match refused {
        signed::Refused::Invalid => Refused::Invalid,
        signed::Refused::Expired => Refused::Expired,
    })
}

impl signed::Expiring for Claims {
    fn expires(&self) -> i64 {
        self.expires
    }
}

fn html(status: u16, title: &str, body: &str) -> Reply {
    let style = "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}\
                 button{font-size:1.1rem;padding:.6rem 1rem;margin:.25rem}</style>";
    page(
        status,
        "en",
        "ltr",
        title,
        &format!("{style}<h1>{}</h1>{body}", escape(title)),
    )
}

pub fn refused(refused: Refused) -> Reply {
    match refused {
        Refused::Disabled => html(
            503,
            "Links are not set up",
            "<p>This app has no <code>alert_link_secret</code>, so alert links cannot be checked. Use the admin API.</p>",
        ),
        Refused::Invalid => html(
            403,
            "This link is not valid",
            "<p>The link was changed or is not one of ours. Open it from the alert again.</p>",
        ),
        Refused::Expired => html(
            410,
            "This link has expired",
            "<p>Alert links work for a limited time. The lead is still in the hot queue.</p>",
        ),
    }
}

/// The page a link opens: who the lead is and the button(s).
pub fn confirm(claims: &Claims, lead_name: &str, state: &LeadAlerts) -> Reply {
    let name = escape(lead_name);
    let status = status_line(state);
    let body = match claims.action {
        Action::Claim => {
            format!("<p>{name}</p>{status}<form method=\"post\"><button type=\"submit\">I'm on it</button></form>")
        }
        Action::Contact => {
            let buttons: String = ContactOutcome::ALL
                .iter()
                .map(|o| {
                    format!(
                        "<button type=\"submit\" name=\"outcome\" value=\"{}\">{}</button>",
                        o.name(),
                        o.label()
                    )
                })
                .collect();
            format!(
                "<p>{name}</p>{status}<form method=\"post\">{buttons}\
                 <button type=\"submit\">Contacted (no outcome)</button></form>"
            )
        }
    };
    let title = match claims.action {
        Action::Claim => "Claim this lead",
        Action::Contact => "Record the first contact",
    };
    html(200, title, &body)
}

fn status_line(state: &LeadAlerts) -> String {
    let mut out = String::new();
    if let Some(c) = &state.claimed {
        out.push_str(&format!(
            "<p>Claimed by {} at {}.</p>",
            escape(&c.by.name),
            c.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if let Some(c) = &state.contacted {
        out.push_str(&format!(
            "<p>First contact by {} at {}.</p>",
            escape(&c.by.name),
            c.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    out
}

pub fn claimed_page(claimed: &Claimed, yours: bool) -> Reply {
    if yours {
        html(
            200,
            "It's yours",
            &format!("<p>Claimed by {}. Call them now.</p>", escape(&claimed.by.name)),
        )
    } else {
        html(
            409,
            "Already claimed",
            &format!("<p>{} claimed this lead first.</p>", escape(&claimed.by.name)),
        )
    }
}

pub fn in_flight() -> Reply {
    html(
        409,
        "One moment",
        "<p>Someone is recording this lead right now. Open the link again in a moment.</p>",
    )
}

pub fn contacted_page(contacted: &Contacted, first: bool) -> Reply {
    let outcome = contacted
        .outcome
        .map(|o| format!(" ({})", o.label()))
        .unwrap_or_default();
    let text = if first {
        format!("<p>First contact recorded{outcome}.</p>")
    } else {
        format!(
            "<p>The first contact was already recorded by {}{outcome}.</p>",
            escape(&contacted.by.name)
        )
    };
    html(200, "Contact recorded", &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn tampered_and_expired_links_are_refused() {
        let now = spin_retention_core::ports::test_now();
        let config: HashMap<String, String> = [(SECRET.to_string(), "k".to_string())].into();
        let c = claims("l_1", "dana", Action::Claim, now, 1);
        let link = url(&config, &c);
        let token = link.rsplit('/').next().unwrap();
        assert_eq!(verify(&config, token, now), Ok(c.clone()));
        assert_eq!(verify(&config, token, now + Duration::hours(1)), Err(Refused::Expired));
        let forged = signed::sign(&Claims { who: "noa".into(), ..c }, "other");
        assert_eq!(verify(&config, &forged, now), Err(Refused::Invalid));
        assert_eq!(verify(&HashMap::new(), token, now), Err(Refused::Disabled));
    }

    #[test]
    fn a_stored_ttl_past_the_calendar_does_not_trap() {
        let now = spin_retention_core::ports::test_now();
        let c = claims("l_1", "dana", Action::Claim, now, u32::MAX);
        assert_eq!(c.expires, DateTime::<Utc>::MAX_UTC.timestamp());
    }
}
