//! Audiences: each definition with its size and the last pull from the
//! export log, then the newest pulls, paged.

use super::{Screen, Shown};
use crate::api::{self, enc};
use crate::page::{esc, text, when};
use serde_json::Value;
use spin_retention_core::jobs::AUDIENCES;

const PULLS: usize = 20;
/// Log entries read to find each audience's last pull.
const RECENT: usize = 200;

pub fn show(s: &Screen) -> Shown {
    let definitions = api::get(s.ctx, AUDIENCES, "/audiences/admin/definitions")?;
    let recent = api::get(s.ctx, AUDIENCES, &format!("/audiences/admin/log?limit={RECENT}"))?;
    let recent = recent["items"].as_array().cloned().unwrap_or_default();
    let audiences = definitions["definitions"]["audiences"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut rows = String::new();
    for audience in &audiences {
        let id = audience["id"].as_str().unwrap_or_default();
        let size = api::get(s.ctx, AUDIENCES, &format!("/audiences/{}/size", enc(id)))?;
        let last = recent
            .iter()
            .find(|p| p["audience"].as_str() == Some(id))
            .map(|p| {
                format!(
                    "{} · {} · {}",
                    when(&p["finished_at"]),
                    text(&p["puller"]),
                    text(&p["rows"])
                )
            })
            .unwrap_or_else(|| format!("<span class=\"muted\">{}</span>", s.t("never")));
        // One condition a line, as written.
        let definition = audience["when"]
            .as_array()
            .map(|w| w.iter().map(Value::to_string).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr id=\"audience-{}\"><td><strong>{}</strong><div class=\"muted\">{}</div></td><td class=\"num\">{}</td><td>{last}</td><td><pre>{}</pre></td></tr>",
            esc(id),
            esc(id),
            text(&audience["description"]),
            text(&size["members"]),
            esc(&definition)
        ));
    }
    let table = format!(
        "<table class=\"audiences\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        s.t("audience"),
        s.t("size"),
        s.t("last.pull"),
        s.t("definition")
    );
    let body = format!("{table}{}", pulls(s)?);
    Ok(s.frame.page("audiences", s.t("nav.audiences"), &body))
}

fn pulls(s: &Screen) -> Result<String, api::Failure> {
    let mut path = format!("/audiences/admin/log?limit={PULLS}");
    if let Some(cursor) = s.param("cursor") {
        path.push_str(&format!("&cursor={}", enc(&cursor)));
    }
    let log = api::get(s.ctx, AUDIENCES, &path)?;
    let rows: String = log["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p: &Value| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                when(&p["finished_at"]),
                text(&p["puller"]),
                text(&p["audience"]),
                text(&p["format"]),
                text(&p["rows"]),
                if p["complete"].as_bool() == Some(true) {
                    "✓"
                } else {
                    "…"
                }
            )
        })
        .collect();
    let next = log["next_cursor"]
        .as_str()
        .map(|c| {
            format!(
                "<p class=\"pager\"><a href=\"/dashboard/audiences?cursor={}\">{}</a></p>",
                esc(&enc(c)),
                s.t("next")
            )
        })
        .unwrap_or_default();
    Ok(format!(
        "<section id=\"pulls\"><h2>{}</h2><table><tbody>{rows}</tbody></table>{next}</section>",
        s.t("pulls")
    ))
}
