//! Audiences: each definition with its size and the last pull from the
//! export log, then the newest pulls, paged.

use super::{Screen, Shown};
use crate::api;
use crate::page::urlencode;
use crate::page::{esc, opt, when};
use spin_retention_core::contracts::audiences::{Audience, Definitions, ExportLog, Log, Size};
use spin_retention_core::jobs::AUDIENCES;

const PULLS: usize = 20;
/// Log entries read a page at a time to find each audience's last pull, and
/// at most this many pages: an audience not pulled in the newest 5,000
/// pulls shows "not in the last 5,000 pulls".
const RECENT: usize = 200;
const RECENT_PAGES: usize = 25;

pub fn show(s: &Screen) -> Shown {
    let definitions: Definitions = api::get_as(s.ctx, AUDIENCES, "/audiences/admin/definitions")?;
    let audiences = definitions.definitions.audiences;
    let (recent, whole) = last_pulls(s, &audiences)?;
    let mut rows = String::new();
    for audience in &audiences {
        let id = audience.id.as_str();
        let size: Size = api::get_as(s.ctx, AUDIENCES, &format!("/audiences/{}/size", urlencode(id)))?;
        let last = recent
            .iter()
            .find(|p| p.audience == id)
            .map(|p| format!("{} · {} · {}", when(&p.finished_at), esc(&p.puller), p.rows))
            .unwrap_or_else(|| {
                let never = if whole { s.t("never") } else { s.t("not.recent") };
                format!("<span class=\"muted\">{never}</span>")
            });
        // One condition a line, as written (in the facts' condition
        // language, which this page only shows).
        let definition = audience
            .when
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        rows.push_str(&format!(
            "<tr id=\"audience-{}\"><td><strong>{}</strong><div class=\"muted\">{}</div></td><td class=\"num\">{}</td><td>{last}</td><td><pre>{}</pre></td></tr>",
            esc(id),
            esc(id),
            opt(&audience.description),
            size.members,
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

/// The newest log entries, read until every audience has one or the log
/// ends; and whether the whole log was read.
fn last_pulls(s: &Screen, audiences: &[Audience]) -> Result<(Vec<ExportLog>, bool), api::Failure> {
    let mut entries: Vec<ExportLog> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..RECENT_PAGES {
        let mut path = format!("/audiences/admin/log?limit={RECENT}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let page: Log = api::get_as(s.ctx, AUDIENCES, &path)?;
        entries.extend(page.items);
        cursor = page.next_cursor;
        let all_found = audiences.iter().all(|a| entries.iter().any(|p| p.audience == a.id));
        if cursor.is_none() || all_found {
            return Ok((entries, true));
        }
    }
    Ok((entries, false))
}

fn pulls(s: &Screen) -> Result<String, api::Failure> {
    let mut path = format!("/audiences/admin/log?limit={PULLS}");
    if let Some(cursor) = s.param("cursor") {
        path.push_str(&format!("&cursor={}", urlencode(&cursor)));
    }
    let log: Log = api::get_as(s.ctx, AUDIENCES, &path)?;
    let rows: String = log
        .items
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                when(&p.finished_at),
                esc(&p.puller),
                esc(&p.audience),
                esc(&p.format),
                p.rows,
                if p.complete { "✓" } else { "…" }
            )
        })
        .collect();
    let next = log
        .next_cursor
        .as_deref()
        .map(|c| {
            format!(
                "<p class=\"pager\"><a href=\"/dashboard/audiences?cursor={}\">{}</a></p>",
                esc(&urlencode(c)),
                s.t("next")
            )
        })
        .unwrap_or_default();
    Ok(format!(
        "<section id=\"pulls\"><h2>{}</h2><table><tbody>{rows}</tbody></table>{next}</section>",
        s.t("pulls")
    ))
}
