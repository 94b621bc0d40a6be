//! What Spin refuses (a store not granted, outbound to a host not allowed, a
//! private route, an unknown store label, a required variable without a
//! value), under the real `spin up`. These need apps of their own (other
//! manifests), so they are skipped under E2E_BASE_URL.

use spin_retention_e2e::{admin, external_base_url, fixture, get, own_spin, SpinApp, SpinConfig, ADMIN_TOKEN};

/// The refusals manifest under `spin up`, with these variables (and the
/// admin token, which the probing health check needs).
fn spin_refusals(variables: &[(&str, &str)]) -> Option<SpinApp> {
    let config = variables.iter().fold(
        SpinConfig::new(fixture("refusals.spin.toml"))
            .probe("/intake/health")
            .variable("admin_token", ADMIN_TOKEN),
        |c, (k, v)| c.variable(k, v),
    );
    own_spin(config)
}

/// scoring_url names instant-ack, which is allowed: the request goes to
/// instant-ack, which does not own /scoring/health.
const SCORING_URL_AT_ACK: (&str, &str) = ("scoring_url", "http://instant-ack.spin.internal");

/// Starts `manifest`, which must be refused with a message naming `named`.
const REFUSED: [(&str, &str); 2] = [
    ("unknown-store.spin.toml", "analytics"),
    ("required-variable.spin.toml", "provider_token"),
];

#[test]
fn a_store_not_granted_is_access_denied() {
    let Some(app) = spin_refusals(&[]) else { return };
    let problem = get(&app.base_url, "/survey/health").assert_problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("AccessDenied"),
        "{problem}"
    );
}

#[test]
fn outbound_to_a_host_not_allowed_is_denied() {
    let Some(app) = spin_refusals(&[]) else { return };
    let health = admin("GET", &app.base_url, "/intake/health").json();
    assert_eq!(health["status"], "degraded", "{health}");
    let handoffs = health["handoffs"].as_array().unwrap();
    assert_eq!(handoffs[0]["component"], "instant-ack");
    assert_eq!(
        handoffs[0]["status"], "ok",
        "allowed by the template over ack_url: {health}"
    );
    assert_eq!(handoffs[1]["component"], "lead-scoring");
    assert!(
        handoffs[1]["detail"].as_str().unwrap().contains("HttpRequestDenied"),
        "{health}"
    );
}

#[test]
fn chaining_reaches_the_component_named_in_the_host_not_a_route() {
    let Some(app) = spin_refusals(&[SCORING_URL_AT_ACK]) else {
        return;
    };
    let health = admin("GET", &app.base_url, "/intake/health").json();
    assert_eq!(
        health["handoffs"][1]["status"], "unreachable",
        "answers 404 at /scoring/health: {health}"
    );
    assert!(
        health["handoffs"][1]["detail"].as_str().unwrap().contains("404"),
        "{health}"
    );
}

#[test]
fn a_private_component_has_no_public_route() {
    let Some(app) = spin_refusals(&[]) else { return };
    assert_eq!(get(&app.base_url, "/scoring/health").status, 404);
}

#[test]
fn an_unknown_store_label_or_missing_required_variable_stops_start_up() {
    if external_base_url().is_some() {
        return;
    }
    for (manifest, named) in REFUSED {
        let err = SpinApp::try_start(SpinConfig::new(fixture(manifest)))
            .err()
            .unwrap_or_else(|| panic!("spin up serves {manifest}"));
        assert!(err.contains(named), "spin up on {manifest}: {err}");
    }
}
