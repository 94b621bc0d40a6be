//! Puts a hash of the stylesheet into its URL (assets.rs), so browsers may
//! cache it for good.

fn main() {
    let css = std::fs::read("assets/dashboard.css").expect("assets/dashboard.css");
    // FNV-1a: a cache key, not a security property.
    let hash = css.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    });
    println!("cargo:rustc-env=DASHBOARD_CSS_HASH={:012x}", hash & 0xffff_ffff_ffff);
    println!("cargo:rerun-if-changed=assets/dashboard.css");
}
