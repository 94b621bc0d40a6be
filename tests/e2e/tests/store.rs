//! The store outlives the runtime: stop `spin up` (or kill it) and start it
//! again on the same state directory (SQLite) or Redis server, and the data
//! is still there.

use spin_retention_e2e::{get, own_spin, repo_root, SpinConfig};

#[test]
fn values_survive_a_restart_on_the_same_store() {
    // Probed on instant-ack's health, which calls no other component: the
    // count at /audiences/health is this test's alone.
    let config = SpinConfig::new(repo_root().join("spin.toml")).probe("/ack/health");
    let Some(mut app) = own_spin(config) else { return };
    let health = get(&app.base_url, "/audiences/health").json();
    assert_eq!(health["store"]["checks"], 1, "{health}");
    app.restart();
    let health = get(&app.base_url, "/audiences/health").json();
    assert_eq!(health["store"]["checks"], 2, "{health}");
    // A crash (kill -9 of spin and its trigger) loses nothing written either.
    app.kill();
    app.restart();
    let health = get(&app.base_url, "/audiences/health").json();
    assert_eq!(health["store"]["checks"], 3, "{health}");
}
