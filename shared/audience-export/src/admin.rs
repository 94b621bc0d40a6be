//! audience-export's endpoints: the definitions, refreshing memberships,
//! an audience's size, the export itself, the export log, and lead-scoring's
//! hand-off.

use super::definition;
use super::export::{window_start, Export, Pull};
use super::formats::Format;
use super::membership;
use super::pullers::{self, Puller};
use crate::keys;
use chrono::{DateTime, NaiveDate, Utc};
use spin_retention_core::admin_doc::Document;
use spin_retention_core::contracts::audiences::{Joined, Log, Memberships, Size};
use spin_retention_core::http::{bad_parameter, Handled, Reply, Request};
use spin_retention_core::jobs::Outcome;
use spin_retention_core::lead_list;
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::sorted_sets::{self, Position};
use spin_retention_core::store::StoreError;
use std::cell::RefCell;
use std::rc::Rc;

/// `POST /audiences/admin/refresh?limit=N[&restart=true]`: re-evaluates the
/// memberships of the next N leads (default 200) under the current
/// definitions; call until `done`. New definitions start a new run.
pub fn refresh(req: &Request, ctx: &Ctx) -> Handled {
    let limit = req.limit(200, 5000)?;
    let restart = req.query_param("restart").is_some_and(|v| v == "true" || v == "1");
    let defs = definition::current(ctx.store)?;
    // New scoring rules change tiers too: a new run after re-scoring.
    let version = format!(
        "{}.{}",
        defs.version(),
        spin_retention_scores::rules::version(ctx.store)?
    );
    let run = lead_list::walk_batch(
        ctx.store,
        keys::AUDIENCE_REFRESH,
        version,
        ctx.now,
        limit,
        restart,
        |ids| {
            let plans = ids
                .iter()
                .map(|id| membership::plan(ctx, &defs, id))
                .collect::<Result<Vec<_>, StoreError>>()?;
            // One settle per bucket for the whole batch, not one per lead.
            membership::apply(ctx.store, &plans)?;
            Ok(plans.iter().filter(|p| p.changed()).count() as u64)
        },
    )?;
    Ok(Reply::json(200, &run))
}

/// `POST /audiences/leads/<id>`: lead-scoring's hand-off after scoring.
pub fn update_lead(ctx: &Ctx, lead_id: &str) -> Reply {
    match membership::update(ctx, lead_id) {
        Ok(_) => Reply::no_content(),
        Err(e) => Reply::from(e),
    }
}

fn unknown_audience(req: &Request, id: &str) -> Reply {
    Problem::not_found(&req.path)
        .with_detail(format!(
            "no audience \"{id}\" (GET /audiences/admin/definitions lists them)"
        ))
        .into()
}

/// `GET /audiences/<id>/size`: how many members the audience has now,
/// within its activity window. Counted from the index lists alone (one
/// read per day-bucket, none per member), so it may count a member whose
/// removal a concurrent write lost; exports skip those.
pub fn size(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let counted = (|| -> Result<Option<Size>, StoreError> {
        let defs = definition::current(ctx.store)?;
        let Some(audience) = defs.get(id) else {
            return Ok(None);
        };
        let active_from = window_start(ctx.now, audience.active_within_days);
        let mut members = 0u64;
        // Counts in the filter and keeps nothing: memory stays flat.
        sorted_sets::page(ctx.store, &keys::audience_index(id), None, usize::MAX, |at| {
            let counts = membership::parse_entry(&at.entry)
                .is_some_and(|(_, _, last)| active_from.is_none_or(|from| last >= from));
            members += u64::from(counts);
            Ok(false)
        })?;
        Ok(Some(Size {
            audience: id.to_string(),
            description: audience.description.clone(),
            members,
            active_within_days: audience.active_within_days,
            counted_at: ctx.now,
        }))
    })();
    match counted {
        Ok(Some(body)) => Reply::json(200, &body),
        Ok(None) => unknown_audience(req, id),
        Err(e) => Reply::from(e),
    }
}

/// The largest page a paged pull may ask for; a whole audience streams
/// without `limit`.
pub const MAX_PAGE: usize = 10_000;

/// `GET /audiences/<id>/export?format=&since=&limit=&cursor=`: the audience
/// as the platform's CSV file, streamed.
pub fn export(req: &Request, ctx: &Ctx, id: &str) -> Result<Outcome, Reply> {
    let puller = pullers::identify(req, ctx.config)?;
    let pull = read_pull(req, ctx, id, puller)?;
    let (export, next) = Export::start(ctx, pull)?;
    let name = format!("{id}-{}.csv", export.log().format);
    let mut reply = Reply {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/csv; charset=utf-8".into()),
            ("content-disposition".into(), format!("attachment; filename=\"{name}\"")),
            ("cache-control".into(), "no-store".into()),
            ("x-export-id".into(), export.log().id.clone()),
        ],
        body: Vec::new(),
    };
    if let Some(next) = next {
        let cursor = next.to_cursor();
        reply = reply
            .with_header("x-next-cursor", &cursor)
            .with_header("link", &format!("<{}>; rel=\"next\"", next_url(req, &cursor)));
    }
    let export = Rc::new(RefCell::new(export));
    let streamed = export.clone();
    let mut outcome = Outcome::streaming(
        reply,
        Box::new(move |ctx: &Ctx| streamed.borrow_mut().next_chunk(ctx).map_err(|e| e.to_string())),
    );
    // After the body, however it ended (a store failure, a client that
    // went away): the log still says what was sent.
    outcome.after.push(Box::new(move |ctx: &Ctx| {
        if let Err(e) = export.borrow_mut().finish(ctx, false) {
            eprintln!("export log: {e}");
        }
    }));
    Ok(outcome)
}

fn read_pull(req: &Request, ctx: &Ctx, id: &str, puller: Puller) -> Result<Pull, Reply> {
    let defs = definition::current(ctx.store).map_err(Reply::from)?;
    let Some(audience) = defs.get(id) else {
        return Err(unknown_audience(req, id));
    };
    let format = match req.query_param("format") {
        None => puller.default_format(),
        Some(name) => Format::from_name(&name)
            .ok_or_else(|| bad_parameter("format", "must be google, meta, tiktok, linkedin or csv"))?,
    };
    if puller != Puller::Admin && puller != Puller::Platform(format) {
        return Err(Problem::new(403, "forbidden-format", "Format Not Allowed")
            .with_detail(format!(
                "the {} credential pulls only the {} format",
                puller.name(),
                puller.name()
            ))
            .into());
    }
    let limit = match req.query_param("limit") {
        Some(_) => Some(req.limit(MAX_PAGE, MAX_PAGE)?),
        None => None,
    };
    Ok(Pull {
        audience: id.to_string(),
        format,
        puller: puller.name().to_string(),
        since: since(req)?,
        active_from: window_start(ctx.now, audience.active_within_days),
        after: Position::from_query(req)?,
        limit,
    })
}

/// `since=` an RFC 3339 time or a date (midnight UTC).
fn since(req: &Request) -> Result<Option<DateTime<Utc>>, Reply> {
    let Some(value) = req.query_param("since") else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(&value) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(&value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| bad_parameter("since", "must be an RFC 3339 time or a date YYYY-MM-DD"))
}

/// This request's URL with `cursor` replaced.
fn next_url(req: &Request, cursor: &str) -> String {
    let kept = form_urlencoded::parse(req.query.as_bytes()).filter(|(k, _)| k != "cursor");
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .append_pair("cursor", cursor)
        .finish();
    format!("{}?{query}", req.path)
}

/// `GET /audiences/admin/log?limit=&cursor=`: pulls, newest first.
pub fn export_log(req: &Request, ctx: &Ctx) -> Handled {
    let (limit, after) = Position::page_query(req, 50, 500)?;
    let (items, next) = super::log::page(ctx.store, after.as_ref(), limit)?;
    let log = Log {
        items,
        next_cursor: next.map(|n| n.to_cursor()),
    };
    Ok(Reply::json(200, &log))
}

/// `GET /audiences/admin/members/<lead>`: the audiences the person is in,
/// each with when they joined (an empty list for nobody).
pub fn memberships(ctx: &Ctx, lead_id: &str) -> Handled {
    use spin_retention_core::store::JsonStore;
    let membership = ctx.store.get_json(&keys::audience_member(lead_id))?.unwrap_or_default();
    let membership::Membership { audiences } = membership;
    let audiences = audiences
        .into_iter()
        .map(|(audience, m)| Joined {
            audience,
            since: m.since,
            last_activity: m.last_activity,
        })
        .collect();
    let memberships = Memberships {
        lead_id: lead_id.to_string(),
        audiences,
    };
    Ok(Reply::json(200, &memberships))
}
