//! lead-scoring's endpoints: score a lead (hand-off or on demand), read a
//! score, the hot queue, the rules, and re-scoring every lead.

use super::queue::{self, Order};
use super::{current_rules, score_lead, ScoreRecord};
use crate::keys;
use spin_retention_core::admin_doc::Document;
use spin_retention_core::http::{bad_parameter, Handled, Reply, Request};
use spin_retention_core::lead::Lead;
use spin_retention_core::lead_list::{self, Walk};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::sorted_sets::Position;
use spin_retention_core::store::{JsonStore, StoreError};
use spin_retention_scores::api::{QueueItem, QueuePage};

pub fn no_lead(req: &Request, lead_id: &str) -> Reply {
    Problem::not_found(&req.path)
        .with_detail(format!("no lead {lead_id}"))
        .into()
}

/// `GET /scoring/leads/<id>`: the last recorded score with its explanation.
pub fn read(req: &Request, ctx: &Ctx, lead_id: &str) -> Reply {
    match ctx.store.get_json::<ScoreRecord>(&keys::score(lead_id)) {
        Ok(Some(record)) => Reply::json(200, &record),
        Ok(None) => Problem::not_found(&req.path)
            .with_detail(format!("lead {lead_id} has not been scored"))
            .into(),
        Err(e) => Reply::from(e),
    }
}

/// `GET /scoring/queue?order=newest|score&limit=N&cursor=C`: hot leads to
/// call, with who they are, why they are hot and who has them.
pub fn hot_queue(req: &Request, ctx: &Ctx) -> Handled {
    let Some(order) = Order::parse(req.query_param("order").as_deref().unwrap_or("newest")) else {
        return Err(bad_parameter("order", "must be newest or score"));
    };
    let (limit, after) = Position::page_query(req, 20, 200)?;
    let (records, next) = queue::page(ctx.store, order, after.as_ref(), limit)?;
    let mut items = Vec::new();
    for record in records {
        let lead: Option<Lead> = spin_retention_core::lead::load(ctx.store, &record.lead_id)?;
        // Erased between the two reads: not a lead to call.
        if let Some(lead) = lead {
            items.push(queue_item(record, lead));
        }
    }
    let page = QueuePage {
        order: if order == Order::Newest { "newest" } else { "score" }.to_string(),
        items,
        next_cursor: next.map(|n| n.to_cursor()),
    };
    Ok(Reply::json(200, &page))
}

fn queue_item(record: ScoreRecord, lead: Lead) -> QueueItem {
    let s = record.score;
    let mut reasons: Vec<super::engine::Fired> = s.fired.into_iter().filter(|f| f.points > 0).collect();
    reasons.sort_by_key(|f| -f.points);
    QueueItem {
        lead_id: record.lead_id,
        total: s.total,
        fit: s.fit,
        engagement: s.engagement,
        tier: s.tier,
        grade: s.grade,
        at_risk: s.at_risk,
        last_activity_at: record.last_activity_at,
        scored_at: record.scored_at,
        assignment: record.assignment,
        why: reasons.into_iter().map(|f| f.why).collect(),
        contact: lead.contact,
    }
}

/// `POST /scoring/admin/rescore?limit=N[&restart=true]`: re-scores the next
/// N leads (default 50) of the run for the current rules, and says whether
/// it is done. Call again until `done`; a new rules version starts a new
/// run. Safe to rerun or to call twice at once: scoring is idempotent.
pub fn rescore(req: &Request, ctx: &Ctx) -> Handled {
    let limit = req.limit(50, 500)?;
    let restart = req.query_param("restart").is_some_and(|v| v == "true" || v == "1");
    Ok(Reply::json(200, &rescore_batch(ctx, limit, restart)?))
}

fn rescore_batch(ctx: &Ctx, limit: usize, restart: bool) -> Result<Walk, StoreError> {
    let version = current_rules(ctx.store)?.version();
    lead_list::walk_batch(
        ctx.store,
        keys::RESCORE_RUN,
        version,
        ctx.now,
        limit,
        restart,
        |lead_ids| {
            let mut tier_changes = 0;
            for lead_id in lead_ids {
                let before: Option<ScoreRecord> = ctx.store.get_json(&keys::score(lead_id))?;
                let after = score_lead(ctx, lead_id)?;
                if before.map(|b| b.score.tier) != after.map(|a| a.score.tier) {
                    tier_changes += 1;
                }
            }
            Ok(tier_changes)
        },
    )
}
