//! The architecture in the manifests: no job crate depends on another job
//! crate, in its dependencies or its dev-dependencies, so each job builds,
//! tests and deploys alone. What two jobs share is a crate of its own
//! (core, facts, messaging, scores, zones). A job is a crate of `shared/` that a
//! component under `components/` wraps.

use std::path::{Path, PathBuf};
use toml::Table;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn manifest(path: &Path) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn name(manifest: &Table) -> String {
    manifest["package"]["name"].as_str().unwrap().to_string()
}

/// Every dependency a manifest names, dev-dependencies included.
fn dependencies(manifest: &Table) -> Vec<String> {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|section| manifest.get(*section).and_then(|s| s.as_table()))
        .flat_map(|deps| deps.keys().cloned())
        .collect()
}

#[test]
fn no_job_crate_depends_on_another() {
    // The job crates: what each component depends on of shared/.
    let mut jobs = Vec::new();
    for entry in std::fs::read_dir(root().join("components")).unwrap() {
        let path = entry.unwrap().path().join("Cargo.toml");
        if !path.exists() {
            continue;
        }
        let component = manifest(&path);
        let job: Vec<String> = dependencies(&component)
            .into_iter()
            .filter(|d| d.starts_with("spin-retention-"))
            .filter(|d| !["spin-retention-core", "spin-retention-adapter"].contains(&d.as_str()))
            .collect();
        if name(&component) != "spin-retention-adapter" {
            assert_eq!(job.len(), 1, "{}: one job each, got {job:?}", path.display());
            jobs.extend(job);
        }
    }
    assert_eq!(jobs.len(), 9, "{jobs:?}");
    for entry in std::fs::read_dir(root().join("shared")).unwrap() {
        let path = entry.unwrap().path().join("Cargo.toml");
        let krate = manifest(&path);
        let me = name(&krate);
        let others: Vec<String> = dependencies(&krate)
            .into_iter()
            .filter(|d| jobs.contains(d) && *d != me)
            .collect();
        assert_eq!(others, Vec::<String>::new(), "{me} depends on other jobs");
    }
}
