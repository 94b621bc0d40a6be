//! Many clients at once under the real runtime, and a count of what
//! arrived: nothing accepted may be lost (E2E_STORE=sqlite and redis).
//! The full-size counts are in `bench-load`; these are smaller.

use serde_json::{json, Value};
use spin_retention_e2e::bench::concurrently;
use spin_retention_e2e::{admin, admin_json, app, post_json, post_lead};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Polls `check` until it holds (the hand-offs run after the reply).
fn eventually(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match check() {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("{what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

fn paged(base: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = admin("GET", base, &format!("{path}{cursor}")).json();
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return items,
        }
    }
}

#[test]
fn distinct_hot_leads_at_once_are_all_stored_queued_once_and_in_their_audience() {
    let base = &app().base_url;
    let n = 200;
    let (replies, _) = concurrently(32, n, |i| {
        let body = json!({
            "name": "Many At Once", "email": format!("many{i}@example.com"),
            "phone": format!("+1201244{i:04}"), "pages": ["/pricing"], "country": "US",
            "consent_marketing": true, "consent_ad_user_data": "granted", "consent_ad_personalization": "granted"
        });
        let reply = post_lead(base, &body);
        (
            reply.status,
            reply.json()["id"].as_str().unwrap_or_default().to_string(),
        )
    });
    assert!(replies.iter().all(|(status, _)| *status == 201), "{replies:?}");
    let ids: HashSet<String> = replies.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), n, "one lead each");
    for id in &ids {
        assert_eq!(
            admin("GET", base, &format!("/intake/admin/leads/{id}")).status,
            200,
            "{id}"
        );
    }
    eventually("every hot lead in the queue exactly once, in both orders", || {
        for order in ["newest", "score"] {
            let queued: Vec<String> = paged(base, &format!("/scoring/queue?order={order}&limit=100"))
                .iter()
                .filter_map(|item| item["lead_id"].as_str().map(str::to_string))
                .filter(|id| ids.contains(id))
                .collect();
            let distinct: HashSet<&String> = queued.iter().collect();
            if queued.len() != n || distinct.len() != n {
                return Err(format!(
                    "{order}: {} entries, {} distinct",
                    queued.len(),
                    distinct.len()
                ));
            }
        }
        Ok(())
    });
    eventually("every one a member of hot-not-converted", || {
        let size = admin("GET", base, "/audiences/hot-not-converted/size").json();
        match size["members"].as_u64() {
            Some(members) if members as usize >= n => Ok(()),
            _ => Err(size.to_string()),
        }
    });
}

#[test]
fn concurrent_survey_answers_are_each_counted_once() {
    let base = &app().base_url;
    let survey = json!({"kind": "csat", "question": {"en": "Happy?"}});
    let defined = admin_json("PUT", base, "/survey/admin/surveys/concurrent-csat", &survey);
    assert!(defined.status / 100 == 2, "{}", defined.text());
    let n = 100;
    let (leads, _) = concurrently(16, n, |i| {
        let reply = post_lead(base, &json!({"email": format!("answer{i}@example.com")}));
        reply.json()["id"].as_str().unwrap().to_string()
    });
    let (tokens, _) = concurrently(16, n, |i| {
        let made = admin_json(
            "POST",
            base,
            "/survey/admin/surveys/concurrent-csat/links",
            &json!({"lead_id": leads[i]}),
        );
        made.json()["token"].as_str().unwrap().to_string()
    });
    let (statuses, _) = concurrently(32, n, |i| {
        let body = json!({"token": tokens[i], "score": 1 + i % 5});
        post_json(base, "/survey/surveys/concurrent-csat/answers", &body).status
    });
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let summary = admin("GET", base, "/survey/admin/surveys/concurrent-csat/summary").json();
    assert_eq!(summary["overall"]["count"], n, "{summary}");
    assert_eq!(summary["overall"]["distribution"]["5"], n / 5, "{summary}");
}

#[test]
fn one_person_submitting_many_times_at_once_has_one_profile_with_every_submission() {
    let base = &app().base_url;
    let n = 50;
    let (ids, _) = concurrently(32, n, |i| {
        let body = json!({"email": "twice.over@example.com", "message": format!("message {i}")});
        let reply = post_lead(base, &body);
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["id"].as_str().unwrap().to_string()
    });
    let lead: HashSet<&String> = ids.iter().collect();
    assert_eq!(lead.len(), 1, "one lead: {lead:?}");
    let profile = admin("GET", base, &format!("/intake/admin/leads/{}", ids[0])).json();
    assert_eq!(profile["lead"]["submission_count"], n, "{profile}");
    // The profile names the newest, and every one is in the log.
    let recent = spin_retention_core::lead::RECENT_SUBMISSIONS;
    assert_eq!(profile["lead"]["submissions"].as_array().unwrap().len(), recent);
    assert_eq!(profile["submissions"].as_array().unwrap().len(), recent);
}
