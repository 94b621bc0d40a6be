//! Every component answers its health route with a real key-value round trip.

use spin_retention_e2e::{app, get};

const COMPONENTS: [(&str, &str); 5] = [
    ("lead-intake", "/intake/health"),
    ("instant-ack", "/ack/health"),
    ("lead-scoring", "/scoring/health"),
    ("survey", "/survey/health"),
    ("audience-export", "/audiences/health"),
];

fn every_component_reports_its_store_round_trip() {
    for (component, path) in COMPONENTS {
        let first = get(&app().base_url, path);
        assert_eq!(first.status, 200, "{path}: {}", first.text());
        assert_eq!(first.header("content-type"), Some("application/json"));
        let first = first.json();
        assert_eq!(first["component"], component);
        assert_eq!(first["store"]["status"], "ok");
        assert_eq!(first["store"]["key"], format!("health:{component}"));

        // Each request is a fresh instance: the count can only grow if the
        // value went through the store.
        let second = get(&app().base_url, path).json();
        assert!(
            second["store"]["checks"].as_u64().unwrap() > first["store"]["checks"].as_u64().unwrap(),
            "{first} then {second}"
        );
    }
}

// One test, not two: concurrent health checks may overwrite each other's
// count (it is a liveness signal, not an exact counter).
#[test]
fn health_checks_round_trip_through_one_shared_store() {
    every_component_reports_its_store_round_trip();
    components_share_one_store_but_keep_their_own_keys();
}

fn components_share_one_store_but_keep_their_own_keys() {
    // Hand-offs from intake call instant-ack's health, whose record then
    // shows in instant-ack's own answer: one store seen by both.
    let before = get(&app().base_url, "/ack/health").json()["store"]["checks"]
        .as_u64()
        .unwrap();
    let intake = get(&app().base_url, "/intake/health").json();
    assert_eq!(intake["store"]["key"], "health:lead-intake");
    let after = get(&app().base_url, "/ack/health").json()["store"]["checks"]
        .as_u64()
        .unwrap();
    assert!(after >= before + 2, "before {before}, after {after}");
}
