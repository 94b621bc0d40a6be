//! lead-scoring through the built components: intake hands a lead over,
//! the score is explained, hot leads are queued and routed, rules change
//! and existing leads are re-scored.

use serde_json::{json, Value};
use spin_retention_e2e::{admin, admin_json, app, get, own_app, request, submit_lead};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The score lead-intake's hand-off produced, once it is there.
fn score_of(base: &str, lead_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = admin("GET", base, &format!("/scoring/leads/{lead_id}"));
        if reply.status == 200 {
            return reply.json();
        }
        assert!(Instant::now() < deadline, "{lead_id} never scored: {}", reply.text());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn submit(base: &str, body: Value) -> String {
    submit_lead(base, &body)
}

/// Every page of the hot queue in one order, following the cursors.
fn queue(base: &str, order: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let reply = admin(
            "GET",
            base,
            &format!("/scoring/queue?order={order}&limit={limit}{cursor}"),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page = reply.json();
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit);
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return items,
        }
    }
}

fn fired(score: &Value) -> Vec<&str> {
    score["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn a_phone_left_after_the_pricing_page_is_hot_and_explained() {
    let base = &app().base_url;
    let id = submit(
        base,
        json!({"email": "seed@gmail.com", "pages": ["/", "/pricing"], "message": "how much?"}),
    );
    let first = score_of(base, &id);
    assert_eq!(first["tier"], "warm", "{first}");
    submit(
        base,
        json!({"email": "seed@gmail.com", "phone": "+1 201 555 0142", "message": "call me"}),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let score = loop {
        let score = score_of(base, &id);
        if score["tier"] == "hot" || Instant::now() > deadline {
            break score;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(score["tier"], "hot", "{score}");
    for rule in [
        "pricing-page",
        "left-phone",
        "repeat-visits",
        "recent-activity",
        "free-mail",
    ] {
        assert!(fired(&score).contains(&rule), "{rule} in {score}");
    }
    let pricing = score["fired"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "pricing-page")
        .unwrap();
    assert_eq!(pricing["points"], 30);
    assert_eq!(pricing["why"], "+30 visited the pricing page (today)");
    let total: i64 = score["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["points"].as_i64().unwrap())
        .sum();
    assert_eq!(score["total"], total);
    assert_eq!(
        score["total"],
        score["fit"].as_i64().unwrap() + score["engagement"].as_i64().unwrap()
    );

    // On demand: the same score again.
    let again = admin("POST", base, &format!("/scoring/leads/{id}"));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        (again.json()["total"].clone(), again.json()["fired"].clone()),
        (score["total"].clone(), score["fired"].clone())
    );

    let listed = queue(base, "newest", 50);
    let item = listed.iter().find(|i| i["lead_id"] == id.as_str()).expect("queued");
    assert_eq!(item["contact"]["phone"], "+12015550142");
    assert!(item["why"][0].as_str().unwrap().starts_with('+'));

    // Erased: no score, not in the queue.
    assert_eq!(admin("DELETE", base, &format!("/intake/admin/leads/{id}")).status, 200);
    admin("GET", base, &format!("/scoring/leads/{id}")).assert_problem(404);
    assert!(!queue(base, "score", 50).iter().any(|i| i["lead_id"] == id.as_str()));
}

#[test]
fn a_lead_without_intent_stays_out_of_the_queue() {
    let base = &app().base_url;
    let id = submit(base, json!({"email": "browsing@gmail.com", "message": "just looking"}));
    let score = score_of(base, &id);
    assert_eq!(score["tier"], "cold", "{score}");
    assert!(score.get("queue").is_none());
    assert!(!queue(base, "newest", 50).iter().any(|i| i["lead_id"] == id.as_str()));
}

#[test]
fn bad_input_is_a_clear_4xx() {
    let base = &app().base_url;
    admin("GET", base, "/scoring/queue?order=oldest").assert_problem(400);
    admin("GET", base, "/scoring/queue?limit=0").assert_problem(400);
    admin("GET", base, "/scoring/queue?limit=ten").assert_problem(400);
    let problem = admin("GET", base, "/scoring/queue?cursor=bm90LWEtY3Vyc29y").assert_problem(400);
    assert_eq!(problem["errors"][0]["field"], "cursor");
    admin("GET", base, "/scoring/leads/l_nobody").assert_problem(404);
    admin("POST", base, "/scoring/leads/l_nobody").assert_problem(404);
    get(base, "/scoring/queue").assert_problem(401);
    get(base, "/scoring/admin/rules").assert_problem(401);
    request("POST", base, "/scoring/leads/l_nobody", &[], b"").assert_problem(401);
    let refused = admin("PATCH", base, "/scoring/admin/rules");
    refused.assert_problem(405);
    assert_eq!(refused.header("allow"), Some("GET, PUT, DELETE"));
    admin("GET", base, "/scoring/admin/rescore").assert_problem(405);
    let huge = json!({"thresholds": {"hot": 2, "warm": 1}, "groups": [], "rules": [], "pad": "x".repeat(300_000)});
    admin_json("PUT", base, "/scoring/admin/rules", &huge).assert_problem(413);
    let problem =
        admin_json("PUT", base, "/scoring/admin/rules", &json!({"thresholds": {"hot": 1}})).assert_problem(422);
    assert!(problem["detail"].as_str().unwrap().contains("thresholds"), "{problem}");
}

fn rules_with(base: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut rules = admin("GET", base, "/scoring/admin/rules").json()["rules"].clone();
    edit(&mut rules);
    rules
}

#[test]
fn rules_are_validated_replaced_and_existing_leads_rescored() {
    let Some(host) = own_app() else { return };
    let base = &host.base_url;
    let current = admin("GET", base, "/scoring/admin/rules");
    assert_eq!(current.status, 200);
    let current = current.json();
    assert_eq!(current["source"], "default");
    assert!(current["facts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["fact"] == "pages"));
    let default_version = current["version"].as_str().unwrap().to_string();

    // A bad rule is refused by name, and nothing changes.
    let bad = rules_with(base, |r| {
        r["rules"][0]["when"][0] = json!({"fact": "pagez", "contains": "/pricing"});
        r["routing"]["rules"] = json!([{"id": "eu", "when": [], "assign": ["ghost"]}]);
    });
    let problem = admin_json("PUT", base, "/scoring/admin/rules", &bad).assert_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["rules[pricing-page].when[0]", "routing.rules[eu].assign"],
        "{problem}"
    );
    assert_eq!(
        admin("GET", base, "/scoring/admin/rules").json()["version"],
        default_version.as_str()
    );

    let ids: Vec<String> = (0..5)
        .map(|i| submit(base, json!({"email": format!("r{i}@acme.io"), "pages": ["/pricing"]})))
        .collect();
    for id in &ids {
        assert_eq!(score_of(base, id)["tier"], "hot");
    }

    // Pricing alone is no longer enough: every lead cools after a re-score.
    let stricter = rules_with(base, |r| r["thresholds"] = json!({"hot": 80, "warm": 40}));
    let put = admin_json("PUT", base, "/scoring/admin/rules", &stricter);
    assert_eq!(put.status, 200, "{}", put.text());
    let version = put.json()["version"].as_str().unwrap().to_string();
    assert_ne!(version, default_version);
    let mut batches = 0;
    let run = loop {
        let run = admin("POST", base, "/scoring/admin/rescore?limit=2").json();
        batches += 1;
        if run["done"] == true {
            break run;
        }
        assert!(batches < 10, "{run}");
    };
    assert_eq!(batches, 3, "5 leads in batches of 2");
    assert_eq!(run["processed"], 5);
    assert_eq!(run["changed"], 5);
    assert_eq!(run["version"], version.as_str());
    for id in &ids {
        let score = score_of(base, id);
        assert_eq!(
            (score["tier"].as_str(), score["rules_version"].as_str()),
            (Some("warm"), Some(version.as_str()))
        );
    }
    assert!(queue(base, "score", 10).is_empty());
    // Safe to rerun.
    let rerun = admin("POST", base, "/scoring/admin/rescore?restart=true").json();
    assert_eq!(
        (rerun["processed"].as_i64(), rerun["changed"].as_i64()),
        (Some(5), Some(0))
    );

    // Back to the defaults: hot again after a re-score.
    assert_eq!(admin("DELETE", base, "/scoring/admin/rules").status, 200);
    assert_eq!(
        admin("POST", base, "/scoring/admin/rescore?limit=100").json()["done"],
        true
    );
    assert_eq!(queue(base, "newest", 2).len(), 5);
}

#[test]
fn concurrent_hot_leads_all_reach_the_queue_and_are_shared_out() {
    let Some(host) = own_app() else { return };
    let base = host.base_url.clone();
    let team = rules_with(&base, |r| {
        r["routing"]["team"] = json!([
            {"id": "dana", "name": "Dana", "email": "dana@acme.test"},
            {"id": "noa", "name": "Noa"},
            {"id": "avi", "name": "Avi"}
        ]);
        r["routing"]["rules"] =
            json!([{"id": "israel", "when": [{"fact": "country", "equals": "IL"}], "assign": ["noa"]}]);
    });
    assert_eq!(admin_json("PUT", &base, "/scoring/admin/rules", &team).status, 200);
    let workers: Vec<_> = (0..30)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                submit(
                    &base,
                    json!({"email": format!("c{i}@gmail.com"), "phone": format!("+1 201 555 {:04}", 100 + i), "pages": ["/pricing"]}),
                )
            })
        })
        .collect();
    let ids: Vec<String> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let mut per_member: HashMap<String, usize> = HashMap::new();
    for id in &ids {
        let score = score_of(&base, id);
        assert_eq!(score["tier"], "hot");
        assert_eq!(score["assignment"]["via"], "round-robin");
        *per_member
            .entry(score["assignment"]["member_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(
        per_member.values().copied().collect::<Vec<_>>(),
        [10, 10, 10],
        "{per_member:?}"
    );
    for (order, limit) in [("score", 7), ("newest", 4)] {
        let mut listed: Vec<String> = queue(&base, order, limit)
            .iter()
            .map(|i| i["lead_id"].as_str().unwrap().to_string())
            .collect();
        listed.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(listed, expected, "{order}: none lost, none twice");
    }
    let by_score = queue(&base, "score", 100);
    let totals: Vec<i64> = by_score.iter().map(|i| i["total"].as_i64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");

    // Routing by rule.
    let il = submit(
        &base,
        json!({"email": "il@gmail.com", "phone": "052-555-1234", "country": "IL", "pages": ["/pricing"]}),
    );
    let assignment = &score_of(&base, &il)["assignment"];
    assert_eq!(
        (assignment["member_id"].as_str(), assignment["via"].as_str()),
        (Some("noa"), Some("rule:israel"))
    );
}
