//! Scores for other jobs' unit tests, written as lead-scoring stores them
//! (the record at `score:<lead_id>`, a hot lead's entries in both queue
//! orders, the team in the stored rules), without lead-scoring: no job's
//! tests depend on another job's crate. What a score *is* for a lead is
//! the test's to say; lead-scoring's own tests cover how it is computed.

use crate::queue::{Placement, ORDERS};
use crate::rules::Member;
use crate::{keys, Assignment, Fired, Score, ScoreKind, ScoreRecord, Tier};
use chrono::{DateTime, Utc};
use spin_retention_core::admin_doc::Stored;
use spin_retention_core::keys::Key;
use spin_retention_core::sorted_sets;
use spin_retention_core::store::{JsonStore, Store};

/// Stores a score of `tier` for the lead, scored at `now`: a hot one
/// queued and, with `assignee`, assigned to them; one reason, `why`.
pub fn score(
    store: &dyn Store,
    lead_id: &str,
    tier: Tier,
    assignee: Option<&Member>,
    why: &str,
    now: DateTime<Utc>,
) -> ScoreRecord {
    let total = match tier {
        Tier::Hot => 80,
        Tier::Warm => 40,
        Tier::Cold => 10,
    };
    let queue = (tier == Tier::Hot).then(|| Placement::new(lead_id, total, now));
    let record = ScoreRecord {
        lead_id: lead_id.to_string(),
        score: Score {
            fit: 0,
            engagement: total,
            total,
            tier,
            grade: 'C',
            at_risk: false,
            at_risk_reason: None,
            slipping_since: None,
            groups: Vec::new(),
            fired: vec![Fired {
                rule: "test".into(),
                group: "intent".into(),
                score: ScoreKind::Engagement,
                points: total,
                base_points: total,
                decay: None,
                evidence: None,
                evidence_at: None,
                why: why.to_string(),
            }],
        },
        rules_version: "test".into(),
        scored_at: now,
        last_activity_at: now,
        assignment: assignee.filter(|_| tier == Tier::Hot).map(|m| Assignment {
            member_id: m.id.clone(),
            member_name: m.name.clone(),
            member_email: m.email.clone(),
            via: "round-robin".into(),
            assigned_at: now,
        }),
        queue: queue.clone(),
    };
    store.set_json(&keys::score(lead_id), &record).unwrap();
    for order in ORDERS {
        if let Some(at) = &queue {
            sorted_sets::insert(store, order.index(), at.get(order)).unwrap();
        }
    }
    record
}

/// Stores scoring rules whose `routing.team` is `team` (only the parts
/// other jobs read; lead-scoring itself would refuse this document).
pub fn set_team(store: &dyn Store, team: &[Member], now: DateTime<Utc>) {
    set_rules(store, serde_json::json!({ "routing": { "team": team } }), now);
}

/// Stores `document` as the scoring rules an admin set.
pub fn set_rules(store: &dyn Store, document: serde_json::Value, now: DateTime<Utc>) {
    let key: Key<Stored<serde_json::Value>> = Key::new(keys::SCORING_RULES);
    store
        .set_json(
            &key,
            &Stored {
                document,
                updated_at: now,
            },
        )
        .unwrap();
}
