//! lead-scoring: scores leads and routes the hot ones to a person.

use super::Job;

pub const JOB: Job = Job {
    name: "lead-scoring",
    prefix: "/scoring",
    handoffs: &[],
    routes: super::no_routes,
};
