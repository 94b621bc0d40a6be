//! Routes, errors and methods as a client sees them.

use spin_retention_e2e::{admin, app, get, request};

#[test]
fn unknown_path_under_a_component_is_problem_json_404() {
    let reply = get(&app().base_url, "/survey/no-such-thing");
    let problem = reply.assert_problem(404);
    assert_eq!(problem["instance"], "/survey/no-such-thing");
}

#[test]
fn wrong_method_is_405_with_allow() {
    let reply = request("DELETE", &app().base_url, "/scoring/health", &[], b"");
    reply.assert_problem(405);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
}

#[test]
fn a_path_no_component_owns_is_404() {
    assert_eq!(get(&app().base_url, "/nothing-here").status, 404);
}

#[test]
fn intake_hands_off_through_service_chaining() {
    // The probing check is the admin token's.
    let health = admin("GET", &app().base_url, "/intake/health").json();
    assert_eq!(health["status"], "ok", "{health}");
    let handoffs = health["handoffs"].as_array().unwrap();
    let names: Vec<_> = handoffs.iter().map(|h| h["component"].as_str().unwrap()).collect();
    // Where submissions go, and where an erase goes.
    assert_eq!(
        names,
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
    assert!(handoffs.iter().all(|h| h["status"] == "ok"), "{health}");
}

#[test]
fn many_concurrent_requests_all_succeed() {
    let threads: Vec<_> = (0..32)
        .map(|i| {
            std::thread::spawn(move || {
                let path = [
                    "/intake/health",
                    "/survey/health",
                    "/audiences/health",
                    "/scoring/health",
                ][i % 4];
                // Half anonymous (a read), half with the token (a write and the probes).
                match i % 2 {
                    0 => get(&app().base_url, path).status,
                    _ => admin("GET", &app().base_url, path).status,
                }
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
}
