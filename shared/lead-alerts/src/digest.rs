//! The owner's daily digest: once a day, from `digest.hour` in the team's
//! time zone, the day before: how many submissions each of the digest's
//! forms had, and every hot lead with who has it and how fast it was
//! claimed and contacted; nothing on a day with neither. Sent on the owner's channel by the tick (the
//! scheduler's, or a request's), once: its record is written once by the
//! winner of its turn ([`take_turn`]).

use crate::alert::{self, Notice};
use crate::hours::local_instant;
use crate::keys;
use crate::record::{take_turn, LeadAlerts, Sent};
use crate::settings::Settings;
use crate::speed;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use spin_retention_core::events::{Event, What};
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{JsonStore, StoreError};
use spin_retention_zones::Zone;
use std::collections::{BTreeMap, BTreeSet};

/// One submission the digest counts: `digest-day:<local date>` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    #[serde(rename = "s")]
    pub submission_id: String,
    #[serde(rename = "f")]
    pub form: String,
}

/// Counts a submission (intake's `lead.created`) in its local day, if the
/// digest covers its form.
pub fn count(ctx: &Ctx, settings: &Settings, event: &Event) -> Result<(), StoreError> {
    let Some(digest) = &settings.digest else { return Ok(()) };
    let What::LeadCreated(submitted) = &event.what else {
        return Ok(());
    };
    let form = submitted.form.as_deref().unwrap_or_default();
    if !spin_retention_core::events::names_form(&digest.forms, form) {
        return Ok(());
    }
    let submission_id = submitted.submission_id.as_str();
    let day = event
        .timestamp
        .with_timezone(&settings.sla.working_hours.zone())
        .date_naive();
    let entry = Counted {
        submission_id: submission_id.into(),
        form: if form.is_empty() {
            "(no form)".into()
        } else {
            form.into()
        },
    };
    spin_retention_core::slots::append(
        ctx.store,
        &keys::digest_day(day),
        &spin_retention_core::store::json_bytes(&entry),
    )?;
    Ok(())
}

/// Sends yesterday's digest if it is time and nobody has; says whether
/// this call sent it.
pub fn send_if_due(ctx: &Ctx, settings: &Settings) -> Result<bool, StoreError> {
    let (Some(digest), Some(owner)) = (&settings.digest, &settings.owner) else {
        return Ok(false);
    };
    let zone = settings.sla.working_hours.zone();
    let local = ctx.now.with_timezone(&zone);
    if local.hour() < u32::from(digest.hour) {
        return Ok(false);
    }
    let day = local.date_naive() - Duration::days(1);
    if ctx.store.exists(&keys::digest(day))? {
        return Ok(false);
    }
    let due = at(
        zone,
        local.date_naive(),
        NaiveTime::from_hms_opt(digest.hour.into(), 0, 0).unwrap_or_default(),
    );
    if !take_turn(ctx.store, |w| keys::digest_claim(day, w), due, ctx.now)? {
        return Ok(false);
    }
    let sent = match build(ctx, settings, &owner.name, zone, day)? {
        Some(notice) => alert::send(ctx, &notice, Some(&owner.recipient), None, ctx.now),
        // A quiet day sends nothing.
        None => Sent {
            channel: owner.recipient.channel.name().into(),
            status: "skipped".into(),
            attempts: 0,
            at: None,
            detail: Some("no submissions and no hot leads that day".into()),
        },
    };
    ctx.store.set_json(&keys::digest(day), &sent)?;
    Ok(true)
}

/// A local date and time as an instant (see [`local_instant`]); UTC's
/// reading of it if the zone has none.
fn at(zone: Zone, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = day.and_time(time);
    local_instant(zone, naive).unwrap_or_else(|| naive.and_utc())
}

/// One hot lead's line.
struct Hot {
    name: String,
    points: Option<i64>,
    alerts: LeadAlerts,
}

/// The digest of `day`; `None` when nothing happened.
fn build(
    ctx: &Ctx,
    settings: &Settings,
    owner: &str,
    zone: Zone,
    day: NaiveDate,
) -> Result<Option<Notice>, StoreError> {
    let store = ctx.store;
    // Submissions by form, each once.
    let log = keys::digest_day(day);
    let len = spin_retention_core::slots::len(store, &log)?;
    let mut seen = BTreeSet::new();
    let mut by_form: BTreeMap<String, u64> = BTreeMap::new();
    for (_, bytes) in spin_retention_core::slots::read(store, &log, 1, len)? {
        if let Ok(c) = serde_json::from_slice::<Counted>(&bytes) {
            if seen.insert(c.submission_id) {
                *by_form.entry(c.form).or_default() += 1;
            }
        }
    }
    // Hot leads that came in that day: the logs of the weeks it touches.
    let (start, end) = (
        at(zone, day, NaiveTime::MIN),
        at(zone, day + Duration::days(1), NaiveTime::MIN),
    );
    let mut hot = Vec::new();
    let mut leads = BTreeSet::new();
    for week in speed::weeks(start.date_naive(), (end - Duration::seconds(1)).date_naive()) {
        let log = keys::alerted_week(&week);
        let len = spin_retention_core::slots::len(store, &log)?;
        for (_, bytes) in spin_retention_core::slots::read(store, &log, 1, len)? {
            let lead_id = String::from_utf8_lossy(&bytes).into_owned();
            if !leads.insert(lead_id.clone()) {
                continue;
            }
            let alerts = crate::record::load(store, &lead_id)?;
            let Some(first) = alerts.steps.first() else { continue };
            if first.intake_at < start || first.intake_at >= end {
                continue;
            }
            let Some(lead) = spin_retention_core::lead::load(store, &lead_id)? else {
                continue;
            };
            let score: Option<spin_retention_scores::ScoreRecord> = store.get_json(&keys::score(&lead_id))?;
            let name = lead
                .contact
                .name
                .clone()
                .or(lead.contact.email.clone())
                .unwrap_or(lead_id);
            hot.push(Hot {
                name,
                points: score.map(|s| s.score.total),
                alerts,
            });
        }
    }
    hot.sort_by_key(|h| h.alerts.steps[0].intake_at);
    let submissions: u64 = by_form.values().sum();
    if submissions == 0 && hot.is_empty() {
        return Ok(None);
    }
    let date = day.format("%A %-d %B %Y").to_string();
    let subject = format!(
        "Daily digest, {date}: {submissions} submissions, {} hot leads",
        hot.len()
    );
    let mut lines = vec![
        format!("{owner}, your digest of {date} ({}).", zone.name()),
        String::new(),
    ];
    lines.push(format!("Submissions: {submissions}"));
    lines.extend(by_form.iter().map(|(form, n)| format!("- {form}: {n}")));
    lines.push(String::new());
    lines.push(format!("Hot leads: {}", hot.len()));
    lines.extend(hot.iter().map(|h| format!("- {}", line(h))));
    let text = lines.join("\n");
    let hot_json: Vec<Value> = hot
        .iter()
        .map(|h| json!({"name": h.name, "points": h.points, "with": h.alerts.current().map(|s| &s.to), "claimed": h.alerts.claimed, "contacted": h.alerts.contacted, "timing": speed::timing("", &h.alerts)}))
        .collect();
    Ok(Some(Notice {
        id: format!("digest_{day}"),
        event: "alerts.digest",
        lead_id: String::new(),
        to: crate::steps::owner(settings),
        short_text: subject.clone(),
        slack: json!({"text": subject, "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": format!("Daily digest, {date}")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": alert::slack_text(&text, 2900)}},
        ]}),
        webhook: json!({"type": "alerts.digest", "day": day, "time_zone": zone.name(), "submissions": by_form, "hot": hot_json, "text": text}),
        subject,
        text,
    }))
}

/// "Lead 1 (54 points), with NOA: claimed by NOA after 4 min; first contact after 9 min (reached)".
fn line(h: &Hot) -> String {
    let points = h.points.map(|p| format!(" ({p} points)")).unwrap_or_default();
    let with = h.alerts.current().map(|s| s.to.name.as_str()).unwrap_or("nobody");
    let intake = h.alerts.steps[0].intake_at;
    let mut out = format!("{}{points}, with {with}: ", h.name);
    match &h.alerts.claimed {
        Some(c) => out.push_str(&format!("claimed by {} after {}", c.by.name, took(c.at - intake))),
        None => out.push_str("not claimed"),
    }
    if let Some(c) = &h.alerts.contacted {
        let outcome = c
            .outcome
            .map(|o| format!(" ({})", o.label().to_lowercase()))
            .unwrap_or_default();
        out.push_str(&format!("; first contact after {}{outcome}", took(c.at - intake)));
    }
    out
}

/// "45 s", "4 min", "2 h 5 min", "3 d 2 h".
fn took(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => match (s / 3600, s % 3600 / 60) {
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        },
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::took;
    use chrono::Duration;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(took(Duration::seconds(45)), "45 s");
        assert_eq!(took(Duration::seconds(4 * 60 + 59)), "4 min");
        assert_eq!(took(Duration::minutes(125)), "2 h 5 min");
        assert_eq!(took(Duration::hours(50)), "2 d 2 h");
    }
}
