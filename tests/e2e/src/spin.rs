//! The real runtime for the end-to-end tests: `spin up` (tested: Spin 3.6.3 and 4.0.2) on a
//! manifest, on a free loopback port, with a fresh state directory, over
//! Spin's default SQLite store or a Redis server of its own (`E2E_STORE`).
//!
//! Every process the harness starts (spin, whose trigger runs in a child
//! process, and redis-server) runs in a process group of its own under a
//! small `sh` watchdog whose stdin is a pipe from the test process. Dropping
//! the handle stops the group (SIGTERM, then SIGKILL); if the test process
//! ends without dropping it (the shared app lives in a static, and statics
//! are never dropped; or the test process is killed), the pipe closes, the
//! watchdog reads end-of-file and kills its whole group. Nothing outlives
//! the test binary.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long `spin up` may take to answer its first request. A cold start
/// compiles every component (seconds); later starts load wasmtime's cache.
const SPIN_START_TIMEOUT: Duration = Duration::from_secs(180);
const REDIS_START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long spin may keep answering the probe with an error once it serves
/// (a broken app, not a slow start).
const SPIN_ERROR_GRACE: Duration = Duration::from_secs(10);
/// How long a stopped process group gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Runs `"$@"` in the background and waits for it; meanwhile a watchdog
/// reads the shell's stdin (a pipe whose only writer is the test process)
/// and kills the whole process group when it closes. A SIGTERM to the group
/// lets the shell wait for the program (so it is reaped, not left a zombie
/// for init). Exits with the program's status.
const WATCHDOG: &str = r#"exec 3<&0 </dev/null
"$@" 3<&- &
prog=$!
( read -r _ <&3 || :; kill -9 0 ) &
watch=$!
exec 3<&-
trap 'kill -TERM "$prog" 2>/dev/null' TERM
wait "$prog"
status=$?
while kill -0 "$prog" 2>/dev/null; do
    wait "$prog"
    status=$?
done
kill -9 "$watch" 2>/dev/null
wait "$watch" 2>/dev/null
exit "$status"
"#;

/// A program running under the watchdog, in its own process group.
struct Supervised {
    what: String,
    child: Child,
    /// Held open for the watchdog; closing it kills the group.
    stdin: Option<ChildStdin>,
    pgid: i32,
    /// Set once stopped and reaped: the group id may then be reused.
    status: Option<ExitStatus>,
}

impl Supervised {
    fn spawn(what: &str, program: &Path, args: &[OsString], cwd: &Path, log: &Path) -> Supervised {
        // Errors, not pages of frames without symbols (spin is stripped).
        let log_file = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap_or_else(|e| panic!("{what}: cannot open log {}: {e}", log.display()))
        };
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("e2e-watchdog")
            .arg(program)
            .args(args)
            .current_dir(cwd)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(log_file())
            .stderr(log_file())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: cannot start {}: {e}", program.display()));
        let pgid = child.id() as i32;
        let stdin = child.stdin.take();
        Supervised {
            what: what.to_string(),
            child,
            stdin,
            pgid,
            status: None,
        }
    }

    /// Whether the program has ended by itself. The watchdog shell (the group
    /// leader) is left unreaped, a zombie, so the group id cannot be reused
    /// before [`Self::stop`] has signalled what is left of the group.
    fn exited(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pgid))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(')')
                    .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(true)
    }

    /// Stops every process of the group (SIGTERM, then SIGKILL after a grace
    /// period) and reaps the watchdog; returns how the watchdog ended, which
    /// is the program's own status when it ended by itself.
    fn stop(&mut self) -> ExitStatus {
        self.end(libc::SIGTERM)
    }

    /// Kills every process of the group at once (SIGKILL), as a crash would.
    fn kill(&mut self) -> ExitStatus {
        self.end(libc::SIGKILL)
    }

    fn end(&mut self, signal: i32) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        signal_group(self.pgid, signal);
        let deadline = Instant::now() + STOP_GRACE;
        while group_alive(self.pgid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if group_alive(self.pgid) {
            eprintln!(
                "{}: still running {STOP_GRACE:?} after signal {signal}; SIGKILL",
                self.what
            );
            signal_group(self.pgid, libc::SIGKILL);
        }
        self.stdin.take();
        let status = self.child.wait().expect("watchdog reaped");
        self.status = Some(status);
        status
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: killpg has no memory-safety preconditions; an already empty
    // group answers ESRCH, which is what we want.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Whether a process of this group is still running (zombies excepted:
/// spin's trigger is reaped by init once spin itself is gone, not by us).
fn group_alive(pgid: i32) -> bool {
    !group_members(pgid).is_empty()
}

/// The running (not zombie) processes of this group.
fn group_members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
            let (_, rest) = stat.rsplit_once(')')?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            (fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()).then_some(pid)
        })
        .collect()
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// The last lines of a log, for a panic message.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn port_taken(log: &str) -> bool {
    log.contains("Address already in use") || log.contains("os error 98")
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The spin CLI the tests run: `SPIN_BIN` (a relative path from the repository root), else
/// `spin` on PATH, else the repository's neighbour `../shared/spin/bin/spin`. Panics if there
/// is none: the suite never silently falls back to another host.
pub fn spin_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("SPIN_BIN").filter(|s| !s.is_empty()) {
            let bin = spin_bin_from_env(&bin, &crate::repo_root());
            assert!(bin.is_file(), "SPIN_BIN={} is not a file", bin.display());
            return bin;
        }
        if let Some(bin) = on_path("spin") {
            return bin;
        }
        let beside = crate::repo_root().join("../shared/spin/bin/spin");
        assert!(
            beside.is_file(),
            "no spin CLI: set SPIN_BIN=/path/to/spin, put `spin` (tested: 3.6.3 and 4.0.2) on PATH, \
             or provide {} (or set E2E_BASE_URL to test an app already running)",
            beside.display()
        );
        beside
    })
}

/// The path `SPIN_BIN` names: a relative one is taken from the repository root, where the
/// README's commands run (cargo runs a test binary in `tests/e2e`).
fn spin_bin_from_env(value: &std::ffi::OsStr, root: &Path) -> PathBuf {
    let bin = PathBuf::from(value);
    if bin.is_absolute() {
        bin
    } else {
        root.join(bin)
    }
}

/// The key-value backend the harness gives each app it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Spin's default store: SQLite in the app's `--state-dir`.
    Sqlite,
    /// The same file, put in WAL mode before spin first opens it (journal
    /// mode is kept in the file; Spin sets no PRAGMA of its own).
    SqliteWal,
    /// A redis-server of the app's own, through `--runtime-config-file`.
    Redis,
}

/// `E2E_STORE=sqlite` (the default) or `E2E_STORE=redis`.
pub fn store_kind() -> StoreKind {
    match std::env::var("E2E_STORE").unwrap_or_default().as_str() {
        "" | "sqlite" => StoreKind::Sqlite,
        "sqlite-wal" => StoreKind::SqliteWal,
        "redis" => StoreKind::Redis,
        other => panic!("E2E_STORE={other:?}: expected sqlite, sqlite-wal or redis"),
    }
}

/// Creates the SQLite file Spin's default store opens, in WAL mode, with
/// the script `scripts/run.sh` uses.
pub fn prepare_wal(db: &Path) {
    let status = Command::new("bash")
        .arg(crate::repo_root().join("scripts/sqlite-wal.sh"))
        .arg(db)
        .status()
        .expect("bash, to run scripts/sqlite-wal.sh");
    assert!(status.success(), "preparing {} in WAL mode", db.display());
}

fn redis_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("REDIS_SERVER_BIN").filter(|s| !s.is_empty()) {
        let bin = PathBuf::from(bin);
        assert!(bin.is_file(), "REDIS_SERVER_BIN={} is not a file", bin.display());
        return bin;
    }
    on_path("redis-server")
        .or_else(|| Some(PathBuf::from("/usr/bin/redis-server")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "E2E_STORE=redis needs redis-server: run scripts/setup.sh \
                 (apt-get install redis-server) or set REDIS_SERVER_BIN"
            )
        })
}

/// A redis-server of one app's own on a free loopback port, nothing persisted.
pub struct RedisServer {
    pub url: String,
    _process: Supervised,
}

impl RedisServer {
    pub fn start(dir: &Path) -> RedisServer {
        let bin = redis_bin();
        let data = dir.join("redis");
        std::fs::create_dir_all(&data).expect("redis dir");
        let log = dir.join("redis.log");
        for _attempt in 0..5 {
            let port = free_port();
            let args: Vec<OsString> = vec![
                "--port".into(),
                port.to_string().into(),
                "--bind".into(),
                "127.0.0.1".into(),
                "--save".into(),
                "".into(),
                "--appendonly".into(),
                "no".into(),
                "--dir".into(),
                data.clone().into(),
            ];
            let mut process = Supervised::spawn("redis-server", &bin, &args, dir, &log);
            let deadline = Instant::now() + REDIS_START_TIMEOUT;
            loop {
                if redis_ping(port) {
                    return RedisServer {
                        url: format!("redis://127.0.0.1:{port}"),
                        _process: process,
                    };
                }
                if process.exited() {
                    let status = process.stop();
                    let text = read_log(&log);
                    if port_taken(&text) {
                        break; // another process took the port meanwhile: next one
                    }
                    panic!(
                        "redis-server exited ({status}); {}:\n{}",
                        log.display(),
                        tail(&text, 40)
                    );
                }
                assert!(
                    Instant::now() < deadline,
                    "redis-server did not answer PING within {REDIS_START_TIMEOUT:?}; {}:\n{}",
                    log.display(),
                    tail(&read_log(&log), 40)
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("redis-server: no free port after 5 attempts; {}", log.display());
    }
}

fn redis_ping(port: u16) -> bool {
    let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let mut answer = [0u8; 7];
    conn.write_all(b"PING\r\n").is_ok() && conn.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}

/// What to run under `spin up`.
#[derive(Debug, Clone)]
pub struct SpinConfig {
    /// The manifest, for `spin up --from`.
    pub manifest: PathBuf,
    /// Application variables, passed as `--variable name=value`.
    pub variables: BTreeMap<String, String>,
    /// A path that answers 2xx once the app serves (a health route).
    pub probe: String,
    /// Lines added to the runtime config (`[outbound_networking]` ...);
    /// with any, the app gets a runtime config on SQLite too.
    pub runtime_config: Vec<String>,
}

impl SpinConfig {
    pub fn new(manifest: impl Into<PathBuf>) -> SpinConfig {
        SpinConfig {
            manifest: manifest.into(),
            variables: BTreeMap::new(),
            probe: "/survey/health".to_string(),
            runtime_config: Vec::new(),
        }
    }

    /// Adds `lines` (TOML) to the app's runtime config.
    pub fn runtime_config(mut self, lines: &str) -> SpinConfig {
        self.runtime_config.push(lines.to_string());
        self
    }

    pub fn variable(mut self, name: &str, value: &str) -> SpinConfig {
        self.variables.insert(name.to_string(), value.to_string());
        self
    }

    pub fn probe(mut self, path: &str) -> SpinConfig {
        self.probe = path.to_string();
        self
    }
}

/// An app served by the real `spin up`, stopped (with its Redis server) on drop.
pub struct SpinApp {
    pub base_url: String,
    /// This app's scratch folder: `state/` (spin's --state-dir, with the
    /// SQLite store and component logs), `spin.log`, and for Redis
    /// `runtime-config.toml`, `redis/` and `redis.log`.
    pub dir: PathBuf,
    /// How long the last `spin up` took to answer its first request.
    pub startup: Duration,
    config: SpinConfig,
    spin: Option<Supervised>,
    redis: Option<RedisServer>,
}

impl SpinApp {
    /// Starts `spin up` on `config`; panics with spin's log if it does not serve.
    pub fn start(config: SpinConfig) -> SpinApp {
        SpinApp::try_start(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts `spin up` on `config`, or says why it did not serve (with its log).
    pub fn try_start(config: SpinConfig) -> Result<SpinApp, String> {
        let name = config
            .manifest
            .file_stem()
            .map(|s| s.to_string_lossy().replace(".spin", ""))
            .filter(|s| s != "spin")
            .unwrap_or_else(|| "app".into());
        let dir = crate::scratch_dir(&format!("spin-{name}"));
        let mut runtime_config = String::from("# Written by the e2e harness, like deploy/runtime-config.*.toml.\n");
        let redis = match store_kind() {
            StoreKind::Sqlite => None,
            StoreKind::SqliteWal => {
                prepare_wal(&dir.join("state").join("sqlite_key_value.db"));
                None
            }
            StoreKind::Redis => {
                let redis = RedisServer::start(&dir);
                runtime_config.push_str(&format!(
                    "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                    redis.url
                ));
                Some(redis)
            }
        };
        for lines in &config.runtime_config {
            runtime_config.push_str(lines.trim_end());
            runtime_config.push('\n');
        }
        if redis.is_some() || !config.runtime_config.is_empty() {
            std::fs::write(dir.join("runtime-config.toml"), runtime_config).expect("runtime config");
        }
        let mut app = SpinApp {
            base_url: String::new(),
            dir,
            startup: Duration::ZERO,
            config,
            spin: None,
            redis,
        };
        app.serve()?;
        Ok(app)
    }

    /// spin's own output (both streams), across restarts.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("spin.log")
    }

    /// Stops spin and starts it again on the same state directory and store
    /// (a new port).
    pub fn restart(&mut self) {
        self.stop_spin();
        if let Err(e) = self.serve() {
            panic!("{e}");
        }
    }

    /// [`Self::restart`] with the variable `name` set to `value` (a
    /// deployment whose configuration changed, on the same store).
    pub fn restart_with(&mut self, name: &str, value: &str) {
        self.config.variables.insert(name.to_string(), value.to_string());
        self.restart();
    }

    /// Kills spin (`kill -9` of its whole process group, no shutdown), as
    /// a crash would; the store stays. [`Self::restart`] starts it again.
    pub fn kill(&mut self) {
        if let Some(mut spin) = self.spin.take() {
            spin.kill();
        }
    }

    /// The process that serves the app: `spin up` (Spin 3.6.3 and 4.0.2) runs its HTTP
    /// trigger as a child, `spin trigger http ...`, in spin's process group.
    /// `None` when spin is not running.
    pub fn trigger_pid(&self) -> Option<i32> {
        let spin = self.spin.as_ref()?;
        group_members(spin.pgid).into_iter().find(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let mut args = cmdline.split(|b| *b == 0);
            let program = args.next().unwrap_or_default();
            program.ends_with(b"spin") && args.next() == Some(b"trigger".as_slice())
        })
    }

    fn stop_spin(&mut self) {
        if let Some(mut spin) = self.spin.take() {
            spin.stop();
        }
    }

    fn spin_args(&self, port: u16) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "up".into(),
            "--from".into(),
            self.config.manifest.clone().into(),
            "--listen".into(),
            format!("127.0.0.1:{port}").into(),
            "--state-dir".into(),
            self.dir.join("state").into(),
        ];
        if self.redis.is_some() || !self.config.runtime_config.is_empty() {
            args.push("--runtime-config-file".into());
            args.push(self.dir.join("runtime-config.toml").into());
        }
        for (name, value) in &self.config.variables {
            args.push("--variable".into());
            args.push(format!("{name}={value}").into());
        }
        args
    }

    /// Runs `spin up` until the probe answers 2xx; retries on a port taken meanwhile.
    fn serve(&mut self) -> Result<(), String> {
        let log = self.log_path();
        let probe_agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        for _attempt in 0..5 {
            let port = free_port();
            let args = self.spin_args(port);
            let mut marker = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .map_err(|e| format!("{}: {e}", log.display()))?;
            let _ = writeln!(
                marker,
                "=== e2e harness: {} {}",
                spin_bin().display(),
                args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
            );
            let log_start = std::fs::metadata(&log).map(|m| m.len() as usize).unwrap_or(0);
            let started = Instant::now();
            let mut spin = Supervised::spawn("spin up", spin_bin(), &args, &crate::repo_root(), &log);
            let base_url = format!("http://127.0.0.1:{port}");
            let url = format!("{base_url}{}", self.config.probe);
            let mut last;
            let mut first_error: Option<Instant> = None;
            loop {
                match probe_agent.get(&url).call() {
                    Ok(reply) if reply.status().is_success() => {
                        self.startup = started.elapsed();
                        self.base_url = base_url;
                        self.spin = Some(spin);
                        record_startup(&self.config.manifest, self.startup);
                        return Ok(());
                    }
                    Ok(mut reply) => {
                        let body = reply.body_mut().read_to_string().unwrap_or_default();
                        last = format!("HTTP {}: {body}", reply.status());
                        let since = *first_error.get_or_insert_with(Instant::now);
                        if since.elapsed() > SPIN_ERROR_GRACE {
                            drop(spin);
                            return Err(format!(
                                "spin up serves {} but {url} kept answering an error for {SPIN_ERROR_GRACE:?} \
                                 (last: {last}); {}:\n{}",
                                self.config.manifest.display(),
                                log.display(),
                                tail(&read_log(&log), 60)
                            ));
                        }
                    }
                    Err(e) => last = e.to_string(),
                }
                if spin.exited() {
                    let status = spin.stop();
                    let text = read_log(&log);
                    let this_run = text.get(log_start..).unwrap_or(&text);
                    if port_taken(this_run) {
                        break; // the port was taken between our check and spin's bind
                    }
                    return Err(format!(
                        "spin up exited ({status}) before serving {}; {}:\n{}",
                        self.config.manifest.display(),
                        log.display(),
                        tail(this_run, 60)
                    ));
                }
                if started.elapsed() > SPIN_START_TIMEOUT {
                    drop(spin);
                    return Err(format!(
                        "spin up did not answer 2xx at {url} within {SPIN_START_TIMEOUT:?} (last: {last}); {}:\n{}",
                        log.display(),
                        tail(&read_log(&log), 60)
                    ));
                }
                // Poll fast while spin starts, slowly once it answers errors.
                std::thread::sleep(Duration::from_millis(if first_error.is_some() { 500 } else { 25 }));
            }
        }
        Err(format!("spin up: no free port after 5 attempts; {}", log.display()))
    }
}

impl Drop for SpinApp {
    fn drop(&mut self) {
        self.stop_spin();
        self.redis.take();
        if std::thread::panicking() {
            eprintln!("spin log kept: {}", self.log_path().display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Appends each start-up time to `target/e2e-scratch/spin-startups.log`
/// (`scripts/test.sh` sums it up per pass).
fn record_startup(manifest: &Path, took: Duration) {
    let path = crate::repo_root().join("target/e2e-scratch/spin-startups.log");
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(
            file,
            "{:?} {} {}",
            store_kind(),
            took.as_millis(),
            manifest.file_name().unwrap_or_default().to_string_lossy()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's and `scripts/test.sh`'s commands run from the repository root with a
    /// relative `SPIN_BIN` (`../shared/spin-3.6.3/bin/spin`), while cargo runs a test binary
    /// in its package's folder (`tests/e2e`).
    #[test]
    fn a_relative_spin_bin_is_taken_from_the_repository_root() {
        let root = crate::repo_root();
        let dir = root.join("target/e2e-scratch");
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!("fake-spin-{}", std::process::id());
        std::fs::write(dir.join(&name), b"").unwrap();
        let relative = format!("target/e2e-scratch/{name}");
        let bin = spin_bin_from_env(std::ffi::OsStr::new(&relative), &root);
        let found = bin.is_file();
        std::fs::remove_file(dir.join(&name)).unwrap();
        assert!(found, "{} is not the file at the root", bin.display());
        assert_eq!(bin, root.join(&relative));
        let absolute = root.join(&relative);
        assert_eq!(spin_bin_from_env(absolute.as_os_str(), &root), absolute);
    }
}
