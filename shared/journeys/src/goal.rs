//! Goals: a journey's goal event (a purchase) within `within_days` of a
//! person entering is a conversion, counted once per time through (the
//! first event to count `1`), for the treated and the holdout alike. A
//! treated conversion is attributed to the last message the person clicked
//! within `settings.attribution_days` before it, else to the last one sent
//! to them within that window. The lift is the treated
//! conversion rate less the holdout's, with a 95 % confidence interval
//! (the normal approximation for a difference of two proportions).

use crate::document::{Journey, Settings};
use crate::instance::{self, count, Outcome};
use crate::keys;
use chrono::Duration;
use spin_retention_core::events::{Event, What};
use spin_retention_core::happened::Happened;
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{counter, Store, StoreError};

/// What enters a detractor recovery, whose people are counted `recovered`
/// when they next answer a survey as a passive or a promoter.
pub const DETRACTOR: &str = "survey.detractor";

/// Counts a passive or promoter answer (`survey.answered`, its band in
/// `activity`) as `recovered` in each journey entered on a detractor's
/// answer that the person went through before it: once per time through,
/// with no window (a recovery months later is still one).
pub fn recovered(ctx: &Ctx, journeys: &[Journey], happened: &Happened) -> Result<Vec<String>, StoreError> {
    let band = happened.activity.as_deref();
    if happened.kind != "survey.answered" || !matches!(band, Some("passive" | "promoter")) {
        return Ok(Vec::new());
    }
    let mut recovered = Vec::new();
    for journey in journeys.iter().filter(|j| j.enters_on == DETRACTOR) {
        let Some((instance, _)) = instance::latest(ctx.store, &journey.id, &happened.lead_id)? else {
            continue;
        };
        if happened.at > instance.entered_at && ctx.store.increment(&keys::recovered(&instance.id), 1)? == 1 {
            count(
                ctx.store,
                &journey.id,
                &format!("recovered:{}", group(instance.held_out)),
            )?;
            recovered.push(instance.id);
        }
    }
    Ok(recovered)
}

/// Counts `happened` as the goal of the person's latest time through
/// `journey`, if it falls in the goal's window: the instance and its
/// `journey.converted`, once.
pub fn reached(
    ctx: &Ctx,
    settings: &Settings,
    journey: &Journey,
    happened: &Happened,
) -> Result<Option<(String, Event)>, StoreError> {
    let Some(goal) = &journey.goal else { return Ok(None) };
    let store = ctx.store;
    let Some((instance, _)) = instance::latest(store, &journey.id, &happened.lead_id)? else {
        return Ok(None);
    };
    let window = Duration::days(goal.within_days.into());
    if happened.at < instance.entered_at || happened.at > instance.entered_at + window {
        return Ok(None);
    }
    if store.increment(&keys::converted(&instance.id), 1)? != 1 {
        return Ok(None);
    }
    let group = group(instance.held_out);
    count(store, &journey.id, &format!("converted:{group}"))?;
    if let (Some(minor), Some(currency)) = (happened.amount_minor, &happened.currency) {
        if *currency == settings.currency {
            store.increment(&keys::count(&journey.id, &format!("revenue:{group}")), minor)?;
        }
    }
    if !instance.held_out {
        let attribution = Duration::days(settings.attribution_days.into());
        let history = instance::history(store, &instance.id)?;
        let within = |at: chrono::DateTime<chrono::Utc>| at <= happened.at && happened.at - at <= attribution;
        let sent: Vec<usize> = history
            .iter()
            .flat_map(|h| &h.steps)
            .filter(|s| matches!(s.done.outcome, Outcome::Sent { .. }))
            .map(|s| (s.step, s.done.at))
            .filter(|(_, at)| within(*at))
            .map(|(step, _)| step)
            .collect();
        // The last message clicked within the window, else the last sent.
        let mut clicked = None;
        for step in sent.iter().rev() {
            if crate::clicks::clicked_at(ctx, &instance.id, *step)?.is_some_and(within) {
                clicked = Some(*step);
                break;
            }
        }
        if let Some(step) = clicked.or(sent.last().copied()) {
            count(store, &journey.id, &format!("attributed:step{step}"))?;
        }
    }
    let event = instance::raise(What::JourneyConverted, instance::in_journey(&instance), happened.at);
    Ok(Some((instance.id, event)))
}

fn group(held_out: bool) -> &'static str {
    if held_out {
        "holdout"
    } else {
        "treated"
    }
}

pub use spin_retention_core::contracts::journeys::{Group, Lift};

/// The journey's treated against its holdout.
pub fn lift(store: &dyn Store, journey: &Journey, settings: &Settings) -> Result<Lift, StoreError> {
    let figure = |what: &str| counter(store, &keys::count(&journey.id, what));
    let entered = figure("entered")?;
    let held = figure("held_out")?;
    let group = |people: u64, name: &str| -> Result<Group, StoreError> {
        let converted = figure(&format!("converted:{name}"))?;
        let revenue = store.read_counter(&keys::count(&journey.id, &format!("revenue:{name}")))?;
        Ok(Group {
            people,
            converted,
            rate: (people > 0).then(|| converted as f64 / people as f64),
            revenue_per_person_minor: (people > 0).then(|| revenue as f64 / people as f64),
        })
    };
    let treated = group(entered.saturating_sub(held), "treated")?;
    let holdout = group(held, "holdout")?;
    let (lift, ci95) = match (treated.rate, holdout.rate) {
        (Some(t), Some(h)) => {
            let se = (t * (1.0 - t) / treated.people as f64 + h * (1.0 - h) / holdout.people as f64).sqrt();
            (Some(t - h), Some((t - h - 1.96 * se, t - h + 1.96 * se)))
        }
        _ => (None, None),
    };
    let mut attributed = Vec::new();
    for step in 0..journey.steps.len() {
        let n = figure(&format!("attributed:step{step}"))?;
        if n > 0 {
            attributed.push((step, n));
        }
    }
    Ok(Lift {
        goal: journey.goal.clone(),
        currency: settings.currency.clone(),
        treated,
        holdout,
        lift,
        ci95,
        attributed,
    })
}
