//! The dashboard Spin component: routes owned by [`spin_retention_dashboard::job`].

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    spin_retention_adapter::serve(&spin_retention_dashboard::job::JOB, req, out)
}
