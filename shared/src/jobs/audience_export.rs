//! audience-export: serves consented, hashed remarketing audiences to ad platforms.

use super::Job;

pub const JOB: Job = Job {
    name: "audience-export",
    prefix: "/audiences",
    handoffs: &[],
    routes: super::no_routes,
};
