//! The only crate that knows Spin: it turns a Spin request into a
//! [`shared::http::Request`], gives the job Spin's store, variables and
//! outbound HTTP behind the shared ports, and turns the reply back.

use spin_retention_shared as shared;
use spin_sdk::http::{Request as SpinRequest, Response};
use spin_sdk::{key_value, variables};

use shared::http::{Reply, Request};
use shared::jobs::Job;
use shared::ports::{Config, Ctx, Outbound, OutboundRequest, OutboundResponse};
use shared::store::{Store, StoreError, UnavailableStore};

/// Handles one request for `job`. Every failure becomes a problem+json reply
/// inside the job, so this never traps.
pub fn serve(job: &Job, req: SpinRequest) -> Response {
    let request = to_shared(&req);
    let spin_store;
    let unavailable;
    let store: &dyn Store = match key_value::Store::open_default() {
        Ok(s) => {
            spin_store = SpinStore(s);
            &spin_store
        }
        Err(e) => {
            unavailable = UnavailableStore(format!("cannot open store \"default\": {e}"));
            &unavailable
        }
    };
    let ctx = Ctx {
        store,
        config: &SpinVariables,
        outbound: &SpinOutbound,
        now: chrono::Utc::now(),
    };
    to_spin(job.handle(&request, &ctx))
}

fn to_shared(req: &SpinRequest) -> Request {
    Request {
        method: req.method().to_string(),
        path: req.path().to_string(),
        query: req.query().to_string(),
        headers: req
            .headers()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: req.body().to_vec(),
    }
}

fn to_spin(reply: Reply) -> Response {
    let mut builder = Response::builder();
    builder.status(reply.status);
    for (name, value) in reply.headers {
        builder.header(name, value);
    }
    builder.body(reply.body).build()
}

struct SpinStore(key_value::Store);

fn unavailable(e: key_value::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl Store for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key).map_err(unavailable)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.set(key, value).map_err(unavailable)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).map_err(unavailable)
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.0.exists(key).map_err(unavailable)
    }
}

/// Spin variables; a variable the component does not declare reads as unset.
struct SpinVariables;

impl Config for SpinVariables {
    fn get(&self, name: &str) -> Option<String> {
        variables::get(name).ok().filter(|v| !v.is_empty())
    }
}

/// Outbound HTTP through Spin, which enforces `allowed_outbound_hosts`.
struct SpinOutbound;

impl Outbound for SpinOutbound {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        let mut builder = SpinRequest::builder();
        builder.method(method(&request.method)).uri(request.url.clone());
        for (name, value) in request.headers {
            builder.header(name, value);
        }
        let outgoing = builder.body(request.body).build();
        let response: Response = spin_sdk::http::run(spin_sdk::http::send(outgoing))
            .map_err(|e| format!("{} {}: {e}", request.method, request.url))?;
        Ok(OutboundResponse {
            status: *response.status(),
            body: response.into_body(),
        })
    }
}

fn method(name: &str) -> spin_sdk::http::Method {
    use spin_sdk::http::Method;
    match name {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "HEAD" => Method::Head,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_string()),
    }
}
