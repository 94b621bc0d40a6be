//! The harness for the end-to-end tests: a base URL to test, and a small
//! HTTP client. The tests are black box: they only speak HTTP to the app.
//!
//! By default the app under test is the real Spin runtime: `spin up` on the
//! repository's spin.toml with the built release components, on a free
//! loopback port and a fresh `--state-dir` (see [`spin`]): one app shared by
//! a test binary ([`app`]), or one of a test's own ([`own_app`],
//! [`app_with_provider`], [`own_spin`]) for tests that change app-wide
//! settings, other manifests or restarts. `E2E_STORE=sqlite` (the default)
//! gives each app Spin's default SQLite store in its state directory;
//! `E2E_STORE=redis` gives each app a redis-server of its own. `SPIN_BIN`
//! names the spin CLI, a relative path from the repository root (else `spin` on
//! PATH, else `../shared/spin/bin/spin`); `scripts/test.sh` runs the suite under
//! Spin 4.0.2 and again under 3.6.3 (SpinKube's shim).
//!
//! With `E2E_BASE_URL=<http://127.0.0.1:3000>` the same tests run against an
//! app that is already running; tests that need an app of their own are
//! skipped then.
//!
//! Nothing stands in for Spin: the benchmark programs in `src/bin/` run the
//! app under `spin up` too ([`bench_app`], [`bench_app_with_provider`]).

pub mod bench;
pub mod browser;
pub mod mock_provider;
pub mod spin;

use serde_json::Value;
pub use spin::{spin_bin, store_kind, SpinApp, SpinConfig, StoreKind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// A fresh scratch folder, unique to this call, under `target/e2e-scratch/`.
/// The first call of a process removes the folders that test processes
/// which are gone left more than half an hour ago (a failed test's folder,
/// with spin's log, stays for a while).
pub fn scratch_dir(name: &str) -> PathBuf {
    static SWEPT: OnceLock<()> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let root = repo_root().join("target/e2e-scratch");
    SWEPT.get_or_init(|| sweep_scratch(&root));
    let dir = root.join(format!(
        "{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Removes scratch folders (`<name>-<pid>-<n>`) whose process has ended,
/// made more than half an hour ago.
fn sweep_scratch(root: &std::path::Path) {
    let old = |path: &std::path::Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(30 * 60))
    };
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut parts = name.rsplitn(3, '-');
        let (Some(_n), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        let path = entry.path();
        if path.is_dir() && !PathBuf::from(format!("/proc/{pid}")).exists() && old(&path) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// The app under test.
pub struct App {
    pub base_url: String,
    _spin: Option<SpinApp>,
}

/// The app for this test binary: `E2E_BASE_URL`, or `spin up` on spin.toml
/// with [`APP_VARIABLES`]. It is never dropped: its processes end with the
/// test binary (see [`spin`]).
pub fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| match external_base_url() {
        Some(base_url) => App { base_url, _spin: None },
        None => {
            let spin = SpinApp::start(app_config());
            App {
                base_url: spin.base_url.clone(),
                _spin: Some(spin),
            }
        }
    })
}

/// spin.toml with the variables the shared app runs with.
pub fn app_config() -> SpinConfig {
    APP_VARIABLES
        .iter()
        .fold(SpinConfig::new(repo_root().join("spin.toml")), |c, (k, v)| {
            c.variable(k, v)
        })
}

/// Variables the shared app runs with. Start an app for `E2E_BASE_URL` with
/// them too, e.g. `SPIN_VARIABLE_ADMIN_TOKEN=e2e-admin-token
/// SPIN_VARIABLE_INTAKE_RATE_LIMIT_PER_MINUTE=100000
/// SPIN_VARIABLE_SURVEY_TOKEN_SECRET=e2e-survey-secret
/// SPIN_VARIABLE_EXPORT_TOKEN_GOOGLE=e2e-google-token (and so on for meta,
/// tiktok, linkedin, csv) spin up`.
pub const APP_VARIABLES: [(&str, &str); 12] = [
    ("admin_token", ADMIN_TOKEN),
    // Most tests are about what happens once a person consented: a new
    // person's own form counts (single opt-in). tests/consent.rs runs
    // double opt-in, the default, with its links.
    ("consent_confirmation", "off"),
    ("consent_link_secret", CONSENT_SECRET),
    ("dashboard_session_secret", DASHBOARD_SECRET),
    ("intake_rate_limit_per_minute", "100000"),
    // Tests send one person's submissions in bursts; the cap has its own tests.
    ("max_submissions_per_person_per_hour", "0"),
    ("survey_token_secret", SURVEY_SECRET),
    ("export_token_google", "e2e-google-token"),
    ("export_token_meta", "e2e-meta-token"),
    ("export_token_tiktok", "e2e-tiktok-token"),
    ("export_token_linkedin", "e2e-linkedin-token"),
    ("export_token_csv", "e2e-csv-token"),
];

/// The pull credential the shared app gives a platform (`export_token_<name>`).
pub fn export_token(platform: &str) -> String {
    format!("e2e-{platform}-token")
}

pub const SURVEY_SECRET: &str = "e2e-survey-secret";
/// Signs the consent links of the shared app (`consent_link_secret`).
pub const CONSENT_SECRET: &str = "e2e-consent-secret";

/// The dashboard's session secret in the shared app (32 bytes or more).
pub const DASHBOARD_SECRET: &str = "e2e-dashboard-session-secret-0123456789";

pub fn external_base_url() -> Option<String> {
    std::env::var("E2E_BASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/').to_string())
}

/// For tests that need an app of their own under `spin up`: `None` (and a
/// note) under E2E_BASE_URL.
pub fn own_spin(config: SpinConfig) -> Option<SpinApp> {
    if external_base_url().is_some() {
        eprintln!("skipped: needs an app of its own, and E2E_BASE_URL names a running app");
        return None;
    }
    Some(SpinApp::start(config))
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts an RFC 9457 problem+json answer with this status.
    pub fn assert_problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert!(problem["title"].is_string() && problem["type"].is_string(), "{problem}");
        problem
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .into()
    })
}

/// Sends a request to `base_url + path`.
pub fn request(method: &str, base_url: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let url = format!("{base_url}{path}");
    let mut builder = ureq::http::Request::builder().method(method).uri(&url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let req = builder.body(body.to_vec()).expect("valid request");
    let mut resp = agent().run(req).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = resp.body_mut().read_to_vec().expect("readable body");
    Reply { status, headers, body }
}

/// A `GET` whose body is counted as it arrives, never held (large exports):
/// the status, the bytes and the lines received.
pub fn download(base_url: &str, path: &str, headers: &[(&str, &str)]) -> (u16, u64, u64) {
    use std::io::Read;
    let url = format!("{base_url}{path}");
    let mut builder = ureq::http::Request::builder().method("GET").uri(&url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let req = builder.body(Vec::new()).expect("valid request");
    let mut resp = agent().run(req).unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let (mut bytes, mut lines, mut buf) = (0u64, 0u64, vec![0u8; 64 * 1024]);
    loop {
        let n = reader.read(&mut buf).unwrap_or_else(|e| panic!("GET {url}: body: {e}"));
        if n == 0 {
            return (status, bytes, lines);
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
}

pub fn get(base_url: &str, path: &str) -> Reply {
    request("GET", base_url, path, &[], b"")
}

pub fn post_json(base_url: &str, path: &str, body: &Value) -> Reply {
    request(
        "POST",
        base_url,
        path,
        &[("content-type", "application/json"), ("accept", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// A plain HTML form post, with the headers a browser sends when it navigates.
pub fn post_form(base_url: &str, path: &str, body: &str) -> Reply {
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
        ("sec-fetch-mode", "navigate"),
    ];
    request("POST", base_url, path, &headers, body.as_bytes())
}

pub const ADMIN_TOKEN: &str = "e2e-admin-token";

/// Submits a lead as JSON (201 expected); returns its id.
/// `POST /intake/leads` as a trusted integration does, with the admin
/// token: the answer names the lead and the submission (a stranger's
/// names neither).
pub fn post_lead(base_url: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    request(
        "POST",
        base_url,
        "/intake/leads",
        &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("authorization", &auth),
        ],
        body.to_string().as_bytes(),
    )
}

pub fn submit_lead(base_url: &str, body: &Value) -> String {
    let reply = post_lead(base_url, body);
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["id"].as_str().expect("lead id").to_string()
}

pub fn admin(method: &str, base_url: &str, path: &str) -> Reply {
    request(
        method,
        base_url,
        path,
        &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        b"",
    )
}

/// An admin request with a JSON body at the test's clock (`x-test-clock`,
/// honoured when the app's `test_clock` variable is `enabled`).
pub fn admin_at(method: &str, base_url: &str, path: &str, clock: &str, body: &Value) -> Reply {
    admin_with(
        method,
        base_url,
        path,
        &[("accept", "application/json"), ("x-test-clock", clock)],
        body,
    )
}

/// An admin request with a JSON body.
pub fn admin_json(method: &str, base_url: &str, path: &str, body: &Value) -> Reply {
    admin_with(method, base_url, path, &[], body)
}

/// An admin request with a JSON body and `headers` besides.
fn admin_with(method: &str, base_url: &str, path: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    let token = format!("Bearer {ADMIN_TOKEN}");
    let mut all = vec![("authorization", token.as_str()), ("content-type", "application/json")];
    all.extend_from_slice(headers);
    request(method, base_url, path, &all, body.to_string().as_bytes())
}

/// The whole app under `spin up` of its own (for tests that change app-wide
/// settings such as scoring rules). `None` under E2E_BASE_URL.
pub fn own_app() -> Option<SpinApp> {
    own_spin(app_config())
}

/// The variables of an app whose instant-ack sends through `provider`
/// (SendGrid's format unless `extra` says otherwise), with a rate limit high
/// enough for bursts of test submissions; `extra` wins.
fn provider_variables<'a>(
    provider: &'a mock_provider::MockProvider,
    extra: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let settings = [
        ("admin_token", ADMIN_TOKEN),
        ("intake_rate_limit_per_minute", "100000"),
        ("ack_provider", "sendgrid"),
        ("ack_provider_url", provider.url.as_str()),
        ("ack_api_key", "SG.test-key"),
        ("ack_from", "Acme <hello@acme.test>"),
        ("business_name", "Acme"),
    ];
    settings.into_iter().chain(extra.iter().copied())
}

/// The whole app under `spin up` of its own, with instant-ack sending through
/// `provider` (see `provider_variables`). `None` under E2E_BASE_URL.
pub fn app_with_provider(provider: &mock_provider::MockProvider, extra: &[(&str, &str)]) -> Option<SpinApp> {
    own_spin(provider_config(provider, extra))
}

/// spin.toml with instant-ack sending through `provider` (see [`provider_variables`]).
fn provider_config(provider: &mock_provider::MockProvider, extra: &[(&str, &str)]) -> SpinConfig {
    provider_variables(provider, extra).fold(SpinConfig::new(repo_root().join("spin.toml")), |c, (k, v)| {
        c.variable(k, v)
    })
}

/// The whole app under `spin up` of its own, for the benchmark programs
/// (which measure the runtime too, so never an app of E2E_BASE_URL).
pub fn bench_app() -> SpinApp {
    SpinApp::start(app_config())
}

/// [`app_with_provider`] for the benchmark programs: always `spin up`.
pub fn bench_app_with_provider(provider: &mock_provider::MockProvider, extra: &[(&str, &str)]) -> SpinApp {
    SpinApp::start(provider_config(provider, extra))
}
