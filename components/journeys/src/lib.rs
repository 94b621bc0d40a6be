//! The journeys Spin component: routes owned by [`spin_retention_journeys::job`].

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    spin_retention_adapter::serve(&spin_retention_journeys::job::JOB, req, out)
}
