//! The refresh run over every customer: RFM quintiles over current
//! customers, then each customer's fold again (tiers move as orders leave
//! the trailing window, RFM scores with the new cuts, slipping as days
//! pass). A customer who started slipping raises the at-risk signal once
//! per slipping episode (lead-scoring's `at_risk`, and so the win-back
//! audiences); anyone whose tier, segment or slipping changed is told to
//! lead-scoring, which tells audience-export.
//!
//! Every customer who bought in the last [`RESCORE_DAYS`] days is told to
//! lead-scoring too, whatever changed: facts that count days
//! (`days_since_purchase`, the one-time buyers of 30 to 60 days ago) move
//! with the calendar, not with events.
//!
//! Resumable: `POST /customers/admin/refresh` does one batch and stores
//! where it is, so a scheduler (or the first request of each minute, on
//! its back) calls it until `done`. A run starts once the day's first
//! batch finds the last run done on an earlier day, or on `restart`; a run
//! still going at midnight goes on. Two batches at once do the same work
//! twice, harmlessly: folds are idempotent and the signal is
//! `increment(k) == 1`.

use crate::keys;
use crate::rfm::{self, Histogram, Quintiles};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::customer::Customer;
use spin_retention_core::events::{Event, Slipping, What};
use spin_retention_core::lead_list;
use spin_retention_core::ports::Ctx;
use spin_retention_core::slots;
use spin_retention_core::sorted_sets::Position;
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// Where a run is: a contract, since the RFM route answers it.
pub use spin_retention_core::contracts::customers::Phase;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refresh {
    /// This run, apart from any other started the same day.
    #[serde(default)]
    pub id: u64,
    /// The day the run started (`yyyy-mm-dd`).
    pub run: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Position>,
    pub recency: Histogram,
    pub frequency: Histogram,
    pub monetary: Histogram,
    pub gathered: u64,
    pub applied: u64,
    /// Customers whose tier, segment or slipping changed.
    pub changed: u64,
    /// At-risk signals raised (customers who started slipping).
    pub raised: u64,
    /// Customers per RFM segment, and per `"<r><f>"` cell, as applied.
    #[serde(default)]
    pub segments: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    pub grid: std::collections::BTreeMap<String, u64>,
    /// Customers per loyalty tier (`none`: below the first).
    #[serde(default)]
    pub tiers: std::collections::BTreeMap<String, u64>,
    pub done: bool,
}

/// Customers who bought within this many days are re-scored by every run.
pub const RESCORE_DAYS: f64 = 400.0;

/// What a batch did, the leads to tell lead-scoring about, and the
/// `customer.slipping` events of the signals it raised (for webhooks).
pub struct Batch {
    pub refresh: Refresh,
    pub tell: Vec<String>,
    pub events: Vec<Event>,
    /// Tiers that changed in this batch (a tier lost as purchases leave the
    /// window), as journeys hears of them.
    pub happened: Vec<spin_retention_core::happened::Happened>,
}

/// One batch of up to `limit` customers.
pub fn batch(ctx: &Ctx, limit: usize, restart: bool) -> Result<Batch, StoreError> {
    let store = ctx.store;
    let today = ctx.now.date_naive().format("%Y-%m-%d").to_string();
    let stored: Option<Refresh> = store.get_json(&keys::customers_refresh())?;
    // Dates as yyyy-mm-dd compare as text; a request whose clock lags
    // (one begun before midnight) continues today's run, never starts one.
    let current = stored.filter(|r| !restart && (r.run.as_str() >= today.as_str() || !r.done));
    let fresh = current.is_none();
    let mut run = match current {
        Some(run) => run,
        None => Refresh {
            id: spin_retention_core::ids::random_u64().map_err(StoreError::Unavailable)?,
            run: today,
            started_at: ctx.now,
            updated_at: ctx.now,
            phase: Phase::Gather,
            cursor: None,
            recency: Histogram::new(),
            frequency: Histogram::new(),
            monetary: Histogram::new(),
            gathered: 0,
            applied: 0,
            changed: 0,
            raised: 0,
            segments: Default::default(),
            grid: Default::default(),
            tiers: Default::default(),
            done: false,
        },
    };
    let mut tell = Vec::new();
    let mut events = Vec::new();
    let mut happened = Vec::new();
    if run.done {
        return Ok(Batch {
            refresh: run,
            tell,
            events: Vec::new(),
            happened: Vec::new(),
        });
    }
    // A batch whose request's clock lags the run's start (a request that
    // began before the run did) evaluates at the start: no customer is
    // folded by a run at a time before it began.
    let now = ctx.now.max(run.started_at);
    let page = lead_list::page_in(store, keys::CUSTOMERS_INDEX, run.cursor.as_ref(), limit)?;
    let ids: Vec<String> = page.entries.iter().map(|p| p.entry.clone()).collect();
    match run.phase {
        Phase::Gather => {
            for id in &ids {
                let Some(c) = spin_retention_core::customer::load(store, id)? else {
                    continue;
                };
                let Some(last) = c.last_purchase_at else { continue };
                *run.recency.entry(rfm::days(last, run.started_at)).or_default() += 1;
                *run.frequency.entry(i64::from(c.orders)).or_default() += 1;
                *run.monetary.entry(rfm::round_money(c.main_revenue)).or_default() += 1;
                run.gathered += 1;
            }
        }
        Phase::Apply => {
            let settings = crate::settings::current(store)?;
            let quintiles: Option<Quintiles> = store.get_json(&keys::rfm_quintiles())?;
            for id in &ids {
                let (before, after) = crate::history::refresh(store, id, &settings, quintiles.as_ref(), now)?;
                run.applied += 1;
                let Some(after) = after else { continue };
                happened.extend(crate::record::tier_changed(before.as_ref(), &after));
                if raise_at_risk(ctx.store, &after, now)? {
                    run.raised += 1;
                    events.push(slipping_event(&after, now));
                }
                if let Some(rfm) = &after.rfm {
                    *run.segments.entry(rfm.segment.clone()).or_default() += 1;
                    *run.grid.entry(format!("{}{}", rfm.recency, rfm.frequency)).or_default() += 1;
                }
                let tier = after.loyalty_tier.clone().unwrap_or_else(|| "none".to_string());
                *run.tiers.entry(tier).or_default() += 1;
                let recent = after.days_since_purchase(now).is_some_and(|d| d <= RESCORE_DAYS);
                let moved = moved(before.as_ref(), &after, now);
                if moved {
                    run.changed += 1;
                }
                if recent || moved {
                    tell.push(id.clone());
                }
            }
        }
    }
    run.cursor = page.next;
    if run.cursor.is_none() {
        match run.phase {
            Phase::Gather => {
                store.set_json(&keys::rfm_quintiles(), &quintiles_of(&run, &settings_currency(ctx)?))?;
                run.phase = Phase::Apply;
            }
            Phase::Apply => {
                run.done = true;
                if let Some(mut quintiles) = store.get_json(&keys::rfm_quintiles())? {
                    quintiles.segments = run.segments.clone();
                    quintiles.grid = run.grid.clone();
                    quintiles.tiers = run.tiers.clone();
                    store.set_json(&keys::rfm_quintiles(), &quintiles)?;
                }
            }
        }
    }
    run.updated_at = now;
    // A batch of a run that was restarted meanwhile (a late batch on the
    // back of an earlier request) does not write its run back over the
    // new one; its folds were idempotent work all the same.
    let superseded = store
        .get_json::<Refresh>(&keys::customers_refresh())?
        .is_some_and(|stored| stored.id != run.id && (!fresh || stored.started_at > run.started_at));
    if !superseded {
        store.set_json(&keys::customers_refresh(), &run)?;
    }
    Ok(Batch {
        refresh: run,
        tell,
        events,
        happened,
    })
}

fn settings_currency(ctx: &Ctx) -> Result<String, StoreError> {
    Ok(crate::settings::current(ctx.store)?.currency)
}

fn quintiles_of(run: &Refresh, currency: &str) -> Quintiles {
    let cuts = |h: &Histogram| rfm::cuts(h).unwrap_or([0; 4]);
    Quintiles {
        recency_days: cuts(&run.recency),
        frequency: cuts(&run.frequency),
        monetary: cuts(&run.monetary),
        currency: currency.to_string(),
        customers: run.gathered,
        computed_at: run.started_at,
        segments: Default::default(),
        grid: Default::default(),
        tiers: Default::default(),
    }
}

/// `customer.slipping`: a customer started slipping away (one per episode,
/// as the signal), for the business's other systems.
fn slipping_event(c: &Customer, now: DateTime<Utc>) -> Event {
    let since = c.slipping_after.unwrap_or(now);
    let what = What::CustomerSlipping(Slipping {
        lead_id: c.lead_id.clone(),
        slipping_since: since,
        last_purchase_at: c.last_purchase_at,
        days_since_purchase: c.days_since_purchase(now).map(f64::floor),
        typical_interval_days: c.typical_interval_days,
        orders: c.orders,
        revenue: crate::money::show(&c.revenue),
        loyalty_tier: c.loyalty_tier.clone(),
        rfm_segment: c.rfm.as_ref().map(|r| r.segment.clone()),
    });
    Event::new(&format!("{}@{}", c.lead_id, since.timestamp()), now, what)
}

/// Whether what the other jobs see of the customer changed.
fn moved(before: Option<&Customer>, after: &Customer, now: DateTime<Utc>) -> bool {
    let Some(before) = before else { return true };
    before.loyalty_tier != after.loyalty_tier
        || before.rfm.as_ref().map(|r| &r.segment) != after.rfm.as_ref().map(|r| &r.segment)
        || before.slipping(before.updated_at) != after.slipping(now)
}

/// Raises the signal of the customer's current slipping episode, once:
/// whoever counts 1 on its counter. The counter's name goes in the
/// person's key log, so an erase finds it.
pub fn raise_at_risk(store: &dyn Store, customer: &Customer, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let Some(after) = customer.slipping_after.filter(|_| customer.slipping(now)) else {
        return Ok(false);
    };
    let key = keys::customer_at_risk(&customer.lead_id, after.timestamp());
    if store.exists(&key)? {
        return Ok(false);
    }
    slots::append(store, &keys::customer_keys(&customer.lead_id), key.as_bytes())?;
    let first = store.increment(&key, 1)? == 1;
    if !spin_retention_core::lead::exists(store, &customer.lead_id)? {
        // Erased meanwhile: no signal, and nothing of it left behind.
        crate::forget(store, &customer.lead_id)?;
        return Ok(false);
    }
    Ok(first)
}
