//! Small helpers for the benchmark programs in `src/bin/`.

use std::time::{Duration, Instant};

/// Mean, p50 and p95 of samples in ms.
pub fn percentiles(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    (samples.iter().sum::<f64>() / samples.len() as f64, at(0.5), at(0.95))
}

/// How long `f` takes, in ms.
pub fn time_ms(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1000.0
}

/// A process's peak resident memory since it started or since the last
/// [`reset_peak_rss`] (`VmHWM` in `/proc/<pid>/status`), in KiB.
pub fn peak_rss_kib(pid: i32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status"))
}

/// Resets a process's peak resident memory to what it holds now (writes 5
/// to `/proc/<pid>/clear_refs`; Linux 4.0+, our own processes). False if
/// refused: the peak then counts from the process's start.
pub fn reset_peak_rss(pid: i32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Runs `job(0..n)` on `clients` threads, each taking the next index;
/// returns the jobs' results, in the order they finished, and the wall time.
pub fn concurrently<T: Send>(clients: usize, n: usize, job: impl Fn(usize) -> T + Sync) -> (Vec<T>, Duration) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(n));
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..clients.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let result = job(i);
                results.lock().unwrap_or_else(|e| e.into_inner()).push(result);
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    (results, start.elapsed())
}
