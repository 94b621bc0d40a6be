//! What Spin refuses (a store not granted, outbound to a host not allowed, a
//! private route, an unknown store label, a required variable without a
//! value), under the real `spin up`; then the same checks on the test host
//! (tests/host), which must refuse what Spin refuses. These need apps of
//! their own (other manifests), so they are skipped under E2E_BASE_URL.

use spin_retention_e2e::{external_base_url, fixture, get, host_config, own_host, own_spin, SpinApp, SpinConfig};
use spin_test_host::RunningHost;

/// The refusals manifest under `spin up`, with these variables.
fn spin_refusals(variables: &[(&str, &str)]) -> Option<SpinApp> {
    let config = variables.iter().fold(
        SpinConfig::new(fixture("refusals.spin.toml")).probe("/intake/health"),
        |c, (k, v)| c.variable(k, v),
    );
    own_spin(config)
}

/// The same on the test host.
fn test_host_refusals(variables: &[(&str, &str)]) -> Option<RunningHost> {
    let mut config = host_config(fixture("refusals.spin.toml"));
    for (k, v) in variables {
        config.variables.insert(k.to_string(), v.to_string());
    }
    own_host(config)
}

fn store_not_granted_is_access_denied(runtime: &str, base: &str) {
    let problem = get(base, "/survey/health").assert_problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("AccessDenied"),
        "{runtime}: {problem}"
    );
}

fn outbound_not_allowed_is_denied(runtime: &str, base: &str) {
    let health = get(base, "/intake/health").json();
    assert_eq!(health["status"], "degraded", "{runtime}: {health}");
    let handoffs = health["handoffs"].as_array().unwrap();
    assert_eq!(handoffs[0]["component"], "instant-ack");
    assert_eq!(
        handoffs[0]["status"], "ok",
        "{runtime}: allowed by the template over ack_url: {health}"
    );
    assert_eq!(handoffs[1]["component"], "lead-scoring");
    assert!(
        handoffs[1]["detail"].as_str().unwrap().contains("HttpRequestDenied"),
        "{runtime}: {health}"
    );
}

fn private_component_has_no_public_route(runtime: &str, base: &str) {
    assert_eq!(get(base, "/scoring/health").status, 404, "{runtime}");
}

/// scoring_url names instant-ack, which is allowed: the request goes to
/// instant-ack, which does not own /scoring/health.
const SCORING_URL_AT_ACK: (&str, &str) = ("scoring_url", "http://instant-ack.spin.internal");

fn chaining_reaches_the_named_component(runtime: &str, base: &str) {
    let health = get(base, "/intake/health").json();
    assert_eq!(
        health["handoffs"][1]["status"], "unreachable",
        "{runtime}: answers 404 at /scoring/health: {health}"
    );
    assert!(
        health["handoffs"][1]["detail"].as_str().unwrap().contains("404"),
        "{runtime}: {health}"
    );
}

/// Starts `manifest`, which must be refused with a message naming `named`.
const REFUSED: [(&str, &str); 2] = [
    ("unknown-store.spin.toml", "analytics"),
    ("required-variable.spin.toml", "provider_token"),
];

#[test]
fn a_store_not_granted_is_access_denied() {
    let Some(app) = spin_refusals(&[]) else { return };
    store_not_granted_is_access_denied("spin up", &app.base_url);
}

#[test]
fn outbound_to_a_host_not_allowed_is_denied() {
    let Some(app) = spin_refusals(&[]) else { return };
    outbound_not_allowed_is_denied("spin up", &app.base_url);
}

#[test]
fn chaining_reaches_the_component_named_in_the_host_not_a_route() {
    let Some(app) = spin_refusals(&[SCORING_URL_AT_ACK]) else {
        return;
    };
    chaining_reaches_the_named_component("spin up", &app.base_url);
}

#[test]
fn a_private_component_has_no_public_route() {
    let Some(app) = spin_refusals(&[]) else { return };
    private_component_has_no_public_route("spin up", &app.base_url);
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

/// The test host refuses what Spin refuses (the checks above, on it).
#[test]
fn the_test_host_refuses_what_spin_refuses() {
    let runtime = "test host";
    let Some(host) = test_host_refusals(&[]) else { return };
    store_not_granted_is_access_denied(runtime, &host.base_url);
    outbound_not_allowed_is_denied(runtime, &host.base_url);
    private_component_has_no_public_route(runtime, &host.base_url);
    drop(host);
    let Some(host) = test_host_refusals(&[SCORING_URL_AT_ACK]) else {
        return;
    };
    chaining_reaches_the_named_component(runtime, &host.base_url);
    for (manifest, named) in REFUSED {
        let err = RunningHost::start(host_config(fixture(manifest)))
            .err()
            .unwrap_or_else(|| panic!("the test host serves {manifest}"));
        assert!(format!("{err:#}").contains(named), "test host on {manifest}: {err:#}");
    }
}
