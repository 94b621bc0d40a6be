//! The lead-intake Spin component: routes owned by [`spin_retention_shared::jobs::lead_intake`].

use spin_sdk::http::{Request, Response};

#[spin_sdk::http_component]
fn handle(req: Request) -> Response {
    spin_retention_adapter::serve(&spin_retention_shared::jobs::lead_intake::JOB, req)
}
