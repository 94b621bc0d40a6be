//! Identity and consent that a stranger's form post cannot touch, under the
//! real `spin up`: the takeover, the forged consent, and the double
//! opt-in round trip through the links a person receives.

use serde_json::{json, Value};
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::*;
use std::time::{Duration, Instant};

fn profile(base: &str, id: &str) -> Value {
    let reply = admin("GET", base, &format!("/intake/admin/leads/{id}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["lead"].clone()
}

fn audiences_of(base: &str, id: &str) -> Vec<String> {
    let reply = admin("GET", base, &format!("/audiences/admin/members/{id}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["audience"].as_str().unwrap().to_string())
        .collect()
}

/// Waits (bounded) until the person's audiences satisfy `ok`: scoring and
/// audience-export hear of a change after the reply.
fn wait_for_audiences(base: &str, id: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = audiences_of(base, id);
        if ok(&now) || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The link after `label` in a message's text.
fn link_after(text: &str, label: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"));
    line[label.len()..].trim().to_string()
}

/// The path of a link, to call it on the app under test.
fn path_of(link: &str) -> String {
    let at = link.find("/intake/consent/").expect("a consent link");
    link[at..].to_string()
}

#[test]
fn a_stranger_with_someones_phone_gets_a_profile_of_their_own() {
    let base = &app().base_url;
    let dana = submit_lead(
        base,
        &json!({"name": "Dana Levi", "email": "dana.real@acme.example", "phone": "+972525550101"}),
    );
    let mallory = submit_lead(
        base,
        &json!({"email": "mallory@evil.example", "phone": "+972525550101", "message": "x1"}),
    );
    assert_ne!(mallory, dana);
    let phone_only = submit_lead(base, &json!({"phone": "+972525550101", "name": "Mallory"}));
    assert_eq!(phone_only, dana, "a phone alone joins its person");
    let dana_now = profile(base, &dana);
    assert_eq!(dana_now["contact"]["email"], "dana.real@acme.example");
    assert_eq!(dana_now["contact"]["name"], "Dana Levi");
    assert_eq!(dana_now["claims"][0]["field"], "name");
    assert_eq!(dana_now["claims"][0]["value"], "Mallory");
    assert_eq!(profile(base, &mallory)["contact"]["email"], "mallory@evil.example");
    // What the stranger is told names nobody and says nothing of who is
    // known: Dana's phone, an unknown phone and a repeat answer alike.
    for body in [
        json!({"phone": "+972525550101"}),
        json!({"phone": "+972525550199"}),
        json!({"phone": "+972525550101"}),
    ] {
        let reply = post_json(base, "/intake/leads", &body);
        assert_eq!(reply.status, 201, "{}", reply.text());
        assert_eq!(reply.json(), json!({"status": "received"}));
    }
}

#[test]
fn a_form_cannot_consent_for_a_known_person() {
    let base = &app().base_url;
    let dana = submit_lead(
        base,
        &json!({"email": "known.person@acme.example", "pages": "/pricing", "country": "US"}),
    );
    submit_lead(
        base,
        &json!({
            "email": "known.person@acme.example", "phone": "+12015550177", "country": "US",
            "pages": "/pricing", "consent_marketing": true,
            "consent_ad_user_data": true, "consent_ad_personalization": true
        }),
    );
    let now = profile(base, &dana);
    assert_eq!(now.get("consent"), None, "{now}");
    assert_eq!(now["pending_consent"]["marketing"], true);
    // Scoring has run for both submissions; the person is in no audience.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(audiences_of(base, &dana), Vec::<String>::new());
}

#[test]
fn double_opt_in_from_the_form_to_the_audience_and_out_again() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[("consent_link_secret", CONSENT_SECRET)]) else {
        return;
    };
    let base = &app.base_url;
    let id = submit_lead(
        base,
        &json!({
            "email": "opt.in@acme.example", "first_name": "Opt", "country": "US", "zip": "10003",
            "pages": "/pricing", "form": "contact", "consent_marketing": true,
            "consent_text": "Send me news and offers"
        }),
    );
    let sent = provider.wait_for(1);
    let text = sent[0].json()["content"][0]["value"].as_str().unwrap().to_string();
    let confirm = path_of(&link_after(&text, "Please confirm your subscription:"));
    let withdraw = path_of(&link_after(&text, "Unsubscribe:"));
    let pending = profile(base, &id);
    assert_eq!(pending.get("consent"), None);
    assert_eq!(pending["pending_consent"]["text"], "Send me news and offers");
    assert!(pending["pending_consent"]["client_hash"].is_string(), "{pending}");
    assert_eq!(audiences_of(base, &id), Vec::<String>::new());

    // Opening the link (a mail scanner does) changes nothing.
    let page = get(base, &confirm);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<button"), "{}", page.text());
    assert_eq!(profile(base, &id).get("consent"), None);
    // Pressing its button does.
    let done = request("POST", base, &confirm, &[], b"");
    assert_eq!(done.status, 200, "{}", done.text());
    let confirmed = profile(base, &id);
    assert_eq!(confirmed["consent"]["marketing"], true);
    assert_eq!(confirmed["consent"]["confirmed"]["by"], "email_link");
    assert_eq!(confirmed["consent"]["text"], "Send me news and offers");
    assert_eq!(confirmed.get("pending_consent"), None);
    let joined = wait_for_audiences(base, &id, |a| a.iter().any(|a| a == "pricing-no-phone"));
    assert!(joined.iter().any(|a| a == "pricing-no-phone"), "{joined:?}");
    // The link did its work: again, nothing to confirm.
    let again = request("POST", base, &confirm, &[], b"");
    assert!(again.text().contains("Nothing to confirm"), "{}", again.text());

    // A mail client's one-click unsubscribe (RFC 8058): a POST with that body.
    let out = request(
        "POST",
        base,
        &withdraw,
        &[("content-type", "application/x-www-form-urlencoded")],
        b"List-Unsubscribe=One-Click",
    );
    assert_eq!(out.status, 200, "{}", out.text());
    let withdrawn = profile(base, &id);
    assert_eq!(withdrawn["consent"]["marketing"], false);
    assert_eq!(withdrawn["consent"]["confirmed"]["by"], "withdrawal_link");
    let left = wait_for_audiences(base, &id, |a| a.is_empty());
    assert_eq!(left, Vec::<String>::new());

    // A forged or altered link does nothing.
    let forged = format!("{confirm}x");
    assert_eq!(request("POST", base, &forged, &[], b"").status, 404);
}

#[test]
fn the_team_withdraws_consent_through_the_admin_route() {
    let base = &app().base_url;
    let id = submit_lead(
        base,
        &json!({"email": "admin.withdraw@acme.example", "country": "US", "pages": "/pricing",
                "consent_marketing": true}),
    );
    // The shared app runs single opt-in: a new person's own form counts.
    assert_eq!(profile(base, &id)["consent"]["confirmed"]["by"], "single_opt_in");
    let reply = admin_json(
        "POST",
        base,
        &format!("/intake/admin/leads/{id}/consent"),
        &json!({"action": "withdraw"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["consent"]["marketing"], false);
    assert_eq!(reply.json()["consent"]["confirmed"]["by"], "admin");
    let nothing = admin_json(
        "POST",
        base,
        &format!("/intake/admin/leads/{id}/consent"),
        &json!({"action": "confirm"}),
    );
    nothing.assert_problem(409);
    admin_json(
        "POST",
        base,
        &format!("/intake/admin/leads/{id}/consent"),
        &json!({"action": "grant everything"}),
    )
    .assert_problem(400);
}

/// `X-Forwarded-For` is anyone's to write: believed only from a configured
/// proxy, so a bot cannot rotate it past the per-client limit.
#[test]
fn the_rate_limit_believes_forwarded_for_only_from_trusted_proxies() {
    let post = |base: &str, forwarded: &str, i: usize| {
        let body = json!({"email": format!("rotate{i}@acme.example")}).to_string();
        request(
            "POST",
            base,
            "/intake/leads",
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("x-forwarded-for", forwarded),
            ],
            body.as_bytes(),
        )
        .status
    };
    let limited = app_config().variable("intake_rate_limit_per_minute", "2");
    let Some(app) = own_spin(limited.clone()) else {
        return;
    };
    let statuses: Vec<u16> = (0..3)
        .map(|i| post(&app.base_url, &format!("203.0.113.{i}"), i))
        .collect();
    assert_eq!(statuses, [201, 201, 429], "a rotated header is not another client");
    drop(app);
    let Some(app) = own_spin(limited.variable("trusted_proxies", "127.0.0.0/8, ::1")) else {
        return;
    };
    let statuses: Vec<u16> = (0..3)
        .map(|i| post(&app.base_url, &format!("203.0.113.{i}"), i))
        .collect();
    assert_eq!(
        statuses,
        [201, 201, 201],
        "behind a trusted proxy each client counts apart"
    );
    // IPv6 clients count by their /64: rotating inside it does not help.
    let statuses: Vec<u16> = (0..3)
        .map(|i| post(&app.base_url, &format!("2001:db8:1:2::{}", i + 1), 10 + i))
        .collect();
    assert_eq!(statuses, [201, 201, 429]);
}
