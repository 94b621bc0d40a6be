//! The built components ask only for what Spin 2.x-4.x and the edge hosts
//! provide (WASI 0.2, Spin's key-value and variables at 2.0.0) and export the
//! WASI 0.2 HTTP incoming handler. Whichever toolchain route built them, this
//! is the interface they must have.

use std::path::PathBuf;
use wasmtime::component::Component;
use wasmtime::Engine;

const COMPONENTS: [&str; 5] = [
    "lead_intake",
    "instant_ack",
    "lead_scoring",
    "survey",
    "audience_export",
];

fn wasm(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/wasm32-wasip2/release/{name}.wasm"))
}

#[test]
fn components_import_only_wasi_02_and_spin_2_interfaces() {
    let engine = Engine::default();
    for name in COMPONENTS {
        let path = wasm(name);
        if !path.exists() {
            eprintln!("skipped {name}: {} not built (scripts/build-wasm.sh)", path.display());
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            wasmparser::Parser::is_component(&bytes),
            "{name} is a component, not a core module"
        );
        let component = Component::new(&engine, &bytes).unwrap();
        let ty = component.component_type();
        let imports: Vec<String> = ty.imports(&engine).map(|(n, _)| n.to_string()).collect();
        let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_string()).collect();
        println!("{name}: imports {imports:?}\n{name}: exports {exports:?}");
        for import in &imports {
            let ok = (import.starts_with("wasi:") && import.contains("@0.2."))
                || import == "fermyon:spin/key-value@2.0.0"
                || import == "fermyon:spin/variables@2.0.0";
            assert!(ok, "{name} imports {import}, which not every Spin host provides");
        }
        assert!(imports.iter().any(|i| i == "fermyon:spin/key-value@2.0.0"), "{name}");
        assert_eq!(exports.len(), 1, "{name}: {exports:?}");
        assert!(
            exports[0].starts_with("wasi:http/incoming-handler@0.2."),
            "{name}: {exports:?}"
        );
    }
}
