//! Every component answers its health routes: anyone gets a read of the
//! store (nothing written, nobody probed); the admin token gets a real
//! key-value round trip and the probes of the hand-off targets.

use spin_retention_e2e::{admin, app, get};

const COMPONENTS: [(&str, &str); 9] = [
    ("lead-intake", "/intake/health"),
    ("instant-ack", "/ack/health"),
    ("lead-scoring", "/scoring/health"),
    ("survey", "/survey/health"),
    ("audience-export", "/audiences/health"),
    ("lead-alerts", "/alerts/health"),
    ("customers", "/customers/health"),
    ("dashboard", "/dashboard/health"),
    ("journeys", "/journeys/health"),
];

fn every_component_reports_its_store_round_trip() {
    for (component, path) in COMPONENTS {
        let first = admin("GET", &app().base_url, path);
        assert_eq!(first.status, 200, "{path}: {}", first.text());
        assert_eq!(first.header("content-type"), Some("application/json"));
        let first = first.json();
        assert_eq!(first["component"], component);
        assert_eq!(first["check"], "write");
        assert_eq!(first["store"]["status"], "ok");
        assert_eq!(first["store"]["key"], format!("health:{component}"));

        // Each request is a fresh instance: the count can only grow if the
        // value went through the store.
        let second = admin("GET", &app().base_url, path).json();
        assert!(
            second["store"]["checks"].as_u64().unwrap() > first["store"]["checks"].as_u64().unwrap(),
            "{first} then {second}"
        );
        // The one-key check (the benchmarks' baseline) writes the same key.
        let one_key = admin("GET", &app().base_url, &format!("{path}/store")).json();
        assert_eq!(one_key["store"]["key"], format!("health:{component}"));
        assert!(one_key.get("handoffs").is_none(), "{one_key}");
    }
}

fn anyone_may_check_health_and_it_writes_nothing() {
    for (component, path) in COMPONENTS {
        let first = get(&app().base_url, path);
        assert_eq!(first.status, 200, "{path}: {}", first.text());
        let first = first.json();
        assert_eq!(
            (first["component"].as_str(), first["check"].as_str()),
            (Some(component), Some("read"))
        );
        assert_eq!(first["store"]["status"], "ok");
        assert!(first.get("handoffs").is_none(), "nobody probed: {first}");
        let second = get(&app().base_url, path).json();
        assert_eq!(
            second["store"]["checks"], first["store"]["checks"],
            "{path}: an anonymous check writes nothing"
        );
        // The one-key writing check is the token's.
        assert_eq!(
            get(&app().base_url, &format!("{path}/store")).status,
            401,
            "{path}/store"
        );
    }
}

// One test, not three: concurrent health checks may overwrite each other's
// count (it is a liveness signal, not an exact counter).
#[test]
fn health_checks_round_trip_through_one_shared_store() {
    every_component_reports_its_store_round_trip();
    anyone_may_check_health_and_it_writes_nothing();
    components_share_one_store_but_keep_their_own_keys();
}

fn components_share_one_store_but_keep_their_own_keys() {
    // Intake's health probes instant-ack, lead-scoring and lead-alerts by their liveness
    // routes, which touch no store: a check of one component writes only
    // its own record, however long the chain of hand-offs behind it.
    let checks = |path: &str| {
        admin("GET", &app().base_url, path).json()["store"]["checks"]
            .as_u64()
            .unwrap()
    };
    let before = checks("/ack/health");
    let intake = admin("GET", &app().base_url, "/intake/health").json();
    assert_eq!(intake["store"]["key"], "health:lead-intake");
    assert_eq!(intake["status"], "ok", "{intake}");
    let probed: Vec<&str> = intake["handoffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["component"].as_str().unwrap())
        .collect();
    // Where submissions go, and where an erase goes.
    assert_eq!(
        probed,
        [
            "instant-ack",
            "lead-scoring",
            "lead-alerts",
            "survey",
            "audience-export",
            "customers",
            "journeys"
        ]
    );
    assert_eq!(checks("/ack/health"), before + 1, "only the ack check itself wrote");
    for (component, path) in COMPONENTS {
        let live = get(&app().base_url, &format!("{path}/live"));
        assert_eq!(live.status, 200, "{path}/live: {}", live.text());
        assert_eq!(
            live.json(),
            serde_json::json!({"component": component, "status": "live"})
        );
    }
}
