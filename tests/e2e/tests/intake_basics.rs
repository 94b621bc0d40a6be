//! Lead intake on the app under test, in both modes (`spin up` started by
//! the harness, or an app started for E2E_BASE_URL with the variables in
//! `APP_VARIABLES`), with no acknowledgement provider configured.

use serde_json::json;
use spin_retention_e2e::{admin, app, post_form, post_lead};

#[test]
fn a_lead_is_stored_and_its_acknowledgement_waits_for_a_provider() {
    let base = &app().base_url;
    let email = format!("basic-{}@example.com", std::process::id());
    let reply = post_lead(base, &json!({"name": "Basil", "email": email, "pages": ["/pricing"]}));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let mut lead = admin("GET", base, &format!("/intake/admin/leads/{id}")).json();
    // Up to 10 s: the hand-off runs after the reply, on a loaded machine too.
    for _ in 0..500 {
        if lead["submissions"][0]["handoffs"]["ack"]["attempts"]
            .as_u64()
            .unwrap_or(0)
            > 0
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        lead = admin("GET", base, &format!("/intake/admin/leads/{id}")).json();
    }
    assert_eq!(lead["lead"]["contact"]["email"], email);
    assert_eq!(lead["lead"]["pages_seen"], json!(["/pricing"]));
    let ack = &lead["submissions"][0]["handoffs"]["ack"];
    assert_eq!(ack["state"], "pending", "no provider configured: {lead}");
    assert!(ack["last_error"].as_str().unwrap().contains("503"), "{lead}");
}

#[test]
fn form_posts_redirect_and_bad_input_is_named() {
    let base = &app().base_url;
    let ok = post_form(
        base,
        "/intake/leads",
        &format!("email=form-{}%40example.com", std::process::id()),
    );
    assert_eq!((ok.status, ok.header("location")), (303, Some("/intake/thanks")));
    let bad = post_lead(base, &json!({"email": "x", "phone": "1"})).assert_problem(422);
    assert_eq!(bad["errors"].as_array().unwrap().len(), 2);
}
