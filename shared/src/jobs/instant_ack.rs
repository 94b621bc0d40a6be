//! instant-ack: sends the instant acknowledgement of a new lead.

use super::Job;

pub const JOB: Job = Job {
    name: "instant-ack",
    prefix: "/ack",
    handoffs: &[],
};
