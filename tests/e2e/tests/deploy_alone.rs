//! Each component deployed on its own (`spin up -f deploy/<component>.spin.toml`)
//! starts and works with only its own manifest. A component that hands work
//! on needs the other deployment's origin: Spin traps a request that calls a
//! `*.spin.internal` component the app does not have, so the manifests
//! require the URL rather than default to one.

use spin_retention_e2e::{admin, external_base_url, get, own_spin, repo_root, SpinApp, SpinConfig, ADMIN_TOKEN};

#[test]
fn each_single_component_manifest_serves_its_component() {
    // Port 9 (discard) on loopback: nothing listens there.
    for (component, prefix, hands_on_to) in [
        ("instant-ack", "/ack", &[][..]),
        ("lead-scoring", "/scoring", &["audiences_url", "alerts_url"][..]),
        ("survey", "/survey", &["scoring_url", "alerts_url", "journeys_url"][..]),
        ("audience-export", "/audiences", &[][..]),
        ("lead-alerts", "/alerts", &["journeys_url"][..]),
        (
            "customers",
            "/customers",
            &["intake_url", "scoring_url", "alerts_url", "journeys_url"][..],
        ),
        (
            "dashboard",
            "/dashboard",
            &[
                "intake_url",
                "scoring_url",
                "alerts_url",
                "survey_url",
                "customers_url",
                "audiences_url",
                "journeys_url",
            ][..],
        ),
        (
            "journeys",
            "/journeys",
            &["survey_url", "alerts_url", "scoring_url"][..],
        ),
    ] {
        let mut config = SpinConfig::new(repo_root().join(format!("deploy/{component}.spin.toml")))
            .probe(&format!("{prefix}/health"))
            .variable("admin_token", ADMIN_TOKEN);
        for variable in hands_on_to {
            if external_base_url().is_none() {
                let err = SpinApp::try_start(config.clone())
                    .err()
                    .expect("the hand-off URL is required");
                assert!(err.contains(variable), "{component}: {err}");
            }
            config = config.variable(variable, "http://127.0.0.1:9");
        }
        let Some(app) = own_spin(config) else { return };
        let health = get(&app.base_url, &format!("{prefix}/health"));
        assert_eq!(health.status, 200, "{component}: {}", health.text());
        assert_eq!(health.json()["component"], component);
        // The writing check, with the token: the store round trip works alone.
        let store = admin("GET", &app.base_url, &format!("{prefix}/health/store"));
        assert_eq!(store.status, 200, "{component}: {}", store.text());
        assert_eq!(store.json()["store"]["checks"], 1, "{component}");
        // Nothing else is deployed with it.
        assert_eq!(get(&app.base_url, "/intake/health").status, 404);
    }
}

#[test]
fn intake_alone_needs_hand_off_urls_and_reports_them_unreachable() {
    let config = SpinConfig::new(repo_root().join("deploy/lead-intake.spin.toml"))
        .probe("/intake/health")
        .variable("admin_token", ADMIN_TOKEN);
    if external_base_url().is_none() {
        let err = SpinApp::try_start(config.clone()).err().expect("ack_url is required");
        assert!(err.contains("ack_url"), "{err}");
    }
    // Port 9 (discard) on loopback: nothing listens, so the probe fails fast.
    let config = config
        .variable("ack_url", "http://127.0.0.1:9")
        .variable("scoring_url", "http://127.0.0.1:9")
        .variable("alerts_url", "http://127.0.0.1:9")
        .variable("survey_url", "http://127.0.0.1:9")
        .variable("audiences_url", "http://127.0.0.1:9")
        .variable("customers_url", "http://127.0.0.1:9")
        .variable("journeys_url", "http://127.0.0.1:9");
    let Some(app) = own_spin(config) else { return };
    // The probing check is the admin token's.
    let health = admin("GET", &app.base_url, "/intake/health").json();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["store"]["status"], "ok");
    let detail = |i: usize| health["handoffs"][i]["detail"].as_str().unwrap_or_default().to_string();
    for i in 0..3 {
        assert!(!detail(i).is_empty(), "nothing listens at 127.0.0.1:9: {health}");
    }
}

/// The case: with no admin_token, `POST /alerts/sla/tick?limit=5000`
/// was open to anyone. Now the scheduler's and the hand-off routes are
/// closed, with a problem saying what to set; the anonymous health check
/// still answers.
#[test]
fn without_an_admin_token_scheduler_and_hand_off_routes_are_closed() {
    let config = SpinConfig::new(repo_root().join("deploy/lead-alerts.spin.toml"))
        .probe("/alerts/health")
        .variable("journeys_url", "http://127.0.0.1:9");
    let Some(app) = own_spin(config) else { return };
    for path in ["/alerts/sla/tick?limit=5000", "/alerts/leads/l_1", "/alerts/events"] {
        let problem = spin_retention_e2e::request("POST", &app.base_url, path, &[], b"{}").assert_problem(403);
        assert!(
            problem["detail"].as_str().unwrap().contains("admin_token"),
            "{path}: {problem}"
        );
    }
    assert_eq!(get(&app.base_url, "/alerts/health").status, 200);
}
