//! survey: collects NPS, CSAT and CES answers.

use super::Job;

pub const JOB: Job = Job {
    name: "survey",
    prefix: "/survey",
    handoffs: &[],
    routes: super::no_routes,
};
