//! Erase: everything journeys keeps of a person, in every journey ever
//! set (`journeys-known`): each time through (instance, steps, exit), the
//! due steps still waiting in the minutes' logs, the turns taken, what
//! their sends counted against the contact budget, their opt-outs, the
//! dates armed to enter them, and their tags.

use crate::document::{Catalogue, Journey, Step};
use crate::due::Due;
use crate::instance::{instance_id, Done, Instance};
use crate::{keys, pressure, unsubscribe};
use spin_retention_core::admin_doc;
use spin_retention_core::store::{counter, JsonStore, Store, StoreError};

/// Deferrals of one step, at most, that erase looks for (a week paused is
/// 168).
const MAX_ATTEMPTS_READ: u32 = 10_000;

/// Windows of the step still due whose turn counters erase deletes: two
/// hours of takers that died.
const PENDING_WINDOWS: i64 = 64;

pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    let (catalogue, _) = admin_doc::current::<Catalogue>(store)?;
    let known: Vec<String> = store.get_json(&keys::known())?.unwrap_or_default();
    let mut gone: Vec<String> = Vec::new();
    let mut topics = vec![unsubscribe::ALL.to_string(), unsubscribe::SMS_STOP.to_string()];
    for journey in catalogue
        .journeys
        .iter()
        .map(|j| j.id.clone())
        .chain(known)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let entries = keys::entries(&journey, lead_id);
        for n in 1..=counter(store, &entries)? {
            let id = instance_id(&journey, lead_id, n);
            let Some(instance) = store.get_json(&keys::instance(&id))? else {
                continue;
            };
            let version = store.get_json(&keys::version(&journey, &instance.version))?;
            if let Some(v) = &version {
                topics.push(v.topic.clone());
            }
            gone.extend(keys_of(store, &catalogue, &instance, version.as_ref())?);
        }
        gone.push(entries);
        let armed = keys::armed(&journey, lead_id);
        gone.extend(store.get_json(&armed)?.map(|a| a.slot));
        gone.push(armed.to_string());
    }
    topics.sort();
    topics.dedup();
    gone.extend(topics.iter().map(|t| keys::opt_out(lead_id, t).to_string()));
    gone.push(keys::surveyed(lead_id).to_string());
    spin_retention_core::tags::erase(store, lead_id)?;
    for chunk in gone.chunks(200) {
        store.delete_many(chunk)?;
    }
    Ok(())
}

fn keys_of(
    store: &dyn Store,
    catalogue: &Catalogue,
    instance: &Instance,
    journey: Option<&Journey>,
) -> Result<Vec<String>, StoreError> {
    let mut gone = vec![
        keys::instance(&instance.id).to_string(),
        keys::exit(&instance.id).to_string(),
        keys::converted(&instance.id),
        keys::recovered(&instance.id),
        instance.first_slot.clone(),
    ];
    let steps = journey.map_or(0, |j| j.steps.len());
    for (step, s) in journey.iter().flat_map(|j| j.steps.iter().enumerate()) {
        if let Step::Send(send) = s {
            gone.push(keys::click(&instance.id, step));
            gone.push(keys::clicked(&instance.id, step).to_string());
            gone.extend(
                send.coupon
                    .iter()
                    .map(|pool| keys::coupon_of(pool, &instance.journey, &instance.lead_id).to_string()),
            );
        }
    }
    let mut pending = None;
    for step in 0..steps {
        for attempt in 0..MAX_ATTEMPTS_READ {
            let due = Due {
                instance: instance.id.clone(),
                step,
                attempt,
                at: instance.entered_at,
                first_due: instance.entered_at,
            };
            let key = keys::done(&due);
            let Some(done) = store.get_json::<Done>(&key)? else {
                break;
            };
            gone.push(key.to_string());
            gone.extend(done.next_slot.clone());
            gone.extend((done.window - 2..=done.window + 1).map(|w| keys::turn(&due, w)));
            // Every send counted against the budget when it was taken (a
            // claim given back leaves its week's counter).
            if let Some(Step::Send(send)) = journey.and_then(|j| j.steps.get(step)) {
                gone.extend(pressure::keys_of_send(
                    &catalogue.settings,
                    &instance.lead_id,
                    send.channel,
                    done.at,
                ));
            }
            pending = Some(done.outcome.next(step, attempt));
        }
    }
    // The step still due: the turns a taker that died may have left.
    let (step, attempt) = pending.unwrap_or((0, 0));
    let due = Due {
        instance: instance.id.clone(),
        step,
        attempt,
        at: instance.entered_at,
        first_due: instance.entered_at,
    };
    gone.extend((0..=PENDING_WINDOWS).map(|w| keys::turn(&due, w)));
    Ok(gone)
}
