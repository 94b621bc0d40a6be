//! audience-export: serves consented, hashed remarketing audiences to ad platforms.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.

use crate::definition::Audiences;
use crate::{admin, facts};
use spin_retention_core::admin_doc;
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{Job, Outcome};
use spin_retention_core::ports::Ctx;
use spin_retention_core::routes::{Caller, Method, Params, Route};

pub const JOB: Job = Job {
    name: "audience-export",
    prefix: "/audiences",
    handoffs: &[],
    streamed: &[],
    routes: &[
        Route {
            // lead-intake's erase, handed to every job that keeps something
            // of the person (core::jobs::ERASE).
            method: Method::DELETE,
            path: "/audiences/admin/people/{lead}",
            caller: Caller::Component,
            handler: erase_person,
        },
        Route {
            method: Method::GET,
            path: "/audiences/{id}/export",
            caller: Caller::Checked {
                who: "a platform's export token (bearer or Basic), or the admin token",
                check: |req, ctx| crate::pullers::identify(req, ctx.config).map(drop),
            },
            handler: |req, ctx, p| admin::export(req, ctx, p.get("id")),
        },
        Route {
            method: Method::GET,
            path: "/audiences/{id}/size",
            caller: Caller::Admin,
            handler: |req, ctx, p| Ok(admin::size(req, ctx, p.get("id")).into()),
        },
        Route {
            method: Method::GET,
            path: "/audiences/admin/definitions",
            caller: Caller::Admin,
            handler: definitions,
        },
        Route {
            method: Method::PUT,
            path: "/audiences/admin/definitions",
            caller: Caller::Admin,
            handler: definitions,
        },
        Route {
            method: Method::DELETE,
            path: "/audiences/admin/definitions",
            caller: Caller::Admin,
            handler: definitions,
        },
        Route {
            method: Method::POST,
            path: "/audiences/admin/refresh",
            caller: Caller::Admin,
            handler: |req, ctx, _| admin::refresh(req, ctx).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/audiences/admin/log",
            caller: Caller::Admin,
            handler: |req, ctx, _| admin::export_log(req, ctx).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/audiences/admin/members/{id}",
            caller: Caller::Admin,
            handler: |_, ctx, p| admin::memberships(ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/audiences/leads/{id}",
            caller: Caller::Component,
            handler: |_, ctx, p| Ok(admin::update_lead(ctx, p.get("id")).into()),
        },
    ],
};

/// `DELETE /audiences/admin/people/{lead}`: this job's part of an erase.
fn erase_person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    spin_retention_core::jobs::forget_person(req, ctx, p.get("lead"), |store, lead, _| crate::forget(store, lead))
}

/// `GET`, `PUT` and `DELETE /audiences/admin/definitions`: the audience
/// definitions, an admin document whose conditions test the facts'
/// catalogue.
fn definitions(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    Ok(admin_doc::handle::<Audiences>(req, ctx, &facts::catalogue()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::jobs::testing::answers_health_and_not_found;

    #[test]
    fn answers_health_and_404_elsewhere() {
        answers_health_and_not_found(&JOB);
    }
}
