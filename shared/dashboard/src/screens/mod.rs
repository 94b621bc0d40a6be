//! One module per page. Each reads what it shows from the jobs' admin APIs
//! ([`crate::api`]) and builds escaped HTML in its [`Frame`].

pub mod audiences;
pub mod hot;
pub mod journeys;
pub mod person;
pub mod retention;
pub mod rules;
pub mod signin;
pub mod surveys;

use crate::api::Failure;
use crate::page::{esc, Frame};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ports::Ctx;

/// What a page of a signed-in user is made with.
pub struct Screen<'a, 'c> {
    pub ctx: &'a Ctx<'c>,
    pub req: &'a Request,
    pub frame: Frame,
}

impl Screen<'_, '_> {
    pub fn t(&self, key: &str) -> &'static str {
        self.frame.t(key)
    }

    /// A query parameter, if present and not empty.
    pub fn param(&self, name: &str) -> Option<String> {
        self.req.query_param(name).filter(|v| !v.is_empty())
    }

    /// The page that says a job failed to answer (its status when it is a
    /// client error the user can fix, else 502).
    pub fn failed(&self, failure: &Failure) -> Reply {
        // What the user can act on keeps its status (a person erased
        // meanwhile is a 404, a bad parameter a 400); a job refusing the
        // dashboard's own token is the app's fault, not the user's: 502.
        let status = match failure.status {
            400 | 404 | 409 | 413 | 422 => failure.status,
            _ => 502,
        };
        let title = if failure.is_not_found() {
            self.t("not.found")
        } else {
            self.t("error")
        };
        let mut reply = self.frame.page(
            "",
            title,
            &format!(
                "<p class=\"problem\">{} {}</p>",
                self.t("unreachable"),
                esc(&failure.message)
            ),
        );
        reply.status = status;
        reply
    }
}

/// `Result<Reply, Failure>` pages answer a failure with [`Screen::failed`].
pub type Shown = Result<Reply, Failure>;
