//! Where a person goes next when it is not simply the next step: a split
//! (a condition on their facts now, or a random share by a stable hash),
//! and a `wait_for` that listens for an event and goes on at once when it
//! comes, or elsewhere when its time runs out.
//!
//! A `wait_for` is reached as attempt 0 (listening, with attempt 1 due at
//! the timeout). The event takes attempt 1's turn as a tick would
//! ([`turns::take`]), before the timeout, and records it as heard; so
//! exactly one of the event and the timeout moves the person on, and a
//! taker that died is replaced by the tick (the person then times out).

use crate::document::{Catalogue, Split, Status, Step};
use crate::due::{self, Due};
use crate::instance::{self, Done, Outcome};
use crate::keys;
use spin_retention_core::events::Event;
use spin_retention_core::happened::Happened;
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{JsonStore, StoreError};
use spin_retention_core::turns;
use spin_retention_facts::Facts;

/// Whether the person's time through (`instance`) is in the split at
/// `step`; `None`: the person is gone (erased).
pub fn taken(ctx: &Ctx, split: &Split, instance: &instance::Instance, step: usize) -> Result<Option<bool>, StoreError> {
    if let Some(percent) = split.percent {
        return Ok(Some(in_share(&instance.id, step, percent)));
    }
    let Some(inputs) = spin_retention_facts::inputs::read_inputs(ctx.store, &instance.lead_id)? else {
        return Ok(None);
    };
    Ok(Some(holds(&inputs, &split.when, ctx.now)))
}

/// Every condition holds of the person as stored (profile facts).
pub fn holds(
    inputs: &spin_retention_facts::inputs::Inputs,
    when: &[spin_retention_facts::condition::Condition],
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    let facts = Facts::new(&inputs.lead, &inputs.submissions, &inputs.surveys, &[], now)
        .with_customer(inputs.customer.as_ref())
        .with_tags(&inputs.tags);
    when.iter().all(|c| c.holds(&|name: &str| facts.get(name, None)))
}

/// A stable share: the same time through always falls on the same side.
fn in_share(instance: &str, step: usize, percent: u8) -> bool {
    let hash = spin_retention_core::ids::sha256_hex(&format!("split\n{instance}\n{step}"));
    u64::from_str_radix(&hash[..8], 16).expect("hex") % 100 < u64::from(percent)
}

/// Wakes every `wait_for` of the person's live journeys that listens for
/// `happened` and was reached before it: the instances moved on, and the
/// events that raised (an exit, when the wait was the last step).
pub fn wake(ctx: &Ctx, catalogue: &Catalogue, happened: &Happened) -> Result<(Vec<String>, Vec<Event>), StoreError> {
    let store = ctx.store;
    let mut woken = Vec::new();
    let mut raised = Vec::new();
    let listening = catalogue.journeys.iter().filter(|j| {
        j.status != Status::Archived
            && j.steps
                .iter()
                .any(|s| matches!(s, Step::WaitFor(w) if instance::matches(&w.event, happened)))
    });
    for journey in listening {
        let Some(instance) = instance::live(store, &journey.id, &happened.lead_id)? else {
            continue;
        };
        // The version the person is on, which may listen at other steps.
        let Some(version) = store.get_json(&keys::version(&journey.id, &instance.version))? else {
            continue;
        };
        for (step, s) in version.steps.iter().enumerate() {
            let Step::WaitFor(wait) = s else { continue };
            if !instance::matches(&wait.event, happened) {
                continue;
            }
            let reached = Due {
                instance: instance.id.clone(),
                step,
                attempt: 0,
                at: instance.entered_at,
                first_due: instance.entered_at,
            };
            let Some(Done {
                at: reached_at,
                outcome: Outcome::Listening { until },
                ..
            }) = store.get_json(&keys::done(&reached))?
            else {
                continue;
            };
            // Time's up: the timeout is the tick's to take.
            if happened.at < reached_at || happened.at >= until || ctx.now >= until {
                continue;
            }
            let timeout = Due {
                attempt: 1,
                at: until,
                ..reached
            };
            if store.exists(&keys::done(&timeout))?
                || !turns::take(store, |w| keys::turn(&timeout, w), timeout.at, ctx.now)?
            {
                continue;
            }
            let heard = Outcome::Heard { event: happened.name() };
            raised.extend(due::record(
                ctx,
                &instance,
                &timeout,
                heard,
                turns::window(timeout.at, ctx.now),
            )?);
            woken.push(instance.id.clone());
        }
    }
    Ok((woken, raised))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_split_is_stable_and_near_its_share() {
        let taken = (0..1000).filter(|n| in_share(&format!("j:l_{n}:1"), 2, 30)).count();
        assert!((250..350).contains(&taken), "{taken} of 1000 in a 30 % split");
        assert_eq!(in_share("j:l_1:1", 2, 30), in_share("j:l_1:1", 2, 30));
    }
}
