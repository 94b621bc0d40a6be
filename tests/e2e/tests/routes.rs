//! Each job's route table is the truth: spin.toml routes each job's prefix
//! to its component, and the README documents every route of every table
//! and no other (checked against the `| \`METHOD /path\` |` rows of its
//! route tables).

use spin_retention_core::jobs::Job;
use std::path::PathBuf;
use toml::{Table, Value};

const JOBS: [&Job; 8] = [
    &spin_retention_lead_intake::job::JOB,
    &spin_retention_instant_ack::job::JOB,
    &spin_retention_lead_scoring::job::JOB,
    &spin_retention_survey::job::JOB,
    &spin_retention_audience_export::job::JOB,
    &spin_retention_lead_alerts::job::JOB,
    &spin_retention_customers::job::JOB,
    &spin_retention_dashboard::job::JOB,
];

fn repo_file(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `GET /audiences/{id}/export` and `GET /audiences/<id>/export?format=` alike.
fn normalise(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' | '<' => {
                inside = true;
                out.push_str("{}");
            }
            '}' | '>' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    format!("{method} {out}")
}

/// The `| \`METHOD /path...\` |` rows of the README's route tables.
fn documented() -> Vec<String> {
    repo_file("README.md")
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix("| `")?.split('`').next()?;
            let (method, path) = cell.split_once(' ')?;
            (method.chars().all(|c| c.is_ascii_uppercase()) && path.starts_with('/')).then(|| normalise(method, path))
        })
        .collect()
}

fn tabled() -> Vec<String> {
    JOBS.iter()
        .flat_map(|job| job.routes.iter().map(|r| normalise(r.method.as_str(), r.path)))
        .collect()
}

#[test]
fn spin_toml_routes_each_prefix_to_its_job() {
    let app: Table = repo_file("spin.toml").parse().unwrap();
    let triggers = app["trigger"]["http"].as_array().unwrap();
    assert_eq!(triggers.len(), JOBS.len());
    for job in JOBS {
        let trigger = triggers
            .iter()
            .find(|t| t["component"].as_str() == Some(job.name))
            .unwrap_or_else(|| panic!("no trigger for {}", job.name));
        assert_eq!(trigger["route"].as_str(), Some(format!("{}/...", job.prefix).as_str()));
        for route in job.routes {
            assert!(
                route.path == job.prefix || route.path.starts_with(&format!("{}/", job.prefix)),
                "{} in {}",
                route.path,
                job.name
            );
        }
    }
    assert!(triggers.iter().all(|t| t.get("component").is_some_and(Value::is_str)));
}

#[test]
fn the_readme_documents_every_route_and_no_other() {
    let documented = documented();
    let tabled = tabled();
    let missing: Vec<&String> = tabled.iter().filter(|r| !documented.contains(r)).collect();
    assert!(missing.is_empty(), "routes the README does not document: {missing:?}");
    let stale: Vec<&String> = documented.iter().filter(|r| !tabled.contains(r)).collect();
    assert!(stale.is_empty(), "README rows no route serves: {stale:?}");
}

#[test]
fn ids_cannot_be_route_words() {
    assert_eq!(
        spin_retention_audience_export::job::JOB.reserved(),
        ["health", "admin", "leads"]
    );
}

#[test]
fn every_hand_off_is_a_route_of_its_target() {
    use spin_retention_core::jobs::calls;
    let tabled = tabled();
    for path in [
        calls::ack_submission("{id}"),
        calls::score_lead("{id}"),
        calls::update_audiences("{id}"),
        calls::alert_lead("{id}"),
        calls::record_event(),
        calls::sla_tick(),
    ] {
        let call = normalise("POST", &path);
        assert!(tabled.contains(&call), "{call} is no route");
    }
    // An erase goes to every job that keeps something of the person.
    for target in spin_retention_core::jobs::ERASE {
        let call = normalise("DELETE", &calls::forget_person(target.prefix, "{id}"));
        assert!(tabled.contains(&call), "{call} is no route");
    }
}
