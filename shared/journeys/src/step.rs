//! Taking one due step: a wait schedules what follows it; a send checks,
//! at send time, everything that may have changed since the person entered
//! (erased, unsubscribed, consent, the address), then holds the message to
//! the end of quiet hours or the next open slot of the contact budget, and
//! sends it through the provider.

use crate::document::{Journey, Purpose, Send, Settings, Step};
use crate::due::Due;
use crate::instance::{Instance, Outcome};
use crate::{branch, clicks, coupons, keys, pressure, render, unsubscribe};
use chrono::{DateTime, Duration, Utc};
use spin_retention_core::jobs::{handoff_request, ALERTS, SCORING, SURVEY};
use spin_retention_core::lead::{self, Lead};
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::JsonStore;
use spin_retention_core::store::StoreError;
use spin_retention_messaging::{self as providers, Account, Message};

/// Attempts at a message the provider did not take, before it fails.
pub const MAX_ATTEMPTS: u32 = 5;

/// What taking `due` did.
pub fn take(
    ctx: &Ctx,
    settings: &Settings,
    journey: &Journey,
    instance: &Instance,
    due: &Due,
) -> Result<Outcome, StoreError> {
    let outcome = match journey.steps.get(due.step) {
        None => Outcome::Exited {
            why: "completed".into(),
        },
        Some(Step::Wait(wait)) => {
            let zone = match wait.at {
                Some(_) => match lead::load(ctx.store, &instance.lead_id)? {
                    Some(lead) => pressure::zone_of(settings, &lead),
                    None => return Ok(Outcome::Exited { why: "gone".into() }),
                },
                None => spin_retention_zones::Zone::utc(),
            };
            Outcome::Waited {
                until: wait.until(due.at, zone),
            }
        }
        Some(Step::Send(send)) => self::send(ctx, settings, journey, instance, due, send)?,
        Some(Step::Split(split)) => match branch::taken(ctx, split, instance, due.step)? {
            Some(taken) => Outcome::Split {
                taken,
                to: if taken { split.go_to } else { due.step + 1 },
            },
            None => Outcome::Exited { why: "gone".into() },
        },
        Some(Step::GoTo(to)) => Outcome::Jumped { to: *to },
        Some(Step::Alert(alert)) => self::alert(ctx, instance, due, alert)?,
        Some(Step::Tag(tag)) => self::tag(ctx, instance, due, tag)?,
        Some(Step::WaitFor(wait)) if due.attempt == 0 => Outcome::Listening {
            until: due.at + wait.within.duration(),
        },
        // Its event did not take the turn first (which would have recorded it).
        Some(Step::WaitFor(wait)) => Outcome::TimedOut { to: wait.timeout_go_to },
    };
    Ok(outcome)
}

fn skipped(reason: &str) -> Outcome {
    Outcome::Skipped { reason: reason.into() }
}

fn send(
    ctx: &Ctx,
    settings: &Settings,
    journey: &Journey,
    instance: &Instance,
    due: &Due,
    send: &Send,
) -> Result<Outcome, StoreError> {
    let store = ctx.store;
    let Some(lead) = lead::load(store, &instance.lead_id)? else {
        return Ok(Outcome::Exited { why: "gone".into() });
    };
    let marketing = journey.purpose == Purpose::Marketing;
    if marketing {
        for topic in [journey.topic.as_str(), unsubscribe::ALL] {
            if store.exists(&keys::opt_out(&lead.id, topic))? {
                return Ok(Outcome::Exited {
                    why: "unsubscribed".into(),
                });
            }
        }
        if !consented(&lead) {
            return Ok(skipped("no_consent"));
        }
    }
    let channel = send.channel;
    let address = match channel {
        crate::document::Channel::Email => lead.contact.email.clone(),
        _ => lead.contact.phone.clone(),
    };
    let Some(address) = address else {
        return Ok(skipped("no_address"));
    };
    if marketing
        && channel != crate::document::Channel::Email
        && store.exists(&keys::opt_out(&lead.id, unsubscribe::SMS_STOP))?
    {
        return Ok(skipped("sms_stopped"));
    }
    if instance.held_out {
        return Ok(Outcome::HeldOut {
            channel: channel.name().into(),
        });
    }
    if marketing {
        if ctx.now > due.first_due + Duration::hours(journey.expire_after_hours.into()) {
            return Ok(skipped("expired"));
        }
        if let Some(until) = pressure::quiet_until(settings, pressure::zone_of(settings, &lead), ctx.now) {
            return Ok(Outcome::Deferred {
                until: pressure::in_priority_order(until, journey.priority),
                reason: "quiet_hours".into(),
            });
        }
    }
    let Some(account) = Account::from_config(ctx.config, "journeys") else {
        return Ok(Outcome::Deferred {
            until: ctx.now + Duration::hours(1),
            reason: "no_provider".into(),
        });
    };
    let language = render::language(&lead);
    // Marketing carries its unsubscribe (and waits without one);
    // transactional messages carry none.
    let unsubscribe_url = match marketing.then(|| unsubscribe::url(ctx.config, &lead.id, &journey.topic, language)) {
        // RFC 8058: an https URI, which a mail client may POST to.
        Some(Some(url)) if url.starts_with("https://") => Some(url),
        Some(Some(_)) => {
            return Ok(Outcome::Deferred {
                until: ctx.now + Duration::hours(1),
                reason: "no_https_public_url".into(),
            })
        }
        Some(None) => {
            return Ok(Outcome::Deferred {
                until: ctx.now + Duration::hours(1),
                reason: "no_link_secret".into(),
            })
        }
        None => None,
    };
    if send.survey.is_some() {
        if let Some(last) = store.get_json(&keys::surveyed(&lead.id))? {
            if ctx.now < last + Duration::days(settings.survey_every_days.into()) {
                return Ok(skipped("survey_throttled"));
            }
        }
    }
    if marketing {
        if let Err(until) = pressure::claim(store, settings, &lead.id, channel, journey.priority, ctx.now)? {
            return Ok(Outcome::Deferred {
                until,
                reason: "contact_pressure".into(),
            });
        }
    }
    let release = || {
        if marketing {
            pressure::release(store, settings, &lead.id, channel, ctx.now)
        } else {
            Ok(())
        }
    };
    let survey_link = match &send.survey {
        Some(survey) => match survey_link(ctx, survey, &lead.id, language) {
            Ok(link) => link,
            Err(failed) => {
                release()?;
                return Ok(retry_or_fail(failed, due, ctx.now, "survey"));
            }
        },
        None => String::new(),
    };
    let coupon = match &send.coupon {
        Some(pool) => match coupons::issue(store, pool, &journey.id, &lead.id)? {
            Some(code) => code,
            None => {
                release()?;
                return Ok(Outcome::Deferred {
                    until: ctx.now + Duration::hours(1),
                    reason: "no_coupon".into(),
                });
            }
        },
        None => String::new(),
    };
    let personal = render::Personal { survey_link, coupon };
    let business = ctx.config.get("business_name").unwrap_or_else(|| "our team".into());
    let template = clicks::track(
        ctx.config,
        render::pick(&send.text, language),
        &instance.id,
        due.step,
        language,
    );
    let text = render::fill(&template, &lead, &instance.trigger, &business, &personal);
    let text = match &unsubscribe_url {
        Some(url) if channel == crate::document::Channel::Email => {
            format!("{text}\n\n{}: {url}", render::unsubscribe_label(language))
        }
        // A text message's way out is a reply (read by `sms_stop`).
        Some(_) => format!("{text}\n{}", render::stop_label(language)),
        None => text,
    };
    let subject = render::fill(
        render::pick(&send.subject, language),
        &lead,
        &instance.trigger,
        &business,
        &personal,
    );
    let mut headers = Vec::new();
    if let (Some(url), crate::document::Channel::Email) = (&unsubscribe_url, channel) {
        // RFC 8058: a mail client's one-click unsubscribe POSTs here.
        headers.push(("List-Unsubscribe".to_string(), format!("<{url}>")));
        headers.push((
            "List-Unsubscribe-Post".to_string(),
            "List-Unsubscribe=One-Click".to_string(),
        ));
    }
    let reference = reference(instance, due);
    let message = Message {
        event: "journey.message",
        reference: &reference,
        lead_id: &lead.id,
        channel: channel.name(),
        to_email: (channel == crate::document::Channel::Email).then_some(address.as_str()),
        to_phone: (channel != crate::document::Channel::Email).then_some(address.as_str()),
        to_name: lead.contact.name.as_deref(),
        language: Some(language),
        subject: &subject,
        text: &text,
        headers: &headers,
    };
    let response = ctx.outbound.send(providers::request(&account, &message));
    let failed = match response {
        Ok(r) if (200..300).contains(&r.status) => {
            if send.survey.is_some() {
                store.set_json(&keys::surveyed(&lead.id), &ctx.now)?;
            }
            if send.coupon.is_some() {
                crate::instance::count(store, &journey.id, "coupons:issued")?;
            }
            return Ok(Outcome::Sent {
                channel: channel.name().into(),
                message_id: providers::message_id(account.provider, &r),
            });
        }
        Ok(r) if (400..500).contains(&r.status) && ![408, 409, 429].contains(&r.status) => {
            Err(format!("{} refused it: HTTP {}", account.provider.name(), r.status))
        }
        Ok(r) => Ok(format!("HTTP {}", r.status)),
        Err(e) => Ok(e),
    };
    release()?;
    Ok(retry_or_fail(failed, due, ctx.now, "provider"))
}

/// The step's idempotency key (the provider's, lead-alerts'): the same for
/// every attempt of it.
fn reference(instance: &Instance, due: &Due) -> String {
    let hash = spin_retention_core::ids::sha256_hex(&format!("{}:{}", instance.id, due.step));
    format!("jny_{}", &hash[..24])
}

/// The owner's alert through lead-alerts (`POST /alerts/owner/<lead>`,
/// once per step of this time through, however often it is tried).
fn alert(ctx: &Ctx, instance: &Instance, due: &Due, alert: &crate::document::Alert) -> Result<Outcome, StoreError> {
    let Some(lead) = lead::load(ctx.store, &instance.lead_id)? else {
        return Ok(Outcome::Exited { why: "gone".into() });
    };
    if instance.held_out {
        return Ok(Outcome::HeldOut {
            channel: "alert".into(),
        });
    }
    let business = ctx.config.get("business_name").unwrap_or_else(|| "our team".into());
    let note = render::fill(
        &alert.note,
        &lead,
        &instance.trigger,
        &business,
        &render::Personal::default(),
    );
    let url = format!(
        "{}/alerts/owner/{}",
        ALERTS.base_url(ctx.config).trim_end_matches('/'),
        lead.id
    );
    let token = ctx.config.get(spin_retention_core::auth::ADMIN_TOKEN);
    let mut request = handoff_request(ctx, url, token.as_deref());
    request.headers.push(("content-type".into(), "application/json".into()));
    let id = reference(instance, due);
    request.body = serde_json::to_vec(&serde_json::json!({"id": id, "note": note})).expect("JSON");
    let failed = match ctx.outbound.send(request) {
        Ok(r) if (200..300).contains(&r.status) => return Ok(Outcome::Alerted),
        Ok(r) if [404, 422].contains(&r.status) => Err(format!("lead-alerts refused the alert: HTTP {}", r.status)),
        Ok(r) => Ok(format!("HTTP {}", r.status)),
        Err(e) => Ok(e),
    };
    Ok(retry_or_fail(failed, due, ctx.now, "alerts"))
}

/// Changes the tag, then asks lead-scoring to score the person again (the
/// score's facts and, through it, the audiences), trying that call again
/// later as an alert does.
fn tag(ctx: &Ctx, instance: &Instance, due: &Due, tag: &crate::document::Tag) -> Result<Outcome, StoreError> {
    if !lead::exists(ctx.store, &instance.lead_id)? {
        return Ok(Outcome::Exited { why: "gone".into() });
    }
    match tag {
        crate::document::Tag::Add(tag) => spin_retention_core::tags::add(ctx.store, &instance.lead_id, tag)?,
        crate::document::Tag::Remove(tag) => spin_retention_core::tags::remove(ctx.store, &instance.lead_id, tag)?,
    };
    // An erase that ran between the check and the write: it leaves nothing.
    if !lead::exists(ctx.store, &instance.lead_id)? {
        spin_retention_core::tags::erase(ctx.store, &instance.lead_id)?;
        return Ok(Outcome::Exited { why: "gone".into() });
    }
    let url = format!(
        "{}{}",
        SCORING.base_url(ctx.config).trim_end_matches('/'),
        spin_retention_core::jobs::calls::score_lead(&instance.lead_id)
    );
    let token = ctx.config.get(spin_retention_core::auth::ADMIN_TOKEN);
    let failed = match ctx.outbound.send(handoff_request(ctx, url, token.as_deref())) {
        Ok(r) if r.status < 300 => return Ok(Outcome::Tagged),
        Ok(r) => Ok(format!("HTTP {}", r.status)),
        Err(e) => Ok(e),
    };
    Ok(retry_or_fail(failed, due, ctx.now, "scoring"))
}

/// What a failed attempt at a call comes to: failed for good (`Err`: a
/// refusal), after the last attempt, or tried again later (5 minutes,
/// doubling; the reason counts as `deferred:<what>`).
fn retry_or_fail(failed: Result<String, String>, due: &Due, now: DateTime<Utc>, what: &str) -> Outcome {
    match failed {
        Err(detail) => Outcome::Failed { detail },
        Ok(why) if due.attempt + 1 >= MAX_ATTEMPTS => Outcome::Failed {
            detail: format!("{MAX_ATTEMPTS} attempts failed, the last: {why}"),
        },
        Ok(why) => Outcome::Deferred {
            until: now + Duration::minutes(5 << due.attempt.min(6)),
            reason: format!("{what}: {}", why.chars().take(120).collect::<String>()),
        },
    }
}

/// Marketing consent in force: confirmed (a form's own grant waits for
/// the person's confirmation, `pending_consent`).
pub fn consented(lead: &Lead) -> bool {
    lead.consent.as_ref().is_some_and(|c| c.marketing == Some(true))
}

/// The person's link to `survey`, made by survey (`POST
/// /survey/admin/surveys/<id>/links`, valid 30 days). `Err(Ok(why))`: try
/// again later; `Err(Err(why))`: never (no such survey, no such person).
fn survey_link(ctx: &Ctx, survey: &str, lead_id: &str, language: &str) -> Result<String, Result<String, String>> {
    let url = format!(
        "{}/survey/admin/surveys/{survey}/links",
        SURVEY.base_url(ctx.config).trim_end_matches('/')
    );
    let token = ctx.config.get(spin_retention_core::auth::ADMIN_TOKEN);
    let mut request = handoff_request(ctx, url, token.as_deref());
    request.headers.push(("content-type".into(), "application/json".into()));
    request.body =
        serde_json::to_vec(&serde_json::json!({"lead_id": lead_id, "language": language, "expires_in_days": 30}))
            .expect("JSON");
    match ctx.outbound.send(request) {
        Ok(r) if r.status == 201 || r.status == 200 => serde_json::from_slice::<serde_json::Value>(&r.body)
            .ok()
            .and_then(|v| v["url"].as_str().map(str::to_string))
            .ok_or_else(|| Err("survey answered without a link".to_string())),
        Ok(r) if [404, 422].contains(&r.status) => Err(Err(format!("survey refused the link: HTTP {}", r.status))),
        Ok(r) => Err(Ok(format!("HTTP {}", r.status))),
        Err(e) => Err(Ok(e)),
    }
}
