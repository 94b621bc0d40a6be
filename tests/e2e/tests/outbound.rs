//! Outbound safety under `spin up`: URLs an admin sets that name a host
//! that is not public are refused; the runtime's `block_networks =
//! ["private"]` refuses a private target while the app's own service
//! chaining still works; a receiver that never answers, or answers a huge
//! body, ends as an error within the bound without trapping; and no error
//! echoes a secret URL into stored data or logs.

use serde_json::{json, Value};
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::{admin, admin_json, get, own_spin, post_lead, repo_root, SpinApp, SpinConfig, ADMIN_TOKEN};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// What `deploy/runtime-config.*.toml` ship.
const BLOCK_PRIVATE: &str = "[outbound_networking]\nblock_networks = [\"private\"]";

fn app(variables: &[(&str, &str)], runtime_config: Option<&str>) -> Option<SpinApp> {
    let base = [("admin_token", ADMIN_TOKEN), ("intake_rate_limit_per_minute", "100000")];
    let mut config = base
        .iter()
        .chain(variables)
        .fold(SpinConfig::new(repo_root().join("spin.toml")), |c, (k, v)| {
            c.variable(k, v)
        });
    if let Some(lines) = runtime_config {
        config = config.runtime_config(lines);
    }
    own_spin(config)
}

fn put_webhooks(base: &str, url: &str) -> spin_retention_e2e::Reply {
    admin_json(
        "PUT",
        base,
        "/alerts/admin/webhooks",
        &json!({"endpoints": [{"id": "crm", "url": url, "events": ["lead.created"]}]}),
    )
}

/// Polls `read` (20 s at most) until `done` says yes; the last value.
fn poll(read: impl Fn() -> Value, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let value = read();
        if done(&value) || Instant::now() > deadline {
            return value;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn deliveries(base: &str) -> Value {
    admin("GET", base, "/alerts/admin/deliveries").json()["deliveries"].clone()
}

/// The error of a delivery's latest attempt.
fn last_error(delivery: &Value) -> Value {
    delivery["attempts"]
        .as_array()
        .and_then(|a| a.last())
        .map(|a| a["error"].clone())
        .unwrap_or_default()
}

fn attempted(d: &Value) -> bool {
    d[0]["attempts"].as_array().is_some_and(|a| !a.is_empty())
}

#[test]
fn webhook_urls_naming_hosts_that_are_not_public_are_refused() {
    let Some(app) = app(&[], None) else { return };
    let base = &app.base_url;
    for url in [
        // The list.
        "https://127.0.0.1/x",
        "https://10.0.0.5/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://localhost/x",
        // Other spellings of the same places.
        "https://2130706433/x",
        "https://0x7f.1/x",
        "https://[::ffff:169.254.169.254]/x",
        "https://metadata.google.internal/x",
        "http://lead-intake.spin.internal/intake/admin/people",
    ] {
        let reply = put_webhooks(base, url);
        let problem = reply.assert_problem(422);
        assert_eq!(problem["errors"][0]["field"], "endpoints[0].url", "{url}: {problem}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("a public host"),
            "{url}: {problem}"
        );
    }
    let stored = admin("GET", base, "/alerts/admin/webhooks").json();
    assert!(
        !stored.to_string().contains("meta-data"),
        "nothing refused was stored: {stored}"
    );
    let reply = put_webhooks(base, "https://crm.example/hook");
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// What the components logged (`state/logs/<component>_std{out,err}.txt`;
/// spin.log is left out: it holds the harness's own command line, with
/// the variables).
fn logs(dir: &std::path::Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.join("state").join("logs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "txt" || e == "log") {
                text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    text
}

#[test]
fn block_networks_blocks_a_private_target_while_chaining_works() {
    // Variables are not validated: the ack provider, the owner's webhook
    // (a secret URL) and an event webhook all point at a loopback server.
    let mock = MockProvider::start();
    let channels = json!({"owner": format!("{}/hooks/T000/B000/SECRETPATH", mock.url)}).to_string();
    let Some(app) = app(
        &[
            ("ack_provider", "sendgrid"),
            ("ack_provider_url", &mock.url),
            ("ack_api_key", "SG.test-key"),
            ("ack_from", "Acme <hello@acme.test>"),
            ("ack_max_attempts", "1"),
            ("alert_channel_urls", &channels),
            ("alerts_plain_http_origin", &mock.url),
            (
                "webhook_secrets",
                &json!({"crm": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}).to_string(),
            ),
            ("test_private_hosts", "enabled"),
        ],
        Some(BLOCK_PRIVATE),
    ) else {
        return;
    };
    let base = &app.base_url;
    let reply = put_webhooks(base, &format!("{}/crm/SECRETPATH", mock.url));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let settings = json!({
        "owner": {"name": "Olive", "channel": "webhook"},
        "owner_alert_forms": ["*"],
        "sla": {"minutes": 15, "max_reassignments": 1},
        "link_ttl_hours": 24
    });
    let reply = admin_json("PUT", base, "/alerts/admin/settings", &settings);
    assert_eq!(reply.status, 200, "{}", reply.text());

    let reply = post_lead(base, &json!({"email": "dana@example.com", "name": "Dana"}));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();

    // Chaining works: intake handed the lead to instant-ack and
    // lead-scoring, and lead-alerts got its event, all over *.spin.internal.
    let lead = poll(
        || admin("GET", base, &format!("/intake/admin/leads/{id}")).json(),
        |l| {
            let s = &l["submissions"][0];
            s["ack"]["state"] == "failed" && s["handoffs"]["scoring"]["state"] == "done"
        },
    );
    let submission = &lead["submissions"][0];
    // instant-ack was reached (its record is there); it answered that the
    // provider failed, so intake keeps that hand-off to retry.
    assert_eq!(submission["ack"]["state"], "failed", "{lead}");
    assert_eq!(submission["handoffs"]["scoring"]["state"], "done", "{lead}");
    let score = admin("GET", base, &format!("/scoring/leads/{id}"));
    assert_eq!(score.status, 200, "{}", score.text());
    // The provider call was blocked, and says so by origin only.
    let error = submission["ack"]["last_error"].as_str().unwrap();
    assert!(error.starts_with("blocked: POST http://127.0.0.1:"), "{error}");
    assert!(!error.contains("/v3/mail"), "{error}");

    // The event webhook: "blocked" in the delivery log, nothing more.
    let d = poll(|| deliveries(base), attempted);
    assert_eq!(d[0]["attempts"][0]["error"], "blocked", "{d}");
    assert!(!d.to_string().contains("SECRETPATH"), "{d}");
    let redelivered = admin(
        "POST",
        base,
        &format!("/alerts/admin/deliveries/{}/redeliver", d[0]["id"].as_str().unwrap()),
    );
    assert_eq!(redelivered.status, 200, "{}", redelivered.text());
    let answer = redelivered.json();
    assert_eq!(last_error(&answer), "blocked", "{answer}");
    assert!(
        !redelivered.text().contains("127.0.0.1"),
        "no transport detail: {answer}"
    );

    // The owner's alert went nowhere; the logs name its origin, not its path.
    let logged = poll(
        || Value::String(logs(&app.dir)),
        |t| t.as_str().unwrap().contains("owner alert for"),
    );
    let logged = logged.as_str().unwrap();
    assert!(logged.contains("owner alert for"), "{logged}");
    assert!(logged.contains("blocked: POST http://127.0.0.1:"), "{logged}");
    assert!(!logged.contains("SECRETPATH"), "a secret path in the logs");
    assert!(mock.received().is_empty(), "nothing reached the private target");
}

/// A receiver on loopback: `/slow` accepts and never answers, `/trickle`
/// sends its headers and 3 of 100 bytes then stalls, `/huge` answers 200
/// with an endless body (no length), anything else 204.
fn bad_receiver() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let mut stream = stream;
                if line.contains(" /slow") {
                    std::thread::sleep(Duration::from_secs(120));
                } else if line.contains(" /trickle") {
                    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc");
                    std::thread::sleep(Duration::from_secs(120));
                } else if line.contains(" /huge") {
                    let _ =
                        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n");
                    let chunk = vec![b'x'; 64 * 1024];
                    // 64 MiB at most, or until the caller hangs up.
                    for _ in 0..1024 {
                        if stream.write_all(&chunk).is_err() {
                            return;
                        }
                    }
                } else {
                    let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
                }
            });
        }
    });
    url
}

#[test]
fn a_receiver_that_never_answers_or_answers_too_much_is_cut_off() {
    let receiver = bad_receiver();
    let Some(app) = app(
        &[
            ("alerts_plain_http_origin", &receiver),
            (
                "webhook_secrets",
                &json!({"crm": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}).to_string(),
            ),
            ("test_private_hosts", "enabled"),
        ],
        None,
    ) else {
        return;
    };
    let base = &app.base_url;
    let reply = put_webhooks(base, &format!("{receiver}/slow"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = post_lead(base, &json!({"email": "noa@example.com", "name": "Noa"}));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let d = poll(|| deliveries(base), attempted);
    assert_eq!(d[0]["attempts"][0]["error"], "timed out", "{d}");
    let id = d[0]["id"].as_str().unwrap().to_string();

    // By hand: the call ends at the first-byte timeout (10 s), not Spin's 600 s.
    let started = Instant::now();
    let again = admin("POST", base, &format!("/alerts/admin/deliveries/{id}/redeliver"));
    let took = started.elapsed();
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(last_error(&again.json()), "timed out", "{}", again.text());
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(20),
        "took {took:?}"
    );

    // A body that stalls: cut off at the between-bytes timeout (10 s).
    let reply = put_webhooks(base, &format!("{receiver}/trickle"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let started = Instant::now();
    let again = admin("POST", base, &format!("/alerts/admin/deliveries/{id}/redeliver"));
    let took = started.elapsed();
    assert_eq!(last_error(&again.json()), "timed out", "{}", again.text());
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(20),
        "took {took:?}"
    );

    // A huge body: an error past 1 MiB, and the component answers.
    let reply = put_webhooks(base, &format!("{receiver}/huge"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let started = Instant::now();
    let again = admin("POST", base, &format!("/alerts/admin/deliveries/{id}/redeliver"));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(last_error(&again.json()), "response too large", "{}", again.text());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(get(base, "/alerts/health/live").status, 200);

    // And a receiver that answers: delivered.
    let reply = put_webhooks(base, &format!("{receiver}/ok"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let again = admin("POST", base, &format!("/alerts/admin/deliveries/{id}/redeliver"));
    assert_eq!(again.json()["status"], "delivered", "{}", again.text());
}
