//! A web form's lead: stored, deduplicated, and acknowledged through the
//! provider, end to end through the built lead-intake and instant-ack.

use serde_json::{json, Value};
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::{admin, admin_at as at, app_with_provider, post_form, post_lead, request, Reply};

fn lead(base: &str, id: &str) -> Value {
    let reply = admin("GET", base, &format!("/intake/admin/leads/{id}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// Polls the lead until its first submission's ack reaches a final state
/// and intake has recorded the hand-off's outcome (written after instant-ack answers).
fn ack_of(base: &str, id: &str) -> Value {
    for _ in 0..400 {
        let l = lead(base, id);
        let ack = &l["submissions"][0]["ack"];
        let handed = l["submissions"][0]["handoffs"]["ack"]["attempts"].as_u64().unwrap_or(0) > 0;
        if handed && (ack["state"] == "sent" || ack["state"] == "failed") {
            return l;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("no final ack state for {id}: {}", lead(base, id));
}

#[test]
fn fetch_submission_is_stored_and_acknowledged_by_email() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let reply = post_lead(
        &app.base_url,
        &json!({
            "name": "Dana Levi", "email": "Dana@Example.com", "phone": "+1 201 555 0123",
            "message": "Pricing for 20 seats", "company": "Initech",
            "utm_source": "google", "utm_medium": "cpc", "gclid": "Cj0KCQ",
            "pages": ["/pricing", "/demo"], "landing_page": "/pricing",
            "consent": { "marketing": true, "ad_user_data": true, "ad_personalization": false, "text": "I agree" },
            "team_size": "20"
        }),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    let accepted = reply.json();
    let id = accepted["id"].as_str().unwrap();
    assert!(id.starts_with("l_"));

    let sent = provider.wait_for(1);
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    assert_eq!(mail.path, "/v3/mail/send");
    assert_eq!(mail.header("authorization"), Some("Bearer SG.test-key"));
    let body = mail.json();
    assert_eq!(body["personalizations"][0]["to"][0]["email"], "Dana@example.com");
    assert_eq!(body["subject"], "We got your request, Dana");
    let text = body["content"][0]["value"].as_str().unwrap();
    assert!(text.contains("Thanks for contacting Acme"), "{text}");
    assert!(text.contains("about \u{201c}Pricing for 20 seats\u{201d}"), "{text}");

    let l = ack_of(&app.base_url, id);
    let profile = &l["lead"];
    assert_eq!(profile["contact"]["phone"], "+12015550123");
    assert_eq!(profile["contact"]["company"], "Initech");
    assert_eq!(profile["first_touch"]["utm"]["source"], "google");
    assert_eq!(profile["first_touch"]["gclid"], "Cj0KCQ");
    assert_eq!(profile["pages_seen"], json!(["/pricing", "/demo"]));
    assert_eq!(profile["consent"]["ad_personalization"], false);
    assert!(profile["consent"]["recorded_at"].is_string());
    let submission = &l["submissions"][0];
    assert_eq!(submission["submission"]["custom"]["team_size"], "20");
    let ack = &submission["ack"];
    assert_eq!(ack["state"], "sent");
    assert_eq!(ack["attempts"], 1);
    assert_eq!(ack["provider_message_id"], "sg-1");
    assert!(ack["latency_ms"].as_i64().unwrap() < 1000, "ack within a second: {ack}");
    assert_eq!(submission["handoffs"]["ack"]["state"], "done");
    assert_eq!(submission["handoffs"]["scoring"]["state"], "done", "{submission}");
}

#[test]
fn the_visitor_does_not_wait_for_the_provider() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    provider.hold();
    // If intake waited for the acknowledgement, this would hang until the
    // provider answers, which it does not until released below.
    let reply = post_lead(&app.base_url, &json!({"email": "wait@example.com"}));
    assert_eq!(reply.status, 201);
    assert_eq!(
        provider.wait_for(1).len(),
        1,
        "the ack is on its way, held by the provider"
    );
    provider.release();
    let l = ack_of(&app.base_url, reply.json()["id"].as_str().unwrap());
    assert_eq!(l["submissions"][0]["ack"]["state"], "sent");
}

#[test]
fn hebrew_form_gets_a_hebrew_sms_through_twilio() {
    let provider = MockProvider::start();
    let extra = [
        ("ack_provider", "twilio"),
        ("ack_twilio_account_sid", "AC42"),
        ("ack_from", "+15005550006"),
    ];
    let Some(app) = app_with_provider(&provider, &extra) else {
        return;
    };
    let form = "name=%D7%93%D7%A0%D7%94+%D7%9C%D7%95%D7%99&phone=052-555-1234&country=IL&language=he&channel=whatsapp";
    let reply = request(
        "POST",
        &app.base_url,
        "/intake/leads",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
        ],
        form.as_bytes(),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    let sent = provider.wait_for(1);
    assert_eq!(sent[0].path, "/2010-04-01/Accounts/AC42/Messages.json");
    assert!(sent[0].header("authorization").unwrap().starts_with("Basic "));
    let form: Vec<(String, String)> = url_decode(&sent[0].body);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(get("To"), "whatsapp:+972525551234");
    assert_eq!(
        get("Body"),
        "שלום דנה, תודה שפנית אל Acme. קיבלנו את פנייתך ונחזור אליך בהקדם."
    );
}

fn url_decode(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

#[test]
fn plain_form_posts_are_redirected() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let ok = post_form(&app.base_url, "/intake/leads", "name=Ari&email=ari%40example.com");
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/intake/thanks"));
    let bad = post_form(&app.base_url, "/intake/leads", "name=Ari&email=not-an-email");
    assert_eq!(bad.status, 303);
    assert_eq!(
        bad.header("location"),
        Some("/intake/error?error=invalid-fields&fields=email")
    );
    // fetch() with a FormData body sends Accept: */*: it gets JSON, not a redirect.
    let fetched = request(
        "POST",
        &app.base_url,
        "/intake/leads",
        &[("content-type", "application/x-www-form-urlencoded"), ("accept", "*/*")],
        b"email=fetch%40example.com",
    );
    assert_eq!(fetched.status, 201, "{}", fetched.text());
    // A stranger's answer names no one: no lead or submission id.
    assert_eq!(fetched.json(), json!({"status": "received"}));
    let page = request(
        "GET",
        &app.base_url,
        "/intake/error?error=invalid-fields&fields=email",
        &[],
        b"",
    );
    assert!(
        page.text().contains("Some fields need attention (email)"),
        "{}",
        page.text()
    );
}

#[test]
fn multipart_fields_are_accepted_and_files_refused() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let ct = "multipart/form-data; boundary=BOUNDARY";
    let json = [("content-type", ct), ("accept", "application/json")];
    let body =
        "--BOUNDARY\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nmulti@example.com\r\n--BOUNDARY--\r\n";
    assert_eq!(
        request("POST", &app.base_url, "/intake/leads", &json, body.as_bytes()).status,
        201
    );
    let file = "--BOUNDARY\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\n\r\n%PDF\r\n--BOUNDARY--\r\n";
    let reply = request("POST", &app.base_url, "/intake/leads", &json, file.as_bytes());
    let problem = reply.assert_problem(415);
    assert_eq!(problem["errors"][0]["field"], "cv");
}

#[test]
fn repeats_create_nothing_new_and_returning_people_add_claims_not_changes() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let first = json!({"email": "sam@example.com", "message": "hi", "company": "Old Co", "pages": ["/pricing"],
                       "consent": {"marketing": false}});
    let a = post_lead(&app.base_url, &first);
    let b = post_lead(&app.base_url, &first);
    assert_eq!((a.status, b.status), (201, 200));
    assert_eq!(a.json()["submission_id"], b.json()["submission_id"]);
    assert_eq!(b.json()["duplicate"], true);

    let keyed = |body: &Value| {
        request(
            "POST",
            &app.base_url,
            "/intake/leads",
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("idempotency-key", "k-1"),
            ],
            body.to_string().as_bytes(),
        )
    };
    let k1 = keyed(&json!({"email": "sam@example.com", "message": "second"}));
    let k2 = keyed(&json!({"email": "sam@example.com", "message": "second, edited by a retry"}));
    assert_eq!((k1.status, k2.status), (201, 200));

    let back = post_lead(
        &app.base_url,
        &json!({
            "email": "SAM@example.com", "phone": "+12015550199", "company": "New Co", "pages": ["/demo"],
            "consent": {"marketing": true}
        }),
    );
    assert_eq!(back.status, 201);
    let id = a.json()["id"].as_str().unwrap().to_string();
    assert_eq!(back.json()["id"], id, "same person, same lead");
    // Found by the phone Sam's profile took, too.
    let by_phone = post_lead(
        &app.base_url,
        &json!({"phone": "+1 201 555 0199", "message": "call me"}),
    );
    assert_eq!(by_phone.json()["id"], id);

    let l = lead(&app.base_url, &id);
    let profile = &l["lead"];
    assert_eq!(profile["submissions"].as_array().unwrap().len(), 4);
    assert_eq!(profile["submission_count"], 4);
    // A form is anyone's word: it fills what was missing, and what differs
    // is a claim, not a change.
    assert_eq!(profile["contact"]["company"], "Old Co");
    assert_eq!(profile["contact"]["phone"], "+12015550199");
    assert_eq!(profile.get("changes"), None);
    assert_eq!(
        profile["claims"][0],
        json!({"field": "company", "value": "New Co",
        "submission_id": back.json()["submission_id"], "at": profile["claims"][0]["at"]})
    );
    assert_eq!(profile["pages_seen"], json!(["/pricing", "/demo"]));
    // The refusal is in force; the later grant waits for Sam's confirmation.
    assert_eq!(profile["consent"]["marketing"], false);
    assert_eq!(profile["consent"]["confirmed"]["by"], "refusal");
    assert_eq!(profile["pending_consent"]["marketing"], true);
    provider.wait_for(3);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // One per distinct submission that gave an address: the phone-only one
    // is not mailed to the stored email, which its sender may not know.
    let sent = provider.received();
    assert_eq!(
        sent.len(),
        3,
        "one acknowledgement per distinct submission with an email"
    );
    let to = |r: &spin_retention_e2e::mock_provider::Received| {
        r.json()["personalizations"][0]["to"][0]["email"]
            .as_str()
            .unwrap()
            .to_lowercase()
    };
    assert!(sent.iter().all(|r| to(r) == "sam@example.com"));
}

/// `T0` plus `seconds`, as the `x-test-clock` header writes it.
fn t0_plus(seconds: i64) -> String {
    let t0: chrono::DateTime<chrono::Utc> = T0.parse().unwrap();
    (t0 + chrono::Duration::seconds(seconds)).to_rfc3339()
}

const T0: &str = "2026-11-23T10:00:00Z";

#[test]
fn a_provider_failing_three_times_is_retried_on_the_walk_without_any_request_sleeping() {
    let provider = MockProvider::start();
    let extra = [
        ("test_clock", "enabled"),
        ("ack_retry_base_seconds", "30"),
        ("ack_max_attempts", "5"),
    ];
    let Some(app) = app_with_provider(&provider, &extra) else {
        return;
    };
    let base = &app.base_url;
    provider.fail_next(3, 503);
    let reply = at(
        "POST",
        base,
        "/intake/leads",
        T0,
        &json!({"email": "fail@example.com", "name": "Fay"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let submission = reply.json()["submission_id"].as_str().unwrap().to_string();
    // Attempt 1, right after the visitor's answer: failed, the next due in 30 s.
    let mut l = lead(base, &id);
    for _ in 0..400 {
        if l["submissions"][0]["handoffs"]["ack"]["attempts"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
        l = lead(base, &id);
    }
    let ack = &l["submissions"][0]["ack"];
    assert_eq!(
        (ack["state"].as_str(), ack["attempts"].as_u64()),
        (Some("retrying"), Some(1)),
        "{l}"
    );
    assert!(ack["last_error"].as_str().unwrap().contains("503"), "{ack}");
    let due: chrono::DateTime<chrono::Utc> = ack["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due.to_rfc3339(), t0_plus(30));
    assert_eq!(l["submissions"][0]["handoffs"]["ack"]["state"], "pending");
    assert_eq!(provider.received().len(), 1);

    // Before it is due: instant-ack answers 503 with the wait and calls no
    // provider, and the walk does not even ask it.
    let early = at(
        "POST",
        base,
        &format!("/ack/submissions/{submission}"),
        &t0_plus(10),
        &json!({}),
    );
    early.assert_problem(503);
    assert_eq!(early.header("retry-after"), Some("20"));
    let walk = |seconds: i64| {
        let started = std::time::Instant::now();
        let r = at(
            "POST",
            base,
            "/intake/admin/handoffs/retry",
            &t0_plus(seconds),
            &json!({}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        (r.json(), started.elapsed())
    };
    let (run, _) = walk(10);
    assert_eq!(run["still_pending"], 1, "{run}");
    assert_eq!(provider.received().len(), 1);
    // Each due attempt is one walk run, one provider call; the waits double.
    let mut slowest = std::time::Duration::ZERO;
    for (seconds, calls, state) in [(30, 2, "retrying"), (90, 3, "retrying"), (210, 4, "sent")] {
        let (_, took) = walk(seconds);
        slowest = slowest.max(took);
        assert_eq!(provider.received().len(), calls, "at +{seconds} s");
        let ack = &lead(base, &id)["submissions"][0]["ack"];
        assert_eq!(ack["state"], state, "at +{seconds} s: {ack}");
    }
    println!("slowest retry run: {slowest:?}");
    assert!(
        slowest < std::time::Duration::from_secs(2),
        "no request slept: {slowest:?}"
    );
    let l = lead(base, &id);
    let ack = &l["submissions"][0]["ack"];
    assert_eq!(
        (ack["attempts"].as_u64(), ack["latency_ms"].as_i64()),
        (Some(4), Some(210_000)),
        "{ack}"
    );
    assert_eq!(l["submissions"][0]["handoffs"]["ack"]["state"], "done");
    assert_eq!(l["lead"]["contact"]["email"], "fail@example.com", "the lead is intact");
    walk(400);
    assert_eq!(provider.received().len(), 4, "a later retry sends nothing again");
}

#[test]
fn a_provider_that_keeps_failing_is_recorded_failed_and_no_longer_retried() {
    let provider = MockProvider::start();
    let extra = [
        ("test_clock", "enabled"),
        ("ack_retry_base_seconds", "1"),
        ("ack_max_attempts", "2"),
    ];
    let Some(app) = app_with_provider(&provider, &extra) else {
        return;
    };
    let base = &app.base_url;
    provider.fail_next(10, 500);
    let reply = at(
        "POST",
        base,
        "/intake/leads",
        T0,
        &json!({"email": "gone-bad@example.com"}),
    );
    let id = reply.json()["id"].as_str().unwrap().to_string();
    assert_eq!(provider.wait_for(1).len(), 1);
    for seconds in [60, 120, 180] {
        at(
            "POST",
            base,
            "/intake/admin/handoffs/retry",
            &t0_plus(seconds),
            &json!({}),
        );
    }
    let l = lead(base, &id);
    assert_eq!(l["submissions"][0]["ack"]["state"], "failed", "{l}");
    let handoff = &l["submissions"][0]["handoffs"]["ack"];
    assert_eq!(handoff["state"], "rejected", "{handoff}");
    assert!(
        handoff["last_error"].as_str().unwrap().contains("ack-failed"),
        "{handoff}"
    );
    assert_eq!(provider.received().len(), 2, "two attempts, then never again");
}

#[test]
fn a_strangers_acknowledgement_reveals_nothing_of_the_person_whose_phone_it_gave() {
    let provider = MockProvider::start();
    let extra = [("ack_provider", "webhook"), ("ack_webhook_path", "/hooks/ack")];
    let Some(app) = app_with_provider(&provider, &extra) else {
        return;
    };
    let base = &app.base_url;
    let dana = json!({"name": "Dana Levi", "email": "dana.real@acme.example", "phone": "+972525550001",
                      "company": "Real Co", "language": "he"});
    assert_eq!(post_lead(base, &dana).status, 201);
    assert_eq!(provider.wait_for(1).len(), 1);
    let stranger = json!({"email": "mallory@evil.example", "phone": "+972525550001", "message": "x1"});
    assert_eq!(post_lead(base, &stranger).status, 201);
    let sent = provider.wait_for(2);
    assert_eq!(sent.len(), 2);
    let ack = sent[1].json();
    assert_eq!(sent[1].path, "/hooks/ack");
    assert_eq!(ack["to"]["email"], "mallory@evil.example", "{ack}");
    assert_eq!(ack["to"]["name"], Value::Null, "{ack}");
    assert_eq!(
        ack["subject"], "We got your request, there",
        "the stranger's own language: {ack}"
    );
    let text = ack.to_string();
    for secret in ["Dana", "Levi", "dana.real", "Real Co", "\u{5d3}\u{5e0}\u{5d4}"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // A name that carries a link is refused, naming the field.
    let phishing = json!({"first_name": "Account locked, verify at secure-login.co/x", "email": "v@example.com"});
    let refused = post_lead(base, &phishing).assert_problem(422);
    assert_eq!(refused["errors"][0]["field"], "first_name", "{refused}");
    // A topic that carries one is left out of the message.
    let linked = json!({"email": "w@example.com", "message": "Claim your prize at bit.ly/x"});
    assert_eq!(post_lead(base, &linked).status, 201);
    let sent = provider.wait_for(3);
    let text = sent[2].json()["text"].as_str().unwrap().to_string();
    assert!(!text.contains("bit.ly"), "{text}");
    assert_eq!(provider.received().len(), 3);
}

#[test]
fn concurrent_leads_are_all_kept_and_duplicates_make_one_profile() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let base = app.base_url.clone();
    let distinct: Vec<_> = (0..40)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                let r = post_lead(
                    &base,
                    &json!({"email": format!("p{i}@example.com"), "name": format!("P{i}")}),
                );
                assert_eq!(r.status, 201, "{}", r.text());
                r.json()["id"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let same: Vec<_> = (0..20)
        .map(|_| {
            let base = base.clone();
            std::thread::spawn(move || {
                let r = post_lead(&base, &json!({"email": "twin@example.com", "message": "double click"}));
                assert!(r.status == 201 || r.status == 200, "{}", r.text());
                r.json()["id"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let ids: Vec<String> = distinct.into_iter().map(|t| t.join().unwrap()).collect();
    let twins: Vec<String> = same.into_iter().map(|t| t.join().unwrap()).collect();
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(lead(&base, id)["lead"]["contact"]["email"], format!("p{i}@example.com"));
    }
    assert!(twins.iter().all(|t| *t == twins[0]));
    let twin = lead(&base, &twins[0]);
    assert_eq!(twin["lead"]["submissions"].as_array().unwrap().len(), 1, "{twin}");
    provider.wait_for(41);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let to_twin = provider
        .received()
        .iter()
        .filter(|r| r.json()["personalizations"][0]["to"][0]["email"] == "twin@example.com")
        .count();
    assert_eq!(to_twin, 1, "one acknowledgement for twenty identical submissions");
}

#[test]
fn erase_forgets_the_person() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let reply = post_lead(
        &app.base_url,
        &json!({"email": "gone@example.com", "phone": "+12015550111"}),
    );
    let id = reply.json()["id"].as_str().unwrap().to_string();
    ack_of(&app.base_url, &id);
    let erased = admin("DELETE", &app.base_url, &format!("/intake/admin/leads/{id}"));
    assert_eq!(erased.status, 200, "{}", erased.text());
    assert!(
        erased.json()["keys_deleted"].as_u64().unwrap() >= 6,
        "{}",
        erased.text()
    );
    admin("GET", &app.base_url, &format!("/intake/admin/leads/{id}")).assert_problem(404);
    // Coming back is a new submission, not a duplicate of erased data.
    let again = post_lead(
        &app.base_url,
        &json!({"email": "gone@example.com", "phone": "+12015550111"}),
    );
    assert_eq!((again.status, again.json()["duplicate"].clone()), (201, json!(false)));
}

#[test]
fn admin_endpoints_need_the_token() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let none = request("GET", &app.base_url, "/intake/admin/leads/l_x", &[], b"");
    none.assert_problem(401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let wrong = request(
        "GET",
        &app.base_url,
        "/intake/admin/leads/l_x",
        &[("authorization", "Bearer nope")],
        b"",
    );
    wrong.assert_problem(401);
    let ack = request("POST", &app.base_url, "/ack/submissions/s_x", &[], b"");
    ack.assert_problem(401);
}

fn reply_of(app: &str, ct: &str, body: &[u8]) -> Reply {
    request(
        "POST",
        app,
        "/intake/leads",
        &[("content-type", ct), ("accept", "application/json")],
        body,
    )
}

#[test]
fn bad_input_is_a_clear_4xx() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let base = &app.base_url;
    reply_of(base, "application/json", b"{\"email\": ").assert_problem(400);
    reply_of(base, "text/plain", b"email=a@b.co").assert_problem(415);
    reply_of(
        base,
        "application/x-www-form-urlencoded",
        b"email=a%40b.co&name=\xff\xfe",
    )
    .assert_problem(400);
    reply_of(base, "application/x-www-form-urlencoded", &vec![b'a'; 70 * 1024]).assert_problem(413);
    reply_of(base, "application/x-www-form-urlencoded", &vec![b'a'; 2 * 1024 * 1024]).assert_problem(413);
    let invalid = reply_of(base, "application/json", br#"{"email":"nope","phone":"12"}"#).assert_problem(422);
    let fields: Vec<&str> = invalid["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "phone"]);
    let many: String = (0..80).map(|i| format!("f{i}=x&")).collect::<String>() + "email=a%40b.co";
    reply_of(base, "application/x-www-form-urlencoded", many.as_bytes()).assert_problem(422);
    let injected = reply_of(
        base,
        "application/json",
        br#"{"email":"a@b.co","name":"Eve\r\nBcc: all@x.io"}"#,
    )
    .assert_problem(422);
    assert_eq!(injected["errors"][0]["field"], "name");
    request("PUT", base, "/intake/leads", &[], b"").assert_problem(405);
}

#[test]
fn honeypot_answers_like_success_and_stores_nothing() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[]) else {
        return;
    };
    let reply = post_lead(
        &app.base_url,
        &json!({"email": "bot@example.com", "_gotcha": "http://spam"}),
    );
    assert_eq!(reply.status, 201);
    let id = reply.json()["id"].as_str().unwrap().to_string();
    admin("GET", &app.base_url, &format!("/intake/admin/leads/{id}")).assert_problem(404);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(provider.received().is_empty());
}

#[test]
fn rate_limit_and_cors() {
    let provider = MockProvider::start();
    let extra = [
        ("intake_rate_limit_per_minute", "2"),
        ("cors_allowed_origins", "https://www.example.com"),
    ];
    let Some(app) = app_with_provider(&provider, &extra) else {
        return;
    };
    let base = &app.base_url;
    let origin = |o: &str| {
        request(
            "OPTIONS",
            base,
            "/intake/leads",
            &[("origin", o), ("access-control-request-method", "POST")],
            b"",
        )
    };
    let pre = origin("https://www.example.com");
    assert_eq!(pre.status, 204);
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("https://www.example.com")
    );
    origin("https://evil.example").assert_problem(403);
    let from_site = |email: &str| {
        request(
            "POST",
            base,
            "/intake/leads",
            &[
                ("content-type", "application/json"),
                ("origin", "https://www.example.com"),
            ],
            json!({"email": email}).to_string().as_bytes(),
        )
    };
    let first = from_site("r1@example.com");
    assert_eq!(first.status, 201);
    assert_eq!(
        first.header("access-control-allow-origin"),
        Some("https://www.example.com")
    );
    assert_eq!(from_site("r2@example.com").status, 201);
    let limited = from_site("r3@example.com");
    limited.assert_problem(429);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
}

#[test]
fn captcha_tokens_are_verified_when_a_secret_is_set() {
    let provider = MockProvider::start();
    let captcha = MockProvider::start();
    let extra = [
        ("captcha_secret", "turnstile-secret"),
        ("captcha_origin", captcha.url.as_str()),
    ];
    let Some(app) = app_with_provider(&provider, &extra) else {
        return;
    };
    let missing = post_lead(&app.base_url, &json!({"email": "c@example.com"})).assert_problem(422);
    assert_eq!(missing["errors"][0]["field"], "captcha");

    captcha.answer_with(r#"{"success": false, "error-codes": ["invalid-input-response"]}"#);
    let token = json!({"email": "c@example.com", "cf-turnstile-response": "tok-1"});
    post_lead(&app.base_url, &token).assert_problem(422);
    let checked = captcha.received();
    assert_eq!(checked[0].path, "/turnstile/v0/siteverify");
    let form: Vec<(String, String)> = url_decode(&checked[0].body);
    assert!(form.contains(&("secret".into(), "turnstile-secret".into())));
    assert!(form.contains(&("response".into(), "tok-1".into())));

    captcha.answer_with(r#"{"success": true}"#);
    assert_eq!(post_lead(&app.base_url, &token).status, 201);
    // Verification service down: 503, nothing stored, the visitor may retry.
    captcha.fail_next(1, 500);
    let down = json!({"email": "d@example.com", "cf-turnstile-response": "tok-2"});
    post_lead(&app.base_url, &down).assert_problem(503);
}

#[test]
fn submissions_too_old_to_acknowledge_are_recorded_expired() {
    let provider = MockProvider::start();
    let Some(app) = app_with_provider(&provider, &[("ack_max_age_minutes", "0")]) else {
        return;
    };
    let reply = post_lead(&app.base_url, &json!({"email": "late@example.com"}));
    let l = {
        let id = reply.json()["id"].as_str().unwrap().to_string();
        let mut l = lead(&app.base_url, &id);
        for _ in 0..200 {
            // The hand-off record is written after instant-ack answered.
            if l["submissions"][0]["handoffs"]["ack"]["state"] == "done" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
            l = lead(&app.base_url, &id);
        }
        l
    };
    assert_eq!(l["submissions"][0]["ack"]["state"], "expired", "{l}");
    assert_eq!(l["submissions"][0]["handoffs"]["ack"]["state"], "done");
    assert!(provider.received().is_empty());
}

#[test]
fn sms_acknowledgements_to_new_numbers_have_a_budget_and_a_country_list() {
    let provider = MockProvider::start();
    let extra = [
        ("ack_provider", "webhook"),
        ("ack_webhook_path", "/hooks/ack"),
        ("ack_new_numbers_per_day", "1"),
        ("ack_sms_countries", "IL"),
    ];
    let Some(app) = app_with_provider(&provider, &extra) else {
        return;
    };
    let base = &app.base_url;
    let post = |body: Value| {
        let r = post_lead(base, &body);
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_string()
    };
    let first = post(json!({"phone": "+972525550011", "channel": "sms"}));
    assert_eq!(provider.wait_for(1)[0].json()["channel"], "sms");
    // The day's one new number is taken: by email, the submission's own.
    let second = post(json!({"phone": "+972525550012", "email": "second@example.com", "channel": "sms"}));
    let sent = provider.wait_for(2);
    assert_eq!(sent[1].json()["channel"], "email");
    assert_eq!(sent[1].json()["to"]["email"], "second@example.com");
    // No email to fall back on: recorded skipped, final.
    let third = post(json!({"phone": "+972525550013", "channel": "sms"}));
    // Jamaica's +1 876 is outside the list.
    let fourth = post(json!({"phone": "+18765550123", "channel": "sms"}));
    // The number seen before is outside the budget.
    post(json!({"phone": "+972525550011", "message": "again", "channel": "sms"}));
    assert_eq!(provider.wait_for(3).len(), 3);
    let settled = |id: &str| {
        for _ in 0..400 {
            let l = lead(base, id);
            if l["submissions"][0]["handoffs"]["ack"]["state"] == "done" {
                return l;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("hand-off of {id} not done: {}", lead(base, id));
    };
    for (id, state) in [
        (&first, "sent"),
        (&second, "sent"),
        (&third, "skipped"),
        (&fourth, "skipped"),
    ] {
        let l = settled(id);
        assert_eq!(l["submissions"][0]["ack"]["state"], state, "{l}");
    }
    let reason = |id: &str| {
        settled(id)["submissions"][0]["ack"]["last_error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(reason(&third).contains("ack_new_numbers_per_day"));
    assert!(reason(&fourth).contains("ack_sms_countries"));
    admin("POST", base, "/intake/admin/handoffs/retry");
    assert_eq!(provider.received().len(), 3, "skipped is never retried");
}
