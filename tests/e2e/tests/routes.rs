//! Each job's route table is the truth: spin.toml routes each job's prefix
//! to its component, and the job's reference page, `docs/<job>.md`,
//! documents every route of its table and no other (checked against the
//! `| \`METHOD /path\` |` rows of the page's route tables). Any other page
//! that lists a route (the README, the scheduler's table in
//! `docs/operations.md`) lists only routes some job serves. And the docs'
//! relative links lead somewhere.

use spin_retention_core::jobs::Job;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

const JOBS: [&Job; 9] = [
    &spin_retention_lead_intake::job::JOB,
    &spin_retention_instant_ack::job::JOB,
    &spin_retention_lead_scoring::job::JOB,
    &spin_retention_survey::job::JOB,
    &spin_retention_audience_export::job::JOB,
    &spin_retention_lead_alerts::job::JOB,
    &spin_retention_customers::job::JOB,
    &spin_retention_dashboard::job::JOB,
    &spin_retention_journeys::job::JOB,
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn repo_file(rel: &str) -> String {
    let path = repo().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The pages a newcomer reads: the README, ARCHITECTURE.md and `docs/*.md`,
/// as paths relative to the repository.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
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

/// The `| \`METHOD /path...\` |` rows of a page's route tables.
fn documented(page: &str) -> Vec<String> {
    page.lines()
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
fn each_jobs_page_documents_its_routes_and_no_other() {
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for job in JOBS {
        let page = format!("docs/{}.md", job.name);
        let documented = documented(&repo_file(&page));
        let tabled: Vec<String> = job
            .routes
            .iter()
            .map(|r| normalise(r.method.as_str(), r.path))
            .collect();
        missing.extend(
            tabled
                .iter()
                .filter(|r| !documented.contains(r))
                .map(|r| format!("{page}: {r}")),
        );
        stale.extend(
            documented
                .iter()
                .filter(|r| !tabled.contains(r))
                .map(|r| format!("{page}: {r}")),
        );
    }
    assert!(
        missing.is_empty(),
        "routes their job's page does not document: {missing:#?}"
    );
    assert!(
        stale.is_empty(),
        "rows of a job's page that the job does not serve: {stale:#?}"
    );
}

#[test]
fn every_other_page_lists_only_routes_that_exist() {
    let tabled = tabled();
    let jobs_pages: Vec<String> = JOBS.iter().map(|job| format!("docs/{}.md", job.name)).collect();
    let stale: Vec<String> = pages()
        .into_iter()
        .filter(|page| !jobs_pages.contains(page))
        .flat_map(|page| {
            documented(&repo_file(&page))
                .into_iter()
                .filter(|r| !tabled.contains(r))
                .map(move |r| format!("{page}: {r}"))
        })
        .collect();
    assert!(stale.is_empty(), "rows no route serves: {stale:#?}");
}

/// A heading's anchor as GitHub makes it: lowercase, spaces to `-`, and
/// only letters, digits, `-` and `_` kept.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a page outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    prose(text)
        .into_iter()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| anchor(heading.trim_start_matches('#')))
        .collect()
}

/// The targets of a page's `[text](target)` links, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                targets.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    targets
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let root = repo();
    let mut broken = Vec::new();
    for page in pages() {
        let text = repo_file(&page);
        let dir = root.join(&page).parent().unwrap().to_path_buf();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file = if path.is_empty() {
                root.join(&page)
            } else {
                dir.join(path)
            };
            let Ok(file) = file.canonicalize() else {
                broken.push(format!("{page}: {target} (no such file)"));
                continue;
            };
            // A link out of the repository (the spin checkout beside it) is
            // not the repository's to keep.
            if !file.starts_with(&root) || fragment.is_empty() {
                continue;
            }
            let is_page = file.extension().is_some_and(|e| e == "md") && Path::is_file(&file);
            if is_page && !anchors(&std::fs::read_to_string(&file).unwrap()).contains(&fragment.to_string()) {
                broken.push(format!("{page}: {target} (no such heading)"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
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
    // The one tick calls a route of each job it drives.
    for (target, path) in spin_retention_core::jobs::TICK {
        assert!(path.starts_with(target.prefix), "{path}");
        let call = normalise("POST", path.split('?').next().unwrap());
        assert!(tabled.contains(&call), "{call} is no route");
    }
    // An erase goes to every job that keeps something of the person.
    for target in spin_retention_core::jobs::ERASE {
        let call = normalise("DELETE", &calls::forget_person(target.prefix, "{id}"));
        assert!(tabled.contains(&call), "{call} is no route");
    }
}
