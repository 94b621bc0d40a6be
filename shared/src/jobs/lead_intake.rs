//! lead-intake: takes web form submissions and hands them on.

use super::{Handoff, Job};

pub const JOB: Job = Job {
    name: "lead-intake",
    prefix: "/intake",
    handoffs: &[
        Handoff {
            component: "instant-ack",
            url_variable: "ack_url",
            default_url: "http://instant-ack.spin.internal",
            health_path: "/ack/health",
        },
        Handoff {
            component: "lead-scoring",
            url_variable: "scoring_url",
            default_url: "http://lead-scoring.spin.internal",
            health_path: "/scoring/health",
        },
    ],
};
