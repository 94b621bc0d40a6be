//! The test host refuses what Spin refuses. These need hosts of their own
//! (other manifests), so they are skipped under E2E_BASE_URL.

use spin_retention_e2e::{fixture, get, host_config, own_host};
use spin_test_host::RunningHost;

#[test]
fn a_store_not_granted_is_access_denied() {
    let Some(host) = own_host(host_config(fixture("refusals.spin.toml"))) else {
        return;
    };
    let problem = get(&host.base_url, "/survey/health").assert_problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("AccessDenied"),
        "{problem}"
    );
}

#[test]
fn outbound_to_a_host_not_allowed_is_denied() {
    let Some(host) = own_host(host_config(fixture("refusals.spin.toml"))) else {
        return;
    };
    let health = get(&host.base_url, "/intake/health").json();
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
    let mut config = host_config(fixture("refusals.spin.toml"));
    // scoring_url now names instant-ack, which is allowed: the request goes to
    // instant-ack, which does not own /scoring/health.
    config
        .variables
        .insert("scoring_url".into(), "http://instant-ack.spin.internal".into());
    let Some(host) = own_host(config) else { return };
    let health = get(&host.base_url, "/intake/health").json();
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
    let Some(host) = own_host(host_config(fixture("refusals.spin.toml"))) else {
        return;
    };
    assert_eq!(get(&host.base_url, "/scoring/health").status, 404);
}

#[test]
fn an_unknown_store_label_or_missing_required_variable_stops_start_up() {
    if spin_retention_e2e::external_base_url().is_some() {
        return;
    }
    let err = RunningHost::start(host_config(fixture("unknown-store.spin.toml")))
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("analytics"), "{err:#}");
    let err = RunningHost::start(host_config(fixture("required-variable.spin.toml")))
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("provider_token"), "{err:#}");
}
