//! Handing a stored submission to instant-ack and lead-scoring.
//!
//! Runs after the visitor has their answer. Each target's state is kept in
//! `handoff:<submission_id>`; until every target has taken the submission its
//! id stays in the `pending-handoffs` list, which `POST /intake/admin/handoffs/retry`
//! (for a cron job or an operator) works through. Targets are idempotent per
//! submission, so handing over twice is harmless.

use super::settings::Settings;
use crate::index;
use crate::jobs::handoff_request;
use crate::keys;
use crate::ports::Ctx;
use crate::store::{JsonStore, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Done,
    /// The target refused it for good (for example 404: the target has no
    /// such endpoint in this deployment). Not retried.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub state: State,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
}

impl Target {
    fn pending() -> Self {
        Target {
            state: State::Pending,
            attempts: 0,
            last_error: None,
            done_at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoffs {
    pub submission_id: String,
    pub lead_id: String,
    pub ack: Target,
    pub scoring: Target,
}

impl Handoffs {
    pub fn new(submission_id: &str, lead_id: &str) -> Self {
        Handoffs {
            submission_id: submission_id.into(),
            lead_id: lead_id.into(),
            ack: Target::pending(),
            scoring: Target::pending(),
        }
    }

    /// Nothing left to retry.
    pub fn all_done(&self) -> bool {
        self.ack.state != State::Pending && self.scoring.state != State::Pending
    }
}

/// Lists a submission as still to hand over (before the visitor's answer;
/// its `handoff:<id>` record is written with the submission).
pub fn mark_pending(ctx: &Ctx, submission_id: &str) -> Result<(), StoreError> {
    index::add(ctx.store, keys::PENDING_HANDOFFS, submission_id)
}

/// Hands one submission to every target that has not taken it yet.
pub fn run(ctx: &Ctx, settings: &Settings, submission_id: &str) -> Result<Handoffs, StoreError> {
    let key = keys::handoff(submission_id);
    let Some(mut handoffs) = ctx.store.get_json::<Handoffs>(&key)? else {
        // Erased meanwhile, or never stored: nothing to hand over.
        index::remove(ctx.store, keys::PENDING_HANDOFFS, submission_id)?;
        return Err(StoreError::Unavailable(format!(
            "no hand-off record for {submission_id}"
        )));
    };
    let ack_url = format!(
        "{}/ack/submissions/{submission_id}",
        settings.ack_url.trim_end_matches('/')
    );
    let scoring_url = format!(
        "{}/scoring/leads/{}",
        settings.scoring_url.trim_end_matches('/'),
        handoffs.lead_id
    );
    deliver(ctx, settings, &mut handoffs.ack, ack_url);
    deliver(ctx, settings, &mut handoffs.scoring, scoring_url);
    if !ctx.store.exists(&keys::lead(&handoffs.lead_id))? {
        // Erased while we were handing over: leave nothing behind.
        ctx.store.delete(&key)?;
        index::remove(ctx.store, keys::PENDING_HANDOFFS, submission_id)?;
        return Ok(handoffs);
    }
    ctx.store.set_json(&key, &handoffs)?;
    if handoffs.all_done() {
        index::remove(ctx.store, keys::PENDING_HANDOFFS, submission_id)?;
    }
    Ok(handoffs)
}

fn deliver(ctx: &Ctx, settings: &Settings, target: &mut Target, url: String) {
    if target.state != State::Pending {
        return;
    }
    target.attempts += 1;
    match ctx.outbound.send(handoff_request(url, settings.admin_token.as_deref())) {
        Ok(resp) if (200..300).contains(&resp.status) => {
            target.state = State::Done;
            target.done_at = Some(ctx.now);
            target.last_error = None;
        }
        Ok(resp) => {
            // Only the problem's type: a body could quote personal data.
            let kind = serde_json::from_slice::<serde_json::Value>(&resp.body)
                .ok()
                .and_then(|p| p["type"].as_str().map(str::to_string))
                .unwrap_or_default();
            target.last_error = Some(format!("HTTP {} {kind}", resp.status).trim_end().to_string());
            // The target will never take it (no such route, no channel that
            // reaches the lead...): final, so the pending list cannot grow forever.
            if (400..500).contains(&resp.status) && ![401, 403, 408, 409, 429].contains(&resp.status) {
                target.state = State::Rejected;
                target.done_at = Some(ctx.now);
            }
        }
        Err(e) => target.last_error = Some(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{Outbound, OutboundRequest, OutboundResponse};
    use crate::store::{MemoryStore, Store};
    use std::collections::HashMap;

    /// Answers each target with a fixed status.
    struct Targets {
        ack: u16,
        scoring: u16,
    }

    impl Outbound for Targets {
        fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
            let status = if request.url.contains("/ack/") {
                self.ack
            } else {
                self.scoring
            };
            Ok(OutboundResponse {
                status,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
    }

    #[test]
    fn a_final_refusal_is_rejected_and_a_busy_target_stays_pending() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let targets = Targets { ack: 503, scoring: 404 };
        let ctx = Ctx::new(&store, &config, &targets, crate::ports::test_now());
        store.set("lead:l_1", b"{}").unwrap();
        store
            .set_json(&keys::handoff("s_1"), &Handoffs::new("s_1", "l_1"))
            .unwrap();
        mark_pending(&ctx, "s_1").unwrap();
        let h = run(&ctx, &Settings::from_config(&config), "s_1").unwrap();
        assert_eq!((h.ack.state, h.scoring.state), (State::Pending, State::Rejected));
        assert_eq!(h.scoring.last_error.as_deref(), Some("HTTP 404"));
        assert_eq!(index::list(&store, keys::PENDING_HANDOFFS).unwrap(), ["s_1"]);
        let ok = Targets { ack: 200, scoring: 500 };
        let ctx = Ctx { outbound: &ok, ..ctx };
        let h = run(&ctx, &Settings::from_config(&config), "s_1").unwrap();
        assert_eq!(
            (h.ack.state, h.scoring.state, h.scoring.attempts),
            (State::Done, State::Rejected, 1)
        );
        assert!(
            index::list(&store, keys::PENDING_HANDOFFS).unwrap().is_empty(),
            "nothing left to retry"
        );
    }
}
