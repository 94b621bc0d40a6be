//! The default store is SQLite, like Spin's: data outlives the host process.

use spin_retention_e2e::{get, host_config, own_host, repo_root, scratch_dir};
use spin_test_host::StoreMode;

#[test]
fn values_survive_a_restart_with_the_same_sqlite_file() {
    let db = scratch_dir("restart").join("kv.db");
    let checks = |expected: u64| {
        let mut config = host_config(repo_root().join("spin.toml"));
        config.store = StoreMode::Sqlite(db.clone());
        let Some(host) = own_host(config) else { return };
        let health = get(&host.base_url, "/audiences/health").json();
        assert_eq!(health["store"]["checks"], expected, "{health}");
    };
    checks(1);
    checks(2);
}

#[test]
fn memory_mode_starts_empty_every_time() {
    for _ in 0..2 {
        let Some(host) = own_host(host_config(repo_root().join("spin.toml"))) else {
            return;
        };
        assert_eq!(get(&host.base_url, "/survey/health").json()["store"]["checks"], 1);
    }
}
