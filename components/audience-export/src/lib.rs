//! The audience-export Spin component: routes owned by [`spin_retention_shared::jobs::audience_export`].

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    spin_retention_adapter::serve(&spin_retention_shared::jobs::audience_export::JOB, req, out)
}
