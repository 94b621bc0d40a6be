//! Click tracking: each link an admin wrote into a message's text goes out
//! as `…/journeys/c/<token>`, a signed token (`journeys_link_secret`) that
//! names the time through, the step, the language and which link of the
//! text it is. Following it records the click and redirects to the link,
//! read again from the journey's own version: so only links of our own
//! templates can be reached (no open redirect), and the token holds no URL.
//!
//! A link with a placeholder in it (`https://shop.example/?ref={first_name}`)
//! goes out untracked, as does every link without the secret or an https
//! `public_url`. A mail scanner that opens links counts as a click, as it
//! does for every sender that tracks them.

use crate::document::Step;
use crate::{instance, keys, render};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::html;
use spin_retention_core::http::Reply;
use spin_retention_core::ports::{Config, Ctx};
use spin_retention_core::signed;
use spin_retention_core::store::{JsonStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claims {
    /// `click`: no other link signed with this secret reads as one.
    p: String,
    i: String,
    s: usize,
    g: String,
    n: usize,
}

/// The links of `text` that can be tracked, in order: `https://` or
/// `http://` up to a space, less trailing punctuation; none with a `{`.
fn links(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("http").map(|i| from + i) {
        let rest = &text[at..];
        if !(rest.starts_with("https://") || rest.starts_with("http://")) {
            from = at + 4;
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let link = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '"', '\'']);
        if !link.contains('{') {
            found.push((at, link));
        }
        from = at + end.max(1);
    }
    found
}

/// `template` with each link it tracks replaced by its tracked URL; as it
/// is without a secret or an https `public_url`.
pub fn track(config: &dyn Config, template: &str, instance: &str, step: usize, language: &str) -> String {
    let Some(secret) = config.get(crate::unsubscribe::SECRET).filter(|s| !s.is_empty()) else {
        return template.to_string();
    };
    let origin = config.get("public_url").unwrap_or_default();
    if !origin.starts_with("https://") {
        return template.to_string();
    }
    let mut out = String::with_capacity(template.len());
    let mut copied = 0;
    for (n, (at, link)) in links(template).into_iter().enumerate() {
        let claims = Claims {
            p: "click".into(),
            i: instance.into(),
            s: step,
            g: language.into(),
            n,
        };
        out.push_str(&template[copied..at]);
        out.push_str(&format!(
            "{}/journeys/c/{}",
            origin.trim_end_matches('/'),
            signed::sign(&claims, &secret)
        ));
        copied = at + link.len();
    }
    out.push_str(&template[copied..]);
    out
}

fn gone() -> Reply {
    html::page(
        404,
        "en",
        "ltr",
        "Link not valid",
        "<p>This link is not valid any more.</p>",
    )
}

/// `GET /journeys/c/{token}`: records the click and redirects to the link.
pub fn follow(ctx: &Ctx, token: &str) -> Result<Reply, StoreError> {
    let secret = ctx.config.get(crate::unsubscribe::SECRET).filter(|s| !s.is_empty());
    let Some(claims) = secret
        .and_then(|secret| signed::verify::<Claims>(token, &secret).ok())
        .filter(|c| c.p == "click")
    else {
        return Ok(gone());
    };
    let store = ctx.store;
    // Erased since: nothing of them is kept, not even where the link led.
    let Some(through) = store.get_json(&keys::instance(&claims.i))? else {
        return Ok(gone());
    };
    let Some(journey) = store.get_json(&keys::version(&through.journey, &through.version))? else {
        return Ok(gone());
    };
    let Some(Step::Send(send)) = journey.steps.get(claims.s) else {
        return Ok(gone());
    };
    let text = render::pick(&send.text, &claims.g);
    let Some(&(_, link)) = links(text).get(claims.n) else {
        return Ok(gone());
    };
    if store.increment(&keys::click(&claims.i, claims.s), 1)? == 1 {
        store.set_json(&keys::clicked(&claims.i, claims.s), &ctx.now)?;
        instance::count(store, &through.journey, "clicked")?;
    }
    instance::count(store, &through.journey, "clicks")?;
    Ok(Reply {
        status: 302,
        headers: vec![
            ("location".into(), link.to_string()),
            ("cache-control".into(), "no-store".into()),
            ("referrer-policy".into(), "no-referrer".into()),
        ],
        body: Vec::new(),
    })
}

/// When the message of `step` was first clicked, if it was.
pub fn clicked_at(ctx: &Ctx, instance: &str, step: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    ctx.store.get_json(&keys::clicked(instance, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stop_at_spaces_and_trailing_punctuation_and_skip_placeholders() {
        let text =
            "See https://shop.example/a?b=1. Or (http://x.example/y), not https://s.example/{first_name} nor httpx";
        let found: Vec<&str> = links(text).into_iter().map(|(_, l)| l).collect();
        assert_eq!(found, ["https://shop.example/a?b=1", "http://x.example/y"]);
    }
}
