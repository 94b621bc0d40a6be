//! Small helpers for the benchmark programs in `src/bin/`.

use std::time::Instant;

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
