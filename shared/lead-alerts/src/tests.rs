//! A hot lead's alerts, SLA, claim and contact, and webhook deliveries,
//! over the in-memory store with a recording outbound port.

use crate::actions::{ClaimResult, ContactResult};
use crate::record::Why;
use crate::settings::Settings;
use crate::steps::{self, Tick};
use crate::webhooks::{self, Endpoints, Status};
use crate::{actions, emit, keys};
use chrono::{DateTime, Duration, Utc};
use spin_retention_core::admin_doc::{self, Document};
use spin_retention_core::lead::testing::submit;
use spin_retention_core::ports::{Ctx, Outbound, OutboundRequest, OutboundResponse};
use spin_retention_core::store::{JsonStore, MemoryStore, Store};
use spin_retention_scores::rules::Member;
use spin_retention_scores::Tier;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Answers with the scripted statuses (then 200) and keeps every request.
#[derive(Default)]
struct Script {
    sent: Mutex<Vec<OutboundRequest>>,
    statuses: Mutex<VecDeque<u16>>,
}

impl Outbound for Script {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        self.sent.lock().unwrap().push(request);
        let status = self.statuses.lock().unwrap().pop_front().unwrap_or(200);
        Ok(OutboundResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        })
    }
}

impl Script {
    fn urls(&self) -> Vec<String> {
        self.sent.lock().unwrap().iter().map(|r| r.url.clone()).collect()
    }
}

fn config() -> HashMap<String, String> {
    [
        ("alert_link_secret", "link-secret"),
        ("public_url", "https://app.example"),
        (
            "alert_channel_urls",
            r#"{"dana": "https://hooks.slack.com/dana", "noa": "https://hook.example/noa", "owner": "https://hook.example/owner"}"#,
        ),
        ("webhook_secrets", r#"{"crm": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn t0() -> DateTime<Utc> {
    // Monday 2026-11-23 10:00 UTC.
    spin_retention_core::ports::test_now()
}

fn setup(store: &MemoryStore, settings: serde_json::Value) {
    spin_retention_scores::testing::set_team(store, &team(), t0());
    let settings = Settings::parse(settings.to_string().as_bytes()).unwrap();
    admin_doc::save(store, settings, t0()).unwrap();
}

/// A lead that exists (its `lead:` marker), for events about it.
fn stored_lead(store: &MemoryStore, lead_id: &str) {
    let created = spin_retention_core::lead::Created {
        id: lead_id.into(),
        created_at: t0(),
    };
    store.set_json(&keys::lead(lead_id), &created).unwrap();
}

/// `lead.claimed` of the lead, by dana.
fn claimed_event(lead_id: &str) -> spin_retention_core::events::Event {
    use spin_retention_core::events::{Claimed, Event, Person, What};
    let by = Person {
        member_id: Some("dana".into()),
        name: "DANA".into(),
    };
    let what = What::LeadClaimed(Claimed {
        lead_id: lead_id.into(),
        by,
        at: t0(),
        via: "link".into(),
    });
    Event::new(lead_id, t0(), what)
}

/// `lead.hot` of the lead, assigned to dana.
fn hot_event(lead_id: &str) -> spin_retention_core::events::Event {
    use spin_retention_core::events::{Event, LeadInEvent, Person, StepTaken, What, Why};
    let what = What::LeadHot(StepTaken {
        lead: LeadInEvent {
            lead_id: lead_id.into(),
            name: None,
            email: None,
            phone: None,
            score: Some(80),
            reasons: None,
        },
        step: 0,
        why: Why::Assigned,
        assignee: Person {
            member_id: Some("dana".into()),
            name: "DANA".into(),
        },
        due: None,
    });
    Event::new(lead_id, t0(), what)
}

fn default_settings() -> serde_json::Value {
    serde_json::json!({
        "owner": {"name": "Olive", "channel": "webhook"},
        "members": {"dana": {"channel": "slack"}, "noa": {"channel": "webhook"}},
        "sla": {"minutes": 15, "max_reassignments": 1, "working_hours": {
            "time_zone": "Europe/London",
            "week": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]},
            "holidays": ["2026-11-24"]
        }},
        "link_ttl_hours": 24
    })
}

/// The team in the scoring rules.
fn team() -> Vec<Member> {
    ["dana", "noa", "avi"]
        .iter()
        .map(|id| Member {
            id: id.to_string(),
            name: id.to_uppercase(),
            email: Some(format!("{id}@team.example")),
        })
        .collect()
}

/// A hot lead, scored at `now` and assigned to dana (as lead-scoring's
/// round robin gives the first turn).
fn hot_lead(ctx: &Ctx) -> String {
    hot_lead_to(ctx, Some(&team()[0]))
}

/// A hot lead, scored at `now`, assigned as lead-scoring would.
fn hot_lead_to(ctx: &Ctx, assignee: Option<&Member>) -> String {
    let id = submit(
        ctx,
        &[
            ("email", "hot1@gmail.com"),
            ("name", "Dana <b>Cohen</b>"),
            ("phone", "+12015550123"),
            ("pages", "/pricing"),
            ("message", "How much for 20 seats?"),
        ],
    );
    let why = "+30 visited the pricing page (today)";
    spin_retention_scores::testing::score(ctx.store, &id, Tier::Hot, assignee, why, ctx.now);
    id
}

fn at<'a>(store: &'a MemoryStore, config: &'a HashMap<String, String>, out: &'a Script, now: DateTime<Utc>) -> Ctx<'a> {
    Ctx::new(store, config, out, now)
}

#[test]
fn a_hot_lead_alerts_its_assignee_once_with_who_how_and_why() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    let id = hot_lead(&ctx);
    let changed = steps::alert_lead(&ctx, &id).unwrap().unwrap();
    assert_eq!(changed.alerts.steps.len(), 1);
    let step = &changed.alerts.steps[0];
    assert_eq!(
        (step.why, step.to.key(), step.alert.status.as_str()),
        (Why::Assigned, "dana", "sent")
    );
    assert_eq!(
        step.due,
        Some(t0() + Duration::minutes(15)),
        "Monday 10:00 London is working time"
    );
    let kinds: Vec<&str> = changed.events.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, ["lead.hot", "lead.assigned"]);
    // The Slack message: Block Kit, escaped, with tel:, wa.me, reasons and links.
    let sent = out.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, "https://hooks.slack.com/dana");
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    let text = body.to_string();
    assert!(text.contains("<tel:+12015550123|+12015550123>"), "{text}");
    assert!(text.contains("https://wa.me/12015550123"));
    assert!(
        text.contains("Dana &lt;b&gt;Cohen&lt;/b&gt;"),
        "names are escaped: {text}"
    );
    assert!(text.contains("How much for 20 seats?"));
    assert!(text.contains("https://app.example/alerts/links/"));
    assert_eq!(body["blocks"][0]["type"], "header");
    // Told again (a re-score): nothing more is sent.
    let again = steps::alert_lead(&ctx, &id).unwrap().unwrap();
    assert!(again.events.is_empty());
    assert_eq!(out.sent.lock().unwrap().len(), 1);
}

fn tick(ctx: &Ctx) -> Tick {
    let mut report = Tick::default();
    steps::tick(ctx, 100, &mut report).unwrap();
    report
}

#[test]
fn the_sla_counts_working_hours_reassigns_then_escalates() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    setup(&store, default_settings());
    // Monday 16:50 London: 10 minutes today, then Tuesday is a holiday and
    // Wednesday has no hours: the 5 minutes left count next Monday.
    let start = "2026-11-23T16:50:00Z".parse().unwrap();
    let id = hot_lead(&at(&store, &config, &out, start));
    steps::alert_lead(&at(&store, &config, &out, start), &id).unwrap();
    let due: DateTime<Utc> = "2026-11-30T09:05:00Z".parse().unwrap();
    assert_eq!(crate::record::load(&store, &id).unwrap().steps[0].due, Some(due));
    let before = tick(&at(&store, &config, &out, due - Duration::seconds(1)));
    assert_eq!((before.open, before.reassigned), (1, 0));
    // Two ticks at once: one reassignment, one alert.
    let first = tick(&at(&store, &config, &out, due));
    let second = tick(&at(&store, &config, &out, due));
    assert_eq!((first.reassigned, second.reassigned), (1, 0));
    let alerts = crate::record::load(&store, &id).unwrap();
    assert_eq!(alerts.steps[1].to.key(), "noa");
    assert_eq!(out.urls(), ["https://hooks.slack.com/dana", "https://hook.example/noa"]);
    let kinds: Vec<&str> = first.events.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, ["lead.sla_breached", "lead.assigned"]);
    // One reassignment allowed: the next breach goes to the owner, once.
    let due2 = alerts.steps[1].due.unwrap();
    assert_eq!(due2, due + Duration::minutes(15));
    assert_eq!(tick(&at(&store, &config, &out, due2)).escalated, 1);
    let alerts = crate::record::load(&store, &id).unwrap();
    assert_eq!(
        (alerts.steps[2].why, alerts.steps[2].to.key()),
        (Why::Escalated, "owner")
    );
    assert!(alerts.closed());
    let later = at(&store, &config, &out, due2 + Duration::days(1));
    assert_eq!(
        (tick(&later).checked, tick(&later).checked),
        (1, 0),
        "closed: walked past"
    );
    assert_eq!(out.urls().len(), 3);
}

#[test]
fn a_claim_stops_the_clock_and_the_first_claim_wins() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    let id = hot_lead(&ctx);
    steps::alert_lead(&ctx, &id).unwrap();
    let dana = steps::person(&ctx, "dana").unwrap().unwrap();
    let noa = steps::person(&ctx, "noa").unwrap().unwrap();
    let ClaimResult::Yours(_, events) = actions::claim(&ctx, &id, &dana, "link").unwrap() else {
        panic!("dana's")
    };
    assert_eq!(events[0].kind(), "lead.claimed");
    let ClaimResult::Theirs(claimed) = actions::claim(&ctx, &id, &noa, "admin").unwrap() else {
        panic!("dana's, not noa's")
    };
    assert_eq!(claimed.by, dana);
    assert!(tick(&at(&store, &config, &out, t0() + Duration::hours(3))).reassigned == 0);
    let voicemail = Some(crate::record::ContactOutcome::Voicemail);
    let ContactResult::Recorded { first: true, .. } = actions::contact(&ctx, &id, &noa, voicemail, "admin").unwrap()
    else {
        panic!("the first contact")
    };
    let ContactResult::Recorded { first, contacted, .. } = actions::contact(&ctx, &id, &dana, None, "admin").unwrap()
    else {
        panic!("recorded")
    };
    assert!(!first, "the first contact is the one kept");
    assert_eq!(contacted.by, noa);
    let counters = |prefix: &str| store.mentions(&id).iter().filter(|k| k.starts_with(prefix)).count();
    assert!(
        counters("alert-claim:") > 0 && counters("alert-contact:") > 0,
        "the erase check sees counters: {:?}",
        store.mentions(&id)
    );
    crate::forget(&store, &id).unwrap();
    let left: Vec<String> = store
        .mentions(&id)
        .into_iter()
        .filter(|k| k.starts_with("alert"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "erase leaves nothing of lead-alerts'");
}

#[test]
fn everyone_away_alerts_the_owner() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    for id in ["dana", "noa", "avi"] {
        let away = spin_retention_core::team::Away {
            since: t0(),
            until: None,
        };
        store.set_json(&spin_retention_core::team::away_key(id), &away).unwrap();
    }
    // Everyone away: lead-scoring leaves the lead unassigned.
    let id = hot_lead_to(&ctx, None);
    let changed = steps::alert_lead(&ctx, &id).unwrap().unwrap();
    assert_eq!(changed.alerts.steps[0].to.key(), "owner");
    assert_eq!(out.urls(), ["https://hook.example/owner"]);
}

#[test]
fn a_failing_receiver_is_retried_with_backoff_then_failed_then_redelivered() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    let ctx = at(&store, &config, &out, t0());
    let endpoints = Endpoints::parse(
        br#"{"endpoints": [{"id": "crm", "url": "https://crm.example/hook", "events": ["lead.claimed"]}]}"#,
    )
    .unwrap();
    admin_doc::save(&store, endpoints, t0()).unwrap();
    stored_lead(&store, "l_1");
    let event = claimed_event("l_1");
    out.statuses.lock().unwrap().extend([500; 5]);
    let task = emit::record(&ctx, std::slice::from_ref(&event))
        .unwrap()
        .expect("a delivery");
    task(&ctx);
    assert!(
        emit::record(&ctx, std::slice::from_ref(&event)).unwrap().is_none(),
        "recorded once"
    );
    let id = format!("{}.crm", event.id);
    let mut now = t0();
    for wait in [5, 300, 1800, 7200] {
        let d = store.get_json(&keys::delivery(&id)).unwrap().unwrap();
        assert_eq!(d.status, Status::Pending);
        assert_eq!(d.next_at, Some(now + Duration::seconds(wait)));
        // Not due yet: nothing sent.
        assert!(!webhooks::attempt(&at(&store, &config, &out, now + Duration::seconds(wait - 1)), &id).unwrap());
        now += Duration::seconds(wait);
        assert!(webhooks::attempt(&at(&store, &config, &out, now), &id).unwrap());
    }
    let d = store.get_json(&keys::delivery(&id)).unwrap().unwrap();
    assert_eq!((d.status, d.attempts.len()), (Status::Failed, 5));
    // Every attempt: the same webhook-id, its own timestamp and signature.
    let sent = out.sent.lock().unwrap().clone();
    assert!(sent
        .iter()
        .all(|r| r.headers.contains(&("webhook-id".into(), event.id.clone()))));
    let r = &sent[4];
    let header = |n: &str| r.headers.iter().find(|(k, _)| k == n).unwrap().1.clone();
    let ts: i64 = header("webhook-timestamp").parse().unwrap();
    assert_eq!(ts, now.timestamp());
    assert_eq!(
        header("webhook-signature"),
        webhooks::sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &event.id, ts, &r.body)
    );
    let d = webhooks::redeliver(&at(&store, &config, &out, now), &id)
        .unwrap()
        .unwrap();
    assert_eq!((d.status, d.attempts.len(), d.series_from), (Status::Delivered, 6, 5));
}

#[test]
fn no_endpoint_means_nothing_recorded() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    let ctx = at(&store, &config, &out, t0());
    stored_lead(&store, "l_1");
    let event = hot_event("l_1");
    assert!(emit::record(&ctx, &[event]).unwrap().is_none());
}

#[test]
fn a_tick_alerts_a_hot_lead_whose_tell_was_lost() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    let id = hot_lead(&ctx); // scored hot; lead-scoring's tell never came
    let report = tick(&ctx);
    assert_eq!(report.caught_up, 1);
    assert_eq!(crate::record::load(&store, &id).unwrap().steps.len(), 1);
    assert_eq!(tick(&ctx).caught_up, 0, "once");
    assert_eq!(out.urls(), ["https://hooks.slack.com/dana"]);
}

#[test]
fn a_claim_whose_taker_has_not_written_yet_is_in_flight_not_a_second_claim() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    let id = hot_lead(&ctx);
    steps::alert_lead(&ctx, &id).unwrap();
    // Another request counted 1 and is still writing its record.
    store.increment(&keys::claim(&id, 0), 1).unwrap();
    let noa = steps::person(&ctx, "noa").unwrap().unwrap();
    assert!(matches!(
        actions::claim(&ctx, &id, &noa, "link").unwrap(),
        ClaimResult::InFlight
    ));
    // It died: from the third window after, the claim is free again.
    let later = at(
        &store,
        &config,
        &out,
        t0() + Duration::seconds(3 * crate::record::RETAKE_SECONDS),
    );
    assert!(matches!(
        actions::claim(&later, &id, &noa, "link").unwrap(),
        ClaimResult::Yours(..)
    ));
}

#[test]
fn an_attempt_cut_off_is_made_again_three_windows_later_never_sooner() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    let ctx = at(&store, &config, &out, t0());
    let endpoints =
        Endpoints::parse(br#"{"endpoints": [{"id": "crm", "url": "https://crm.example/hook", "events": ["*"]}]}"#)
            .unwrap();
    admin_doc::save(&store, endpoints, t0()).unwrap();
    stored_lead(&store, "l_9");
    let event = claimed_event("l_9");
    let _first_attempts = emit::record(&ctx, std::slice::from_ref(&event))
        .unwrap()
        .expect("a delivery");
    let id = format!("{}.crm", event.id);
    // Attempt 1 was taken, and its taker died before recording it.
    store.increment(&keys::attempt_claim(&id, 1, 0), 1).unwrap();
    let window = crate::record::RETAKE_SECONDS;
    for (late, sent) in [(0, false), (window, false), (2 * window, false), (3 * window, true)] {
        let ctx = at(&store, &config, &out, t0() + Duration::seconds(late));
        assert_eq!(
            webhooks::attempt(&ctx, &id).unwrap(),
            sent,
            "{late} s after it fell due"
        );
    }
    assert_eq!(out.urls(), ["https://crm.example/hook"]);
}

#[test]
fn events_about_a_person_are_kept_while_they_exist_and_go_with_erase() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    let endpoints =
        Endpoints::parse(br#"{"endpoints": [{"id": "crm", "url": "https://crm.example/hook", "events": ["*"]}]}"#)
            .unwrap();
    admin_doc::save(&store, endpoints, t0()).unwrap();
    let id = hot_lead(&ctx);
    assert!(emit::record(&ctx, &[hot_event(&id)]).unwrap().is_some());
    let gone = hot_event("l_gone");
    assert!(
        emit::record(&ctx, &[gone]).unwrap().is_none(),
        "nothing kept about a person who is not there"
    );
    crate::forget(&store, &id).unwrap();
    assert!(!store.exists(&keys::event(&hot_event(&id).id)).unwrap());
    assert!(store
        .mentions(&id)
        .iter()
        .all(|k| !k.starts_with("lead-events") && !k.starts_with("event:")));
}

#[test]
fn the_owner_gets_yesterdays_digest_once_from_the_hour_set() {
    let (store, config, out) = (MemoryStore::new(), config(), Script::default());
    let mut settings = default_settings();
    settings["digest"] = serde_json::json!({"forms": ["*"], "hour": 8});
    setup(&store, settings);
    let ctx = at(&store, &config, &out, t0());
    let hot = hot_lead(&ctx);
    let cold = submit(&ctx, &[("email", "reader@example.com"), ("form", "brochure")]);
    let settings = crate::settings::current(&store).unwrap();
    for id in [&hot, &cold] {
        let lead = spin_retention_core::lead::load(&store, id).unwrap().unwrap();
        let submission = store
            .get_json(&keys::submission(&lead.submissions[0]))
            .unwrap()
            .unwrap();
        let event = spin_retention_core::events::lead_created(&submission);
        crate::digest::count(&ctx, &settings, &event).unwrap();
        crate::digest::count(&ctx, &settings, &event).unwrap(); // told twice: counted once
    }
    steps::alert_lead(&ctx, &hot).unwrap();
    let dana = steps::person(&ctx, "dana").unwrap().unwrap();
    let later = at(&store, &config, &out, t0() + Duration::minutes(4));
    assert!(matches!(
        actions::claim(&later, &hot, &dana, "link").unwrap(),
        ClaimResult::Yours(..)
    ));
    // Tuesday 07:59 London: not yet; 08:00: once, however many ticks.
    let before = at(&store, &config, &out, "2026-11-24T07:59:00Z".parse().unwrap());
    assert!(!tick(&before).digest_sent);
    let eight = at(&store, &config, &out, "2026-11-24T08:00:00Z".parse().unwrap());
    assert!(tick(&eight).digest_sent);
    assert!(!tick(&eight).digest_sent);
    let sent = out.sent.lock().unwrap().clone();
    let digest = sent
        .iter()
        .find(|r| r.url == "https://hook.example/owner")
        .expect("the owner's digest");
    let body: serde_json::Value = serde_json::from_slice(&digest.body).unwrap();
    assert_eq!(body["type"], "alerts.digest");
    assert_eq!(body["submissions"], serde_json::json!({"(no form)": 1, "brochure": 1}));
    let text = body["text"].as_str().unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>()[..6],
        [
            "Olive, your digest of Monday 23 November 2026 (Europe/London).",
            "",
            "Submissions: 2",
            "- (no form): 1",
            "- brochure: 1",
            "",
        ]
    );
    assert!(text.contains("Hot leads: 1\n- Dana <b>Cohen</b> ("), "{text}");
    assert!(text.ends_with(", with DANA: claimed by DANA after 4 min"), "{text}");
}

#[test]
fn webhook_urls_to_hosts_that_are_not_public_are_refused_naming_the_field() {
    let (store, mut config, out) = (MemoryStore::new(), config(), Script::default());
    let urls = [
        "https://127.0.0.1/x",
        "https://10.0.0.5/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://localhost/x",
        "https://crm.example/hook",
    ];
    let endpoints: Vec<_> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| serde_json::json!({"id": format!("e{i}"), "url": url, "events": ["*"]}))
        .collect();
    let body = serde_json::json!({ "endpoints": endpoints }).to_string();
    let problem = webhooks::refuse_private_hosts(&at(&store, &config, &out, t0()), body.as_bytes()).unwrap_err();
    assert_eq!(problem.status, 422);
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "endpoints[0].url",
            "endpoints[1].url",
            "endpoints[2].url",
            "endpoints[3].url",
            "endpoints[4].url"
        ]
    );
    config.insert(webhooks::TEST_PRIVATE_HOSTS.into(), "enabled".into());
    assert!(webhooks::refuse_private_hosts(&at(&store, &config, &out, t0()), body.as_bytes()).is_ok());
}

/// Fails every call as the adapter words a transport failure.
struct Unreachable;

impl Outbound for Unreachable {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        Err(spin_retention_core::net::transport_error(
            "blocked",
            &request.method,
            &request.url,
            "DestinationIpProhibited",
        ))
    }
}

#[test]
fn a_transport_failure_is_recorded_and_answered_as_its_class_only() {
    let (store, config) = (MemoryStore::new(), config());
    let secret_url = "https://hooks.example/services/T0/B0/SECRETPATH?token=SECRETQUERY";
    let endpoints = Endpoints::parse(
        serde_json::json!({"endpoints": [{"id": "crm", "url": secret_url, "events": ["lead.claimed"]}]})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    admin_doc::save(&store, endpoints, t0()).unwrap();
    let ctx = Ctx::new(&store, &config, &Unreachable, t0());
    stored_lead(&store, "l_1");
    let event = claimed_event("l_1");
    emit::record(&ctx, std::slice::from_ref(&event))
        .unwrap()
        .expect("a delivery")(&ctx);
    let id = format!("{}.crm", event.id);
    let answer = webhooks::redeliver(&ctx, &id).unwrap().unwrap();
    assert_eq!(answer.attempts.len(), 2, "the first attempt and the redelivery's");
    assert!(answer.attempts.iter().all(|a| a.error.as_deref() == Some("blocked")));
    let stored = String::from_utf8(store.get(&keys::delivery(&id).to_string()).unwrap().unwrap()).unwrap();
    assert!(
        !stored.contains("SECRET") && !stored.contains("hooks.example"),
        "{stored}"
    );
}

/// One writer per key: alerting, claiming, contacting, the digest, the
/// SLA tick, webhook deliveries and an erase write only lead-alerts' keys.
#[test]
fn lead_alerts_writes_only_its_own_keys() {
    let (store, mut config, out) = (MemoryStore::new(), config(), Script::default());
    config.insert("admin_token".into(), "t".into());
    let mut settings = default_settings();
    settings["digest"] = serde_json::json!({"forms": ["*"], "hour": 8});
    setup(&store, settings);
    let hot = hot_lead(&at(&store, &config, &out, t0()));
    let owned = spin_retention_core::ownership::OwnedBy::new(&store, "lead-alerts");
    let ctx = Ctx::new(&owned, &config, &out, t0());
    let endpoints =
        Endpoints::parse(br#"{"endpoints": [{"id": "crm", "url": "https://crm.example/hook", "events": ["*"]}]}"#)
            .unwrap();
    admin_doc::save(&owned, endpoints, t0()).unwrap();
    let lead = spin_retention_core::lead::load(&store, &hot).unwrap().unwrap();
    let submission = store
        .get_json(&keys::submission(&lead.submissions[0]))
        .unwrap()
        .unwrap();
    let settings = crate::settings::current(&store).unwrap();
    crate::digest::count(&ctx, &settings, &spin_retention_core::events::lead_created(&submission)).unwrap();
    let changed = steps::alert_lead(&ctx, &hot).unwrap().unwrap();
    if let Some(task) = emit::record(&ctx, &changed.events).unwrap() {
        task(&ctx);
    }
    let dana = steps::person(&ctx, "dana").unwrap().unwrap();
    assert!(matches!(
        actions::claim(&ctx, &hot, &dana, "link").unwrap(),
        ClaimResult::Yours(..)
    ));
    let voicemail = Some(crate::record::ContactOutcome::Voicemail);
    actions::contact(&ctx, &hot, &dana, voicemail, "admin").unwrap();
    let eight = Ctx::new(&owned, &config, &out, "2026-11-24T08:00:00Z".parse().unwrap());
    assert!(tick(&eight).digest_sent);
    let mut forget = spin_retention_core::http::Request::new("DELETE", &format!("/alerts/admin/people/{hot}"));
    forget.headers.push(("authorization".into(), "Bearer t".into()));
    assert_eq!(crate::job::JOB.handle(&forget, &ctx).reply.status, 200);
}

/// What the dashboard reads of a lead, and sends to claim and contact it,
/// is the contract's: the admin routes' answers read back as
/// `contracts::alerts` types, and its `Act` body is what they take.
#[test]
fn the_admin_view_of_a_lead_is_the_contract() {
    use spin_retention_core::contracts::alerts::{Act, LeadView};
    use spin_retention_core::contracts::testing::reads_as;
    let (store, mut config, out) = (MemoryStore::new(), config(), Script::default());
    config.insert("admin_token".into(), "t".into());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    let id = hot_lead(&ctx);
    steps::alert_lead(&ctx, &id).unwrap();
    let call = |method: &str, path: &str, body: Option<&Act>| {
        let mut req = spin_retention_core::http::Request::new(method, path);
        req.headers.push(("authorization".into(), "Bearer t".into()));
        if let Some(body) = body {
            req.headers.push(("content-type".into(), "application/json".into()));
            req.body = serde_json::to_vec(body).unwrap();
        }
        let reply = crate::job::JOB.handle(&req, &ctx).reply;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        reply.body
    };
    let path = format!("/alerts/admin/leads/{id}");
    let view: LeadView = reads_as(&call("GET", &path, None));
    assert_eq!((view.lead_id.as_str(), view.alerts.steps.len()), (id.as_str(), 1));
    assert_eq!(view.alerts.steps[0].to.name, "DANA");
    assert!(view.timing.is_some() && view.alerts.claimed.is_none());

    let noa = Act {
        member_id: Some("noa".into()),
        outcome: None,
    };
    call("POST", &format!("{path}/claim"), Some(&noa));
    let reached = Act {
        member_id: None,
        outcome: Some("reached".into()),
    };
    call("POST", &format!("{path}/contacted"), Some(&reached));
    let view: LeadView = reads_as(&call("GET", &path, None));
    assert_eq!(view.alerts.claimed.map(|c| c.by.name), Some("NOA".to_string()));
    let contacted = view.alerts.contacted.unwrap();
    assert_eq!(contacted.outcome, Some(crate::record::ContactOutcome::Reached));
    // No member named: the lead's assignee.
    assert_eq!(contacted.by.name, "DANA");
}

/// journeys' alert step: the owner hears once per alert id, with the note,
/// however often journeys tries it.
#[test]
fn a_journeys_alert_reaches_the_owner_once_with_its_note() {
    let (store, mut config, out) = (MemoryStore::new(), config(), Script::default());
    config.insert("admin_token".into(), "t".into());
    setup(&store, default_settings());
    let ctx = at(&store, &config, &out, t0());
    let id = hot_lead(&ctx);
    let call = |lead: &str| {
        let mut req = spin_retention_core::http::Request::new("POST", &format!("/alerts/owner/{lead}"));
        req.headers.push(("authorization".into(), "Bearer t".into()));
        req.headers.push(("content-type".into(), "application/json".into()));
        req.body = br#"{"id": "jny_abc", "note": "Call them: a loyal customer slipping"}"#.to_vec();
        let outcome = crate::job::JOB.handle(&req, &ctx);
        let status = outcome.reply.status;
        outcome.finish(&ctx).unwrap();
        status
    };
    assert_eq!(call(&id), 202);
    assert_eq!(call(&id), 202);
    assert_eq!(call("l_nobody"), 404);
    assert_eq!(out.urls(), ["https://hook.example/owner"], "once");
    let body: serde_json::Value = serde_json::from_slice(&out.sent.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["note"], "Call them: a loyal customer slipping");
    assert!(body["text"].as_str().unwrap().contains("Follow up: "), "{body}");
}
