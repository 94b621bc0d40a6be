//! The built components ask only for what every Spin 3.0+ host provides and
//! export the WASI 0.2 HTTP incoming handler, whichever toolchain route built
//! them. Read from each `.wasm`'s own import and export sections (wasmparser;
//! nothing is compiled or run), so this takes milliseconds.
//!
//! What every Spin 3.0+ host (Spin, SpinKube's shim, Akamai Functions)
//! provides and these components may import:
//! - WASI 0.2 (`wasi:{cli,clocks,filesystem,io,random,sockets,http}/*@0.2.x`;
//!   the minor version follows the standard library that built them);
//! - `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2`;
//! - Spin's `fermyon:spin/variables@2.0.0` and `fermyon:spin/key-value@2.0.0`.

use std::path::PathBuf;
use wasmparser::{Parser, Payload};

const COMPONENTS: [&str; 5] = [
    "lead_intake",
    "instant_ack",
    "lead_scoring",
    "survey",
    "audience_export",
];

const WASI_02: [&str; 7] = ["cli", "clocks", "filesystem", "io", "random", "sockets", "http"];
const KEYVALUE: [&str; 3] = [
    "wasi:keyvalue/store@0.2.0-draft2",
    "wasi:keyvalue/atomics@0.2.0-draft2",
    "wasi:keyvalue/batch@0.2.0-draft2",
];
const SPIN: [&str; 2] = ["fermyon:spin/variables@2.0.0", "fermyon:spin/key-value@2.0.0"];

fn wasm(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/wasm32-wasip2/release/{name}.wasm"))
}

/// `wasi:<package>/<interface>@0.2.<minor>`, a package of WASI 0.2.
fn is_wasi_02(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("wasi:") else {
        return false;
    };
    let Some((path, version)) = rest.split_once('@') else {
        return false;
    };
    let package = path.split('/').next().unwrap_or_default();
    let minor = version.strip_prefix("0.2.").unwrap_or_default();
    WASI_02.contains(&package) && !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit())
}

fn allowed(import: &str) -> bool {
    is_wasi_02(import) || KEYVALUE.contains(&import) || SPIN.contains(&import)
}

/// The names of a component's own (top-level) imports and exports; nested
/// core modules and components are skipped.
fn interface(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports, mut depth) = (Vec::new(), Vec::new(), 0usize);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("a well-formed component") {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(section) if depth == 1 => {
                for import in section {
                    imports.push(import.expect("an import").name.0.to_string());
                }
            }
            Payload::ComponentExportSection(section) if depth == 1 => {
                for export in section {
                    exports.push(export.expect("an export").name.0.to_string());
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

#[test]
fn components_import_only_what_every_spin_3_host_provides() {
    let mut checked = 0;
    for name in COMPONENTS {
        let path = wasm(name);
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!(
                "skipped {name}: {} not built (bash scripts/build-wasm.sh)",
                path.display()
            );
            continue;
        };
        assert!(Parser::is_component(&bytes), "{name} is a component, not a core module");
        let (imports, exports) = interface(&bytes);
        println!("{name}: imports {imports:?}\n{name}: exports {exports:?}");
        for import in &imports {
            assert!(
                allowed(import),
                "{name} imports {import}, which not every Spin 3.0+ host provides"
            );
        }
        assert!(
            imports.iter().any(|i| i == "wasi:keyvalue/atomics@0.2.0-draft2"),
            "{name} imports wasi:keyvalue/atomics@0.2.0-draft2: {imports:?}"
        );
        assert_eq!(exports.len(), 1, "{name}: {exports:?}");
        assert!(
            exports[0].starts_with("wasi:http/incoming-handler@0.2."),
            "{name}: {exports:?}"
        );
        checked += 1;
    }
    if checked == 0 {
        eprintln!("no component built: nothing checked");
    }
}

#[test]
fn the_allowed_names_are_exactly_these() {
    assert!(allowed("wasi:http/types@0.2.12"));
    assert!(allowed("wasi:filesystem/preopens@0.2.0"));
    assert!(allowed("wasi:keyvalue/batch@0.2.0-draft2"));
    assert!(allowed("fermyon:spin/variables@2.0.0"));
    for refused in [
        "wasi:http/types@0.3.0",
        "wasi:http/types@0.2.0-rc-2023-12-05",
        "wasi:keyvalue/store@0.2.0-draft",
        "wasi:keyvalue/watcher@0.2.0-draft2",
        "wasi:config/store@0.2.0-draft-2024-09-27",
        "fermyon:spin/sqlite@2.0.0",
        "fermyon:spin/key-value",
        "spin:key-value/key-value@3.0.0",
        "wasi:nn/tensor@0.2.0",
    ] {
        assert!(!allowed(refused), "{refused}");
    }
}
