//! Static assets, embedded at build time: nothing is fetched from a CDN.
//! The stylesheet's path carries a hash of its content, so it is cached
//! for a year and a new build is never served an old one.

use spin_retention_core::http::Reply;

pub const STYLESHEET: &str = include_str!("../assets/dashboard.css");

/// `/dashboard/assets/dashboard-<hash>.css`; [`crate::job`] checks the hash.
pub const STYLESHEET_PATH: &str = concat!("/dashboard/assets/dashboard-", env!("DASHBOARD_CSS_HASH"), ".css");

pub fn stylesheet() -> Reply {
    Reply {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/css; charset=utf-8".into()),
            ("cache-control".into(), "public, max-age=31536000, immutable".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: STYLESHEET.as_bytes().to_vec(),
    }
}
