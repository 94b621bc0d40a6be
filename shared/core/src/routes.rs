//! A job's routes as one table: method, path pattern, who may call, and the
//! handler. Matching is `matchit`'s (the router axum uses); a path that no
//! route has is a 404, and a path whose routes take other methods a 405
//! with `Allow`, both from the table.
//!
//! Path patterns are whole paths, prefix included (`/audiences/{id}/export`),
//! so the table reads like the route tables of `docs/<job>.md`. A static
//! segment wins over a parameter (`/audiences/admin/log` over
//! `/audiences/{id}/...`), so ids must not be one of a job's [`reserved`]
//! words.

use crate::http::{method_not_allowed, Reply, Request};
use crate::jobs::Outcome;
use crate::ports::Ctx;
use crate::problem::Problem;
pub use http::Method;

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    /// Anyone: web forms, browsers, people following a link.
    Anyone,
    /// The admin token, as a bearer token.
    Admin,
    /// Another component handing work on, or a scheduler: the admin token,
    /// as for [`Caller::Admin`], and closed (403, saying to set
    /// `admin_token`) when none is set. It stays a kind of its own because
    /// the docs name these routes' callers apart.
    Component,
    /// A credential of the job's own (a session, a webhook's signature, a
    /// token of its own), which `check` verifies before the handler runs:
    /// no handler of such a route is reached without it, whoever writes
    /// the handler. `who` says whose, as `docs/<job>.md` does.
    Checked { who: &'static str, check: Check },
    /// The request's subject is its credential (a signed link, whose claims
    /// are what the handler acts on; a sign-in form's token), so the
    /// handler reads and checks it, and words its own refusal (a page).
    Presents(&'static str),
}

/// A [`Caller::Checked`] route's check: `Err` is the refusal.
pub type Check = fn(&Request, &Ctx) -> Result<(), Reply>;

impl Caller {
    fn admit(self, req: &Request, ctx: &Ctx) -> Result<(), Reply> {
        match self {
            Caller::Anyone | Caller::Presents(_) => Ok(()),
            Caller::Admin | Caller::Component => crate::auth::require_admin(req, ctx.config),
            Caller::Checked { check, .. } => check(req, ctx),
        }
    }
}

/// A route's path parameters by name.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The parameter `name`; the table's pattern guarantees it is there and
    /// one non-empty segment.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// Handles a request that matched its route and was admitted. The error is
/// a reply too, so `?` carries a [`Problem`] or a store error to its RFC
/// 9457 answer.
pub type Handler = fn(&Request, &Ctx, &Params) -> Result<Outcome, Reply>;

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub caller: Caller,
    pub handler: Handler,
}

/// The router of `routes`: each distinct path once, with the indexes of
/// its routes; the patterns matchit refuses (or that conflict). A pattern
/// refused is left out, and every job's unit test checks there is none.
fn router(routes: &[Route]) -> (matchit::Router<Vec<usize>>, Vec<&'static str>) {
    let mut paths: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        match paths.iter_mut().find(|(path, _)| *path == route.path) {
            Some((_, indexes)) => indexes.push(i),
            None => paths.push((route.path, vec![i])),
        }
    }
    let mut router = matchit::Router::new();
    let mut refused = Vec::new();
    for (path, indexes) in paths {
        if router.insert(path, indexes).is_err() {
            refused.push(path);
        }
    }
    (router, refused)
}

/// The patterns of `routes` that matchit refuses, for a job's unit test.
pub fn refused(routes: &[Route]) -> Vec<&'static str> {
    router(routes).1
}

/// Runs the route of `routes` that `req` asks for.
pub fn dispatch(routes: &[Route], req: &Request, ctx: &Ctx) -> Outcome {
    let (router, _) = router(routes);
    let Ok(found) = router.at(&req.path) else {
        return Problem::not_found(&req.path).into();
    };
    let candidates: Vec<&Route> = found.value.iter().map(|&i| &routes[i]).collect();
    let Some(route) = candidates.iter().find(|r| r.method.as_str() == req.method) else {
        let allow: Vec<&str> = candidates.iter().map(|r| r.method.as_str()).collect();
        return method_not_allowed(req, &allow).into();
    };
    let params = Params(
        found
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    route
        .caller
        .admit(req, ctx)
        .and_then(|()| (route.handler)(req, ctx, &params))
        .unwrap_or_else(Outcome::from)
}

/// The words an id must not be, below `prefix`: the static first segments
/// of the routes, which win over an id in the same place.
pub fn reserved(prefix: &str, routes: &[Route]) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = vec!["health"];
    for route in routes {
        let first = route.path.strip_prefix(prefix).and_then(|rest| {
            rest.trim_start_matches('/')
                .split('/')
                .next()
                .filter(|s| !s.is_empty() && !s.starts_with('{'))
        });
        if let Some(word) = first.filter(|w| !words.contains(w)) {
            words.push(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::NoOutbound;
    use crate::store::MemoryStore;
    use std::collections::HashMap;

    fn echo(_: &Request, _: &Ctx, p: &Params) -> Result<Outcome, Reply> {
        Ok(Reply::json(200, &serde_json::json!({"id": p.get("id")})).into())
    }

    fn fail(_: &Request, _: &Ctx, _: &Params) -> Result<Outcome, Reply> {
        Err(Problem::new(422, "nope", "Nope").into())
    }

    const ROUTES: &[Route] = &[
        Route {
            method: Method::GET,
            path: "/a/{id}/export",
            caller: Caller::Anyone,
            handler: echo,
        },
        Route {
            method: Method::POST,
            path: "/a/leads/{id}",
            caller: Caller::Component,
            handler: echo,
        },
        Route {
            method: Method::GET,
            path: "/a/admin/log",
            caller: Caller::Admin,
            handler: echo,
        },
        Route {
            method: Method::DELETE,
            path: "/a/admin/log",
            caller: Caller::Admin,
            handler: fail,
        },
    ];

    fn call(method: &str, path: &str, config: &HashMap<String, String>) -> Reply {
        let store = MemoryStore::new();
        let ctx = Ctx::new(&store, config, &NoOutbound, crate::ports::test_now());
        dispatch(ROUTES, &Request::new(method, path), &ctx).reply
    }

    #[test]
    fn matches_refuses_and_answers_from_the_table() {
        let open = HashMap::new();
        let reply = call("GET", "/a/x1/export", &open);
        assert_eq!(
            (reply.status, reply.body.as_slice()),
            (200, br#"{"id":"x1"}"#.as_slice())
        );
        assert_eq!(call("GET", "/a/x1/nothing", &open).status, 404);
        assert_eq!(call("GET", "/a/x1/export/more", &open).status, 404);
        let wrong = call("PUT", "/a/admin/log", &open);
        assert_eq!(wrong.status, 405);
        assert_eq!(wrong.header("allow"), Some("GET, DELETE"));
        assert_eq!(call("GET", "/a/admin/log", &open).status, 403, "no admin token set");
        let admin: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        assert_eq!(
            call("POST", "/a/leads/l1", &admin).status,
            401,
            "a hand-off needs the token once set"
        );
        let closed = call("POST", "/a/leads/l1", &open);
        assert_eq!(closed.status, 403, "and is closed without one");
        assert!(
            String::from_utf8_lossy(&closed.body).contains("admin_token"),
            "saying what to set"
        );
        let mut with_token = Request::new("POST", "/a/leads/l1");
        with_token.headers.push(("authorization".into(), "Bearer t".into()));
        let store = MemoryStore::new();
        let ctx = Ctx::new(&store, &admin, &NoOutbound, crate::ports::test_now());
        assert_eq!(dispatch(ROUTES, &with_token, &ctx).reply.status, 200);
    }

    #[test]
    fn an_error_of_a_handler_is_its_problem() {
        let admin: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let store = MemoryStore::new();
        let ctx = Ctx::new(&store, &admin, &NoOutbound, crate::ports::test_now());
        let mut req = Request::new("DELETE", "/a/admin/log");
        req.headers.push(("authorization".into(), "Bearer t".into()));
        let reply = dispatch(ROUTES, &req, &ctx).reply;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    }

    /// A checked route's handler is never reached without its check,
    /// whatever the handler does: here it would answer 200 to anyone.
    #[test]
    fn a_checked_route_runs_its_check_before_the_handler() {
        const CHECKED: &[Route] = &[Route {
            method: Method::GET,
            path: "/a/mine/{id}",
            caller: Caller::Checked {
                who: "the holder of the x-pass header",
                check: |req, _| match req.header("x-pass") {
                    Some("yes") => Ok(()),
                    _ => Err(Problem::new(401, "no-pass", "No Pass").into()),
                },
            },
            handler: echo,
        }];
        let (store, config) = (MemoryStore::new(), HashMap::new());
        let ctx = Ctx::new(&store, &config, &NoOutbound, crate::ports::test_now());
        let mut req = Request::new("GET", "/a/mine/x1");
        assert_eq!(dispatch(CHECKED, &req, &ctx).reply.status, 401);
        req.headers.push(("x-pass".into(), "yes".into()));
        assert_eq!(dispatch(CHECKED, &req, &ctx).reply.status, 200);
    }

    #[test]
    fn conflicting_patterns_are_found() {
        assert!(refused(ROUTES).is_empty());
        let clash = [
            Route {
                method: Method::GET,
                path: "/a/{id}",
                caller: Caller::Anyone,
                handler: echo,
            },
            Route {
                method: Method::GET,
                path: "/a/{other}",
                caller: Caller::Anyone,
                handler: echo,
            },
        ];
        assert_eq!(refused(&clash), ["/a/{other}"]);
    }

    #[test]
    fn static_first_segments_are_reserved() {
        assert_eq!(reserved("/a", ROUTES), ["health", "leads", "admin"]);
    }
}
