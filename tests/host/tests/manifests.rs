//! deploy/<component>.spin.toml must grant its component exactly what
//! spin.toml does, or a component deployed alone would behave differently.

use spin_test_host::manifest::Manifest;
use std::path::PathBuf;

fn load(rel: &str) -> Manifest {
    Manifest::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)).unwrap()
}

#[test]
fn single_component_manifests_match_the_app() {
    let app = load("spin.toml");
    for (id, def) in &app.component {
        let alone = load(&format!("deploy/{id}.spin.toml"));
        let mine = &alone.component[id];
        assert_eq!(mine.key_value_stores, def.key_value_stores, "{id}");
        assert_eq!(mine.allowed_outbound_hosts, def.allowed_outbound_hosts, "{id}");
        assert_eq!(mine.variables, def.variables, "{id}");
        assert_eq!(mine.source, format!("../{}", def.source), "{id}");
        for template in mine.variables.values() {
            let name = template.trim_start_matches("{{").trim_end_matches("}}").trim();
            assert!(alone.variables.contains_key(name), "{id}: {name} is not declared");
        }
        assert_eq!(alone.trigger.http.len(), 1, "{id}");
    }
}
