//! deploy/<component>.spin.toml must grant its component exactly what
//! spin.toml does, or a component deployed alone would behave differently.
//! (That spin up serves each of them is deploy_alone.rs.)

use std::path::PathBuf;
use toml::{Table, Value};

fn load(rel: &str) -> Table {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(manifest["spin_manifest_version"].as_integer(), Some(2), "{rel}");
    manifest
}

fn table<'a>(t: &'a Table, key: &str) -> &'a Table {
    t.get(key)
        .and_then(Value::as_table)
        .unwrap_or_else(|| panic!("[{key}]"))
}

/// A component's setting, or an empty one of its kind when absent.
fn field(component: &Table, key: &str, empty: Value) -> Value {
    component.get(key).cloned().unwrap_or(empty)
}

#[test]
fn single_component_manifests_match_the_app() {
    let app = load("spin.toml");
    let components = table(&app, "component");
    assert_eq!(components.len(), 9);
    for (id, def) in components {
        let def = def.as_table().unwrap();
        let alone = load(&format!("deploy/{id}.spin.toml"));
        let mine = table(table(&alone, "component"), id);
        for (key, empty) in [
            ("key_value_stores", Value::Array(vec![])),
            ("allowed_outbound_hosts", Value::Array(vec![])),
            ("variables", Value::Table(Table::new())),
        ] {
            assert_eq!(field(mine, key, empty.clone()), field(def, key, empty), "{id}: {key}");
        }
        let source = def["source"].as_str().unwrap();
        assert_eq!(mine["source"].as_str(), Some(format!("../{source}").as_str()), "{id}");
        let declared = alone.get("variables").and_then(Value::as_table);
        let templates = mine.get("variables").and_then(Value::as_table).into_iter().flatten();
        for (_, template) in templates {
            let template = template.as_str().unwrap();
            let name = template.trim_start_matches("{{").trim_end_matches("}}").trim();
            assert!(
                declared.is_some_and(|d| d.contains_key(name)),
                "{id}: {name} is not declared"
            );
        }
        let triggers = table(&alone, "trigger")["http"].as_array().unwrap();
        assert_eq!(triggers.len(), 1, "{id}");
        assert_eq!(triggers[0]["component"].as_str(), Some(id.as_str()), "{id}");
    }
}
