//! Scoring a stored lead: records, queue, routing, re-scoring, erase.

use super::admin;
use super::queue::Order;
use super::*;
use spin_retention_core::http::Request;
use spin_retention_core::lead::testing::submit;
use spin_retention_core::lead_list::Walk;
use spin_retention_core::ports::NoOutbound;
use spin_retention_core::store::{CountingStore, MemoryStore};
use std::collections::HashMap;

fn ctx<'a>(store: &'a MemoryStore, config: &'a HashMap<String, String>) -> Ctx<'a> {
    Ctx::new(store, config, &NoOutbound, spin_retention_core::ports::test_now())
}

fn hot(ctx: &Ctx, n: usize) -> String {
    submit(
        ctx,
        &[
            ("email", &format!("hot{n}@gmail.com")),
            ("phone", &format!("+1201555{n:04}")),
            ("pages", "/pricing"),
        ],
    )
}

fn queue(ctx: &Ctx, order: Order, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let (records, next) = queue::page(ctx.store, order, after.as_ref(), limit).unwrap();
        pages.push(records.into_iter().map(|r| r.lead_id).collect());
        match next {
            Some(next) => after = Some(next),
            None => return pages,
        }
    }
}

fn team(store: &MemoryStore, members: &[&str]) {
    let mut rules = Rules::defaults();
    rules.routing.team = members
        .iter()
        .map(|id| rules::Member {
            id: id.to_string(),
            name: id.to_uppercase(),
            email: None,
        })
        .collect();
    spin_retention_core::admin_doc::save(store, rules, spin_retention_core::ports::test_now()).unwrap();
}

#[test]
fn the_seed_case_is_recorded_hot_queued_and_explained() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    let id = hot(&ctx, 1);
    let record = score_lead(&ctx, &id).unwrap().unwrap();
    assert_eq!(record.score.tier, Tier::Hot);
    assert!(record.score.fired.iter().any(|f| f.rule == "pricing-page"));
    assert!(record.assignment.is_none(), "no team configured");
    assert_eq!(queue(&ctx, Order::Newest, 10), [vec![id.clone()]]);
    assert_eq!(queue(&ctx, Order::Score, 10), [vec![id.clone()]]);
    // Idempotent: again, the same record apart from when.
    let again = score_lead(&ctx, &id).unwrap().unwrap();
    assert_eq!((again.score, again.queue), (record.score, record.queue));
    assert_eq!(queue(&ctx, Order::Newest, 10), [vec![id]]);
}

#[test]
fn cold_leads_stay_out_of_the_queue_and_leave_it_when_cooled() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    let cold = submit(&ctx, &[("email", "c@gmail.com"), ("message", "hello")]);
    assert_eq!(score_lead(&ctx, &cold).unwrap().unwrap().score.tier, Tier::Cold);
    let id = hot(&ctx, 2);
    score_lead(&ctx, &id).unwrap();
    assert_eq!(queue(&ctx, Order::Score, 10), [vec![id.clone()]]);
    let mut strict = Rules::defaults();
    strict.thresholds.hot = 500;
    spin_retention_core::admin_doc::save(&store, strict, ctx.now).unwrap();
    assert_eq!(score_lead(&ctx, &id).unwrap().unwrap().score.tier, Tier::Warm);
    assert_eq!(queue(&ctx, Order::Score, 10), [Vec::<String>::new()]);
    assert_eq!(queue(&ctx, Order::Newest, 10), [Vec::<String>::new()]);
}

#[test]
fn queue_orders_by_score_or_recency_and_pages() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    let plain = hot(&ctx, 3);
    // Business email, company and a demo request: a higher score.
    let best = submit(
        &ctx,
        &[
            ("email", "ceo@acme.io"),
            ("phone", "+12015550999"),
            ("company", "Acme"),
            ("pages", "/pricing"),
            ("form", "demo"),
        ],
    );
    let mut later = ctx;
    score_lead(&later, &best).unwrap();
    later.now += chrono::Duration::seconds(1);
    score_lead(&later, &plain).unwrap();
    assert_eq!(
        queue(&later, Order::Score, 1),
        [vec![best.clone()], vec![plain.clone()]]
    );
    assert_eq!(queue(&later, Order::Score, 2), [vec![best.clone(), plain.clone()]]);
    assert_eq!(queue(&later, Order::Newest, 5).concat().len(), 2);
}

#[test]
fn round_robin_spreads_hot_leads_and_keeps_assignments() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    team(&store, &["dana", "noa", "avi"]);
    let ids: Vec<String> = (10..16).map(|n| hot(&ctx, n)).collect();
    let mut count: HashMap<String, usize> = HashMap::new();
    for id in &ids {
        let a = score_lead(&ctx, id).unwrap().unwrap().assignment.unwrap();
        assert_eq!(a.via, "round-robin");
        *count.entry(a.member_id).or_default() += 1;
    }
    assert_eq!(count.values().copied().collect::<Vec<_>>(), [2, 2, 2]);
    let first = score_lead(&ctx, &ids[0]).unwrap().unwrap().assignment.unwrap();
    let again = score_lead(&ctx, &ids[0]).unwrap().unwrap().assignment.unwrap();
    assert_eq!(first, again, "re-scoring keeps the assignment");
}

#[test]
fn routing_rules_pick_by_region() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    team(&store, &["dana", "noa"]);
    let mut rules = current_rules(&store).unwrap();
    rules.routing.rules = vec![rules::RouteRule {
        id: "israel".into(),
        when: vec![serde_json::from_value(serde_json::json!({"fact": "country", "equals": "IL"})).unwrap()],
        assign: vec!["noa".into()],
    }];
    spin_retention_core::admin_doc::save(&store, rules, ctx.now).unwrap();
    let il = submit(
        &ctx,
        &[
            ("email", "a@gmail.com"),
            ("phone", "+972525551234"),
            ("country", "IL"),
            ("pages", "/pricing"),
        ],
    );
    let a = score_lead(&ctx, &il).unwrap().unwrap().assignment.unwrap();
    assert_eq!((a.member_id.as_str(), a.via.as_str()), ("noa", "rule:israel"));
}

#[test]
fn concurrent_scorings_lose_no_queue_entry() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let config = HashMap::new();
    let ids: Vec<String> = (100..130).map(|n| hot(&ctx(&store, &config), n)).collect();
    let workers: Vec<_> = ids
        .iter()
        .map(|id| {
            let (store, id) = (store.clone(), id.clone());
            std::thread::spawn(move || {
                let config = HashMap::new();
                score_lead(&ctx(&store, &config), &id).unwrap();
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let ctx = ctx(&store, &config);
    for order in [Order::Newest, Order::Score] {
        let mut listed = queue(&ctx, order, 7).concat();
        listed.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(listed, expected);
    }
}

#[test]
fn rescore_runs_in_resumable_batches_and_reruns_safely() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    let ids: Vec<String> = (20..25).map(|n| hot(&ctx, n)).collect();
    let batch = |query: &str| -> Walk {
        let mut req = Request::new("POST", "/scoring/admin/rescore");
        req.query = query.into();
        let reply = admin::rescore(&req, &ctx).unwrap();
        assert_eq!(reply.status, 200);
        serde_json::from_slice(&reply.body).unwrap()
    };
    let mut runs = vec![batch("limit=2")];
    while !runs.last().unwrap().done {
        runs.push(batch("limit=2"));
    }
    assert_eq!(runs.len(), 3);
    assert_eq!(runs.last().unwrap().processed, 5);
    assert_eq!(runs.last().unwrap().changed, 5, "first scores");
    for id in &ids {
        assert!(store.exists(&keys::score(id)).unwrap());
    }
    assert_eq!(batch("limit=2").processed, 5, "done stays done");
    let rerun = batch("limit=10&restart=true");
    assert_eq!((rerun.processed, rerun.changed, rerun.done), (5, 0, true));
    assert_eq!(queue(&ctx, Order::Newest, 10).concat().len(), 5);
}

#[test]
fn erasing_a_lead_takes_it_out_of_scoring() {
    let store = MemoryStore::new();
    let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
    let ctx = ctx(&store, &config);
    team(&store, &["dana", "noa"]);
    let id = hot(&ctx, 30);
    score_lead(&ctx, &id).unwrap();
    assert!(
        store.mentions(&id).iter().any(|k| k.starts_with("round-robin:")),
        "the erase check sees the round robin's counters: {:?}",
        store.mentions(&id)
    );
    // lead-intake forgets its own keys and hands scoring this call.
    spin_retention_core::lead::testing::erase(&store, &id);
    let mut req = Request::new("DELETE", &format!("/scoring/admin/people/{id}"));
    req.headers.push(("authorization".into(), "Bearer t".into()));
    assert_eq!(super::job::JOB.handle(&req, &ctx).reply.status, 200);
    assert!(!store.exists(&keys::score(&id)).unwrap());
    assert_eq!(
        store.mentions(&id),
        Vec::<String>::new(),
        "no key or value names the lead"
    );
    assert_eq!(queue(&ctx, Order::Score, 10), [Vec::<String>::new()]);
    assert!(spin_retention_core::lead_list::page(&store, None, 10)
        .unwrap()
        .entries
        .is_empty());
    assert!(score_lead(&ctx, &id).unwrap().is_none());
}

/// Reads taken by the first page of 5 in each order, with `hot` hot leads queued.
fn page_reads(hot_leads: usize) -> Vec<usize> {
    let store = std::sync::Arc::new(CountingStore::default());
    let config = HashMap::new();
    let seed = hot(&ctx(&store.inner, &config), 1);
    let template = score_lead(&ctx(&store.inner, &config), &seed).unwrap().unwrap();
    let noon = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 23, 12, 0, 0).unwrap();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (store, template) = (store.clone(), template.clone());
            std::thread::spawn(move || {
                for n in (w..hot_leads).step_by(8) {
                    let mut record = template.clone();
                    record.lead_id = format!("l_{n:04}");
                    let at = noon - chrono::Duration::seconds(n as i64);
                    record.queue = Some(Placement::new(&record.lead_id, record.score.total + (n % 7) as i64, at));
                    store.inner.set_json(&keys::score(&record.lead_id), &record).unwrap();
                    queue::add(&store.inner, None, record.queue.as_ref()).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // After a burst, ordinary traffic: the snapshots its writers take are
    // not held back by writers in flight (a burst's may lag, see sets).
    for n in hot_leads..hot_leads + 2 * spin_retention_core::sets::COMPACT_AFTER {
        let mut record = template.clone();
        record.lead_id = format!("l_{n:04}");
        record.queue = Some(Placement::new(&record.lead_id, record.score.total, noon));
        store.inner.set_json(&keys::score(&record.lead_id), &record).unwrap();
        queue::add(&store.inner, None, record.queue.as_ref()).unwrap();
    }
    [Order::Newest, Order::Score]
        .iter()
        .map(|order| {
            let before = store.reads();
            let (records, _) = queue::page(&*store, *order, None, 5).unwrap();
            assert_eq!(records.len(), 5);
            store.reads() - before
        })
        .collect()
}

#[test]
fn a_queue_page_costs_the_same_however_long_the_queue() {
    // The bucket set and one bucket (each a snapshot, a counter and at most
    // the operations since the snapshot, which its writers keep short), and
    // the page's five records.
    let bound = 2 * (2 + 2 * spin_retention_core::sets::COMPACT_AFTER) + 5;
    for hot_leads in [10, 120, 400] {
        let keys = page_reads(hot_leads);
        assert!(
            keys.iter().all(|k| *k <= bound),
            "{hot_leads} hot leads: {keys:?} > {bound}"
        );
    }
}

#[test]
fn without_an_admin_token_the_scoring_hand_off_is_closed() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    let id = hot(&ctx, 40);
    store.delete(&keys::score(&id)).unwrap();
    for lead in [id.as_str(), "l_nobody"] {
        let reply = crate::job::JOB
            .handle(&Request::new("POST", &format!("/scoring/leads/{lead}")), &ctx)
            .reply;
        assert_eq!(reply.status, 403, "{lead}");
        assert!(String::from_utf8_lossy(&reply.body).contains("admin_token"));
    }
    assert!(!store.exists(&keys::score(&id)).unwrap(), "no work done");
}

/// Commits (transactions on Spin's SQLite store) that scoring a new lead
/// costs. Before, it read each log's counter three times, each read a
/// commit (and one that created the survey log's counter); since counters
/// are read with a `get`, reading costs none.
#[test]
fn scoring_a_new_lead_costs_a_few_commits() {
    let store = CountingStore::default();
    let config = HashMap::new();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let commits = |id: &str| {
        let before = store.commits();
        score_lead(&ctx, id).unwrap().unwrap();
        store.commits() - before
    };
    // The score log's slot and the record (with the score change).
    let cold = submit(&ctx, &[("email", "c@gmail.com"), ("message", "hello")]);
    assert_eq!(commits(&cold), 2);
    // The same, and a slot in each hot queue (the first of a bucket also
    // registers the bucket).
    let first = hot(&ctx, 1);
    assert_eq!(commits(&first), 6);
    let second = hot(&ctx, 2);
    assert_eq!(commits(&second), 4);
    // Scored again with nothing new: no change to log, no queue move.
    assert_eq!(commits(&second), 1);
    assert!(
        store.inner.mentions("lead-surveys").is_empty(),
        "no survey log made by reading one"
    );
}

/// The hand-off route scores, then tells lead-alerts and audience-export.
#[test]
fn a_scoring_hand_off_tells_alerts_and_audiences() {
    let store = MemoryStore::new();
    let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
    let ctx = ctx(&store, &config);
    let id = hot(&ctx, 3);
    let mut req = Request::new("POST", &format!("/scoring/leads/{id}"));
    req.headers.push(("authorization".into(), "Bearer t".into()));
    let outcome = crate::job::JOB.handle(&req, &ctx);
    assert_eq!(outcome.reply.status, 200);
    let told = spin_retention_core::jobs::testing::Recorder::default();
    let ctx = Ctx { outbound: &told, ..ctx };
    outcome.finish(&ctx).unwrap();
    assert_eq!(
        *told.0.lock().unwrap(),
        [
            format!("http://lead-alerts.spin.internal/alerts/leads/{id}"),
            format!("http://audience-export.spin.internal/audiences/leads/{id}"),
        ],
        "lead-alerts for a hot lead, then audience-export"
    );
}

#[test]
fn round_robin_skips_members_who_are_away() {
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    team(&store, &["dana", "noa"]);
    let away = spin_retention_core::team::Away {
        since: ctx.now,
        until: None,
    };
    store
        .set_json(&spin_retention_core::team::away_key("dana"), &away)
        .unwrap();
    for i in 0..4 {
        let record = score_lead(&ctx, &hot(&ctx, 10 + i)).unwrap().unwrap();
        assert_eq!(record.assignment.unwrap().member_id, "noa");
    }
    store
        .set_json(&spin_retention_core::team::away_key("noa"), &away)
        .unwrap();
    let record = score_lead(&ctx, &hot(&ctx, 20)).unwrap().unwrap();
    assert_eq!(record.assignment, None, "everyone away: the owner is alerted");
}

/// What customers folds of a person's purchases is a fact, and a customer
/// slipping away is at risk, as a detractor is.
#[test]
fn a_slipping_customer_is_at_risk_and_their_purchases_are_facts() {
    use spin_retention_core::customer::{Customer, Rfm};
    use spin_retention_core::store::JsonStore;
    let store = MemoryStore::new();
    let config = HashMap::new();
    let ctx = ctx(&store, &config);
    let id = submit(&ctx, &[("email", "buyer@shop.io")]);
    let now = spin_retention_core::ports::test_now();
    let last = now - chrono::Duration::days(50);
    let customer = Customer {
        lead_id: id.clone(),
        orders: 3,
        refunds: 0,
        revenue: [("USD".to_string(), 45_000)].into(),
        main_revenue: 45_000,
        currency: "USD".into(),
        average_order_value: [("USD".to_string(), 15_000)].into(),
        first_purchase_at: Some(now - chrono::Duration::days(110)),
        last_purchase_at: Some(last),
        typical_interval_days: Some(30.0),
        slipping_after: Some(last + chrono::Duration::days(45)),
        churned_after: Some(last + chrono::Duration::days(90)),
        subscription: None,
        loyalty_tier: Some("bronze".into()),
        tier_changes: Vec::new(),
        rfm: Some(Rfm {
            recency: 2,
            frequency: 5,
            monetary: 4,
            segment: "Can't Lose Them".into(),
        }),
        last_activity: None,
        events: 3,
        updated_at: now,
    };
    store
        .set_json(&spin_retention_core::keys::customer(&id), &customer)
        .unwrap();
    let record = score_lead(&ctx, &id).unwrap().unwrap();
    assert!(record.score.at_risk);
    assert_eq!(record.score.slipping_since, customer.slipping_after);
    assert_eq!(record.score.at_risk_reason, None, "no survey says so");
    let inputs = read_inputs(&store, &id).unwrap().unwrap();
    let facts = Facts::new(&inputs.lead, &inputs.submissions, &inputs.surveys, &[], now)
        .with_customer(inputs.customer.as_ref());
    use facts::Value;
    assert_eq!(facts.get("customer", None), Value::Bool(true));
    assert_eq!(facts.get("loyalty_tier", None), Value::Text(Some("bronze".into())));
    assert_eq!(
        facts.get("rfm_segment", None),
        Value::Text(Some("Can't Lose Them".into()))
    );
    assert_eq!(facts.get("slipping", None), Value::Bool(true));
    assert_eq!(facts.get("days_since_purchase", None), Value::Number(50.0));
    assert_eq!(facts.get("orders", None), Value::Number(3.0));
    assert_eq!(facts.get("revenue", None), Value::Number(450.0));
    assert_eq!(facts.get("tags", None), Value::List(Vec::new()));
    // A journey's tag step: read with the rest of the person.
    spin_retention_core::tags::add(&store, &id, "vip-club").unwrap();
    let inputs = read_inputs(&store, &id).unwrap().unwrap();
    let tagged = Facts::new(&inputs.lead, &inputs.submissions, &inputs.surveys, &[], now).with_tags(&inputs.tags);
    assert_eq!(tagged.get("tags", None), Value::List(vec!["vip-club".into()]));
    // Five days earlier the same customer was not slipping yet.
    let earlier = Facts::new(
        &inputs.lead,
        &inputs.submissions,
        &inputs.surveys,
        &[],
        now - chrono::Duration::days(6),
    )
    .with_customer(inputs.customer.as_ref());
    assert_eq!(earlier.get("slipping", None), Value::Bool(false));
}

#[test]
fn each_change_of_score_is_logged_with_its_reasons_newest_first() {
    let store = MemoryStore::new();
    let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
    let ctx = ctx(&store, &config);
    let id = submit(&ctx, &[("email", "dana@gmail.com"), ("message", "hello")]);
    score_lead(&ctx, &id).unwrap();
    score_lead(&ctx, &id).unwrap();
    let first = changes::newest(&store, &id, 10).unwrap();
    assert_eq!(first.len(), 1, "the same score again is no change");
    assert_eq!((first[0].tier, first[0].previous_total), (Tier::Cold, None));

    submit(
        &ctx,
        &[
            ("email", "dana@gmail.com"),
            ("phone", "+12015550100"),
            ("pages", "/pricing"),
        ],
    );
    let record = score_lead(&ctx, &id).unwrap().unwrap();
    let logged = changes::newest(&store, &id, 10).unwrap();
    assert_eq!(logged.len(), 2);
    let hot = &logged[0];
    assert_eq!(
        (hot.tier, hot.total, hot.previous_total),
        (Tier::Hot, record.score.total, Some(first[0].total))
    );
    assert_eq!(hot.previous_tier, Some(Tier::Cold));
    assert!(hot.why.iter().any(|w| w.contains("pricing page")), "{:?}", hot.why);
    assert_eq!(
        changes::newest(&store, &id, 1).unwrap(),
        vec![hot.clone()],
        "a limit keeps the newest"
    );

    // Read over the admin route, as the dashboard does.
    let mut req = Request::new("GET", &format!("/scoring/admin/leads/{id}/changes"));
    req.headers.push(("authorization".into(), "Bearer t".into()));
    let reply = job::JOB.handle(&req, &ctx).finish(&ctx).unwrap();
    let read: spin_retention_scores::api::ScoreChanges = spin_retention_core::contracts::testing::reads_as(&reply.body);
    assert_eq!((read.lead_id, read.changes), (id, logged));
}

/// What the dashboard reads of scoring is the contract's: a score, the hot
/// queue, and the rules (the team in them, and the whole document) read
/// back as `spin_retention_scores` types; a change of the rules answers
/// core's `admin_doc::Changed`.
#[test]
fn the_admin_answers_are_the_contract() {
    use spin_retention_core::admin_doc::{Changed, Source};
    use spin_retention_core::contracts::testing::reads_as;
    use spin_retention_scores::api::{QueuePage, Rules as Listed};
    let store = MemoryStore::new();
    let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
    team(&store, &["dana", "noa"]);
    let ctx = ctx(&store, &config);
    let id = hot(&ctx, 1);
    score_lead(&ctx, &id).unwrap();
    let call = |method: &str, path: &str, body: &str| {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut req = Request::new(method, path);
        req.query = query.into();
        req.body = body.as_bytes().to_vec();
        req.headers.push(("authorization".into(), "Bearer t".into()));
        let reply = job::JOB.handle(&req, &ctx).finish(&ctx).unwrap();
        assert_eq!(reply.status, 200, "{path}: {}", String::from_utf8_lossy(&reply.body));
        reply.body
    };
    let record: ScoreRecord = reads_as(&call("GET", &format!("/scoring/leads/{id}"), ""));
    assert_eq!(record.assignment.map(|a| a.member_name), Some("DANA".to_string()));
    let queue: QueuePage = reads_as(&call("GET", "/scoring/queue?order=score", ""));
    assert_eq!(
        (queue.order.as_str(), queue.items[0].lead_id.as_str()),
        ("score", id.as_str())
    );
    let answer = call("GET", "/scoring/admin/rules", "");
    let listed: Listed<Rules> = reads_as(&answer);
    assert_eq!(
        (listed.about.source, listed.rules.routing.team.len()),
        (Source::Admin, 2)
    );
    let team: Listed<spin_retention_scores::rules::Team> = serde_json::from_slice(&answer).unwrap();
    assert_eq!(team.rules.members(), listed.rules.routing.team, "the team, read alone");
    let whole: Listed<serde_json::Value> = reads_as(&answer);
    let changed: Changed = reads_as(&call("PUT", "/scoring/admin/rules", &whole.rules.to_string()));
    assert_eq!(changed.version, listed.about.version, "the same rules again");
}

/// One writer per key: scoring, re-scoring (which walks lead-intake's lead
/// list, long enough to be snapshotted), the queue, the rules and an erase
/// write only lead-scoring's keys.
#[test]
fn lead_scoring_writes_only_its_own_keys() {
    let store = MemoryStore::new();
    let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
    team(&store, &["dana", "noa"]);
    let ids: Vec<String> = (0..150).map(|n| hot(&ctx(&store, &config), n)).collect();
    let owned = spin_retention_core::ownership::OwnedBy::new(&store, "lead-scoring");
    let ctx = Ctx::new(&owned, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let call = |method: &str, path: &str, query: &str, body: &str| {
        let mut req = Request::new(method, path);
        req.query = query.into();
        req.body = body.as_bytes().to_vec();
        req.headers.push(("authorization".into(), "Bearer t".into()));
        super::job::JOB.handle(&req, &ctx).finish(&ctx).unwrap().status
    };
    assert_eq!(call("POST", &format!("/scoring/leads/{}", ids[0]), "", ""), 200);
    while {
        let reply = admin::rescore(&Request::new("POST", "/scoring/admin/rescore"), &ctx).unwrap();
        !serde_json::from_slice::<Walk>(&reply.body).unwrap().done
    } {}
    assert_eq!(call("GET", "/scoring/queue", "limit=100", ""), 200);
    let mut rules = rules::Rules::defaults();
    rules.thresholds.hot -= 1;
    let rules = serde_json::to_string(&rules).unwrap();
    assert_eq!(call("PUT", "/scoring/admin/rules", "", &rules), 200);
    assert_eq!(
        call("DELETE", &format!("/scoring/admin/people/{}", ids[1]), "", ""),
        200
    );
}
