//! The store outlives the runtime: stop `spin up` (or kill it) and start it
//! again on the same state directory (SQLite) or Redis server, and the data
//! is still there.

use spin_retention_e2e::{admin, own_spin, repo_root, SpinConfig, ADMIN_TOKEN};

#[test]
fn values_survive_a_restart_on_the_same_store() {
    // Probed on instant-ack's health (the anonymous check, which writes
    // nothing): the count at /audiences/health/store is this test's alone.
    // The health record is written by the admin token's check only.
    let config = SpinConfig::new(repo_root().join("spin.toml"))
        .probe("/ack/health")
        .variable("admin_token", ADMIN_TOKEN);
    let Some(mut app) = own_spin(config) else { return };
    let health = admin("GET", &app.base_url, "/audiences/health/store").json();
    assert_eq!(health["store"]["checks"], 1, "{health}");
    app.restart();
    let health = admin("GET", &app.base_url, "/audiences/health/store").json();
    assert_eq!(health["store"]["checks"], 2, "{health}");
    // A crash (kill -9 of spin and its trigger) loses nothing written either.
    app.kill();
    app.restart();
    let health = admin("GET", &app.base_url, "/audiences/health/store").json();
    assert_eq!(health["store"]["checks"], 3, "{health}");
}
