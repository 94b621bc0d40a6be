//! Recording customer events, one or a batch (an import's): whose they
//! are, whether they are new, and every write of the batch in one
//! `set-many`, then each person's fold.
//!
//! A replay is a duplicate: `customer-event:<id>` is written in the same
//! batch as the event, so once it is there the event is. Two deliveries of
//! one event at once may both be logged; the fold and the metrics count an
//! event id once. A crash before the batch leaves nothing; a retry records it.

use crate::event::{CustomerEvent, Incoming, Who};
use crate::history::{self, Entry};
use crate::identity;
use crate::keys;
use crate::metrics::DayEntry;
use crate::rfm::Quintiles;
use serde::Serialize;
use spin_retention_core::customer::Customer;
use spin_retention_core::happened::Happened;
use spin_retention_core::http::Reply;
use spin_retention_core::lead_list;
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::slots;
use spin_retention_core::store::{json_bytes, JsonStore, StoreError};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub event_id: String,
    pub lead_id: String,
    /// Already recorded: nothing changed.
    pub duplicate: bool,
}

pub struct Recorded {
    /// One per event, in order.
    pub results: Vec<Result<Accepted, Problem>>,
    /// Each person with a new event, and their fold before and after.
    pub customers: BTreeMap<String, (Option<Customer>, Option<Customer>)>,
    /// The new events, as journeys hears of them.
    pub happened: Vec<Happened>,
}

/// Records `events` (from `source`); `Err` is a 503 with nothing new
/// recorded past what the results of an earlier batch said.
pub fn record(ctx: &Ctx, events: Vec<Incoming>, source: &str) -> Result<Recorded, Reply> {
    let leads = whose(ctx, &events, source)?;
    let store = ctx.store;
    let mut results = Vec::with_capacity(events.len());
    let mut fresh: Vec<(Entry, String)> = Vec::new();
    let mut seen_here: BTreeMap<String, String> = BTreeMap::new();
    let mut touched = BTreeSet::new();
    for (incoming, lead) in events.into_iter().zip(leads) {
        let lead_id = match lead {
            Ok(id) => id,
            Err(problem) => {
                results.push(Err(problem));
                continue;
            }
        };
        let event = incoming.event;
        // An id is the business's, not a person's: the same id (an order,
        // a refund "r-1") met again for someone else is a mistake, not a replay.
        let recorded_for = match seen_here.get(&event.id) {
            Some(lead) => Some(String::clone(lead)),
            None => store.get_json(&keys::customer_event(&event.id))?,
        };
        if recorded_for.as_ref().is_some_and(|other| *other != lead_id) {
            results.push(Err(Problem::new(409, "id-taken", "Id Taken").with_detail(format!(
                "the event {} was recorded for another person; give each event its own id",
                event.key
            ))));
            continue;
        }
        seen_here.insert(event.id.clone(), lead_id.clone());
        let duplicate = recorded_for.is_some();
        results.push(Ok(Accepted {
            event_id: event.id.clone(),
            lead_id: lead_id.clone(),
            duplicate,
        }));
        if !duplicate {
            touched.insert(lead_id.clone());
            fresh.push((Entry { event, day_slot: None }, lead_id));
        } else if !store.exists(&keys::customer(&lead_id))? {
            // Recorded by a request that failed before its fold: fold now.
            touched.insert(lead_id.clone());
        }
    }
    store.set_many(&writes(ctx, &mut fresh)?)?;
    let happened = fresh
        .iter()
        .map(|(entry, lead_id)| happened(&entry.event, lead_id))
        .collect();
    let settings = crate::settings::current(store)?;
    let quintiles: Option<Quintiles> = store.get_json(&keys::rfm_quintiles())?;
    let mut customers = BTreeMap::new();
    let mut happened: Vec<Happened> = happened;
    for lead_id in touched {
        let folds = history::refresh(store, &lead_id, &settings, quintiles.as_ref(), ctx.now)?;
        if let (before, Some(after)) = &folds {
            happened.extend(tier_changed(before.as_ref(), after));
        }
        customers.insert(lead_id, folds);
    }
    Ok(Recorded {
        results,
        customers,
        happened,
    })
}

/// `tier.changed`, as journeys hears of it: each tier change the fold
/// `after` has that `before` did not (its `loyalty_tier` fact says the tier
/// now). Its id follows the change, so a fold made twice tells it once.
pub fn tier_changed(before: Option<&Customer>, after: &Customer) -> Vec<Happened> {
    let known = before.map_or(0, |b| b.tier_changes.len());
    after
        .tier_changes
        .iter()
        .skip(known)
        .map(|change| Happened {
            id: format!(
                "tier:{}:{}:{}",
                after.lead_id,
                change.at.timestamp(),
                change.to.as_deref().unwrap_or("none")
            ),
            lead_id: after.lead_id.clone(),
            kind: "tier.changed".into(),
            activity: None,
            at: change.at,
            order_id: None,
            amount_minor: None,
            currency: None,
            items: Vec::new(),
        })
        .collect()
}

/// A new event as journeys hears of it (`core::happened`).
fn happened(event: &CustomerEvent, lead_id: &str) -> Happened {
    Happened {
        id: event.id.clone(),
        lead_id: lead_id.to_string(),
        kind: serde_json::to_value(event.kind)
            .ok()
            .and_then(|k| k.as_str().map(str::to_string))
            .unwrap_or_default(),
        activity: event.activity.clone(),
        at: event.at,
        order_id: event.order_id.clone(),
        amount_minor: event.amount.as_ref().map(|a| a.minor),
        currency: event.amount.as_ref().map(|a| a.currency.clone()),
        items: event.items.iter().map(|i| i.name.clone()).collect(),
    }
}

/// Every write of the new events: each in a slot of its person's log, its
/// day entry in a slot of its day's log (money and cancellations), its
/// marker, the Stripe customer it names, new customers in the list of
/// every customer. One increment per log, however many entries it takes.
fn writes(ctx: &Ctx, fresh: &mut [(Entry, String)]) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let store = ctx.store;
    let mut writes = Vec::new();
    let mut per_day: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (entry, lead_id)) in fresh.iter().enumerate() {
        if DayEntry::of(&entry.event, lead_id).is_some() {
            per_day
                .entry(keys::customer_day(entry.event.at.date_naive()))
                .or_default()
                .push(i);
        }
    }
    for (day, indexes) in per_day {
        let first = slots::take_slots(store, &day, indexes.len())?;
        for (n, i) in indexes.into_iter().enumerate() {
            let (entry, lead_id) = &mut fresh[i];
            let slot = slots::slot_key(&day, first + n as u64);
            let day_entry = DayEntry::of(&entry.event, lead_id).expect("chosen above");
            writes.push((slot.clone(), json_bytes(&day_entry)));
            entry.day_slot = Some(slot);
        }
    }
    let mut per_lead: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for (entry, lead_id) in fresh.iter() {
        per_lead.entry(lead_id).or_default().push(entry);
    }
    for (lead_id, entries) in per_lead {
        let log = keys::customer_log(lead_id);
        let first = slots::take_slots(store, &log, entries.len())?;
        for (n, entry) in entries.into_iter().enumerate() {
            writes.push((slots::slot_key(&log, first + n as u64), json_bytes(entry)));
            writes.push(keys::customer_event(&entry.event.id).entry(&lead_id.to_string()));
            if let Some(cus) = &entry.event.external_customer {
                writes.push(keys::stripe_customer(cus).entry(&lead_id.to_string()));
            }
        }
        if !store.exists(&keys::customer(lead_id))? {
            writes.extend(lead_list::prepare_add_in(store, keys::CUSTOMERS_INDEX, lead_id)?);
        }
    }
    Ok(writes)
}

/// The lead of each event: people through [`identity::resolve`] (one call
/// for all the new ones), a refund's order through its purchase, a Stripe
/// customer through the mapping its payments left.
fn whose(ctx: &Ctx, events: &[Incoming], source: &str) -> Result<Vec<Result<String, Problem>>, Reply> {
    let people: Vec<&crate::event::Person> = events
        .iter()
        .filter_map(|i| match &i.who {
            Who::Person(p) => Some(p),
            _ => None,
        })
        .collect();
    let mut resolved = identity::resolve(ctx, &people, source)?.into_iter();
    let mut leads = Vec::with_capacity(events.len());
    // An order earlier in the same batch (an import's refund a few lines
    // after its order) is found here, before it is in the store.
    let mut orders_here: BTreeMap<&str, String> = BTreeMap::new();
    for incoming in events {
        leads.push(match &incoming.who {
            Who::Person(_) => {
                let lead = resolved.next().expect("one per person");
                if let Ok(id) = &lead {
                    orders_here.insert(&incoming.event.id, id.clone());
                }
                lead
            }
            Who::OrderOf(order_event) if orders_here.contains_key(order_event.as_str()) => {
                Ok(orders_here[order_event.as_str()].clone())
            }
            Who::OrderOf(order_event) => ctx
                .store
                .get_json(&keys::customer_event(order_event))
                .map_err(Reply::from)?
                .ok_or_else(|| {
                    Problem::new(409, "unknown-order", "Unknown Order")
                        .with_detail("the order this refund names has not been recorded (yet): send it again later")
                }),
            Who::StripeCustomer(cus) => ctx
                .store
                .get_json(&keys::stripe_customer(cus))
                .map_err(Reply::from)?
                .ok_or_else(|| {
                    Problem::new(409, "unknown-customer", "Unknown Customer")
                        .with_detail("no payment of this Stripe customer has been recorded (yet): send it again later")
                }),
        });
    }
    Ok(leads)
}
