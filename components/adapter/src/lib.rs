//! The only crate that knows Spin: it turns a Spin request into a
//! [`spin_retention_core::http::Request`], gives the job Spin's store, variables and
//! outbound HTTP behind the shared ports, and turns the reply back.

use futures::StreamExt;
use spin_sdk::http::conversions::TryIntoOutgoingRequest;
use spin_sdk::http::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, Request as SpinRequest, ResponseOutparam,
};
use spin_sdk::variables;
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{http_error_code, ErrorCode, IncomingBody, RequestOptions};
use wasi::io::streams::StreamError;

use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{BodyStream, Job};
use spin_retention_core::ports::{
    BodySource, Config, Ctx, Outbound, OutboundRequest, OutboundResponse, TEST_CLOCK_HEADER,
};
use spin_retention_core::problem::Problem;
use spin_retention_core::store::{Store, StoreError, UnavailableStore};

/// No request body is read past this, whatever a job allows (jobs set their
/// own, smaller limits).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
const DRAIN_BYTES: usize = 16 * MAX_BODY_BYTES;

/// Handles one request for `job`: the reply is sent first (a streamed body
/// chunk by chunk), then the job's after-reply tasks run, so the caller
/// never waits for them. Every failure becomes a problem+json reply inside
/// the job, so this never traps.
pub fn serve(job: &Job, req: IncomingRequest, out: ResponseOutparam) {
    let (request, streamed) = match spin_sdk::http::run(read_request(req, job)) {
        Ok(read) => read,
        Err(reply) => return send_reply(out, reply),
    };
    let spin_store;
    let unavailable;
    let store: &dyn Store = match kv::store::open("default") {
        Ok(bucket) => {
            spin_store = SpinStore(bucket);
            &spin_store
        }
        Err(e) => {
            unavailable = UnavailableStore(format!("cannot open store \"default\": {e}"));
            &unavailable
        }
    };
    let mut ctx = Ctx::new(store, &SpinVariables, &SpinOutbound, chrono::Utc::now());
    ctx.body = streamed.as_ref().map(|body| body as &dyn BodySource);
    if let Some(now) = test_clock(&request) {
        ctx.now = now;
        ctx.test_clock = true;
    }
    let outcome = job.handle(&request, &ctx);
    match outcome.stream {
        Some(stream) => send_streaming(out, outcome.reply, stream, &ctx),
        None => send_reply(out, outcome.reply),
    }
    for task in outcome.after {
        task(&ctx);
    }
}

/// The instant a test sets with [`TEST_CLOCK_HEADER`], when the `test_clock`
/// variable allows it (never in a real deployment: it lets a caller move
/// time).
fn test_clock(request: &Request) -> Option<chrono::DateTime<chrono::Utc>> {
    let header = request.header(TEST_CLOCK_HEADER)?;
    if SpinVariables.get("test_clock").as_deref() != Some("enabled") {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(header).ok().map(|t| t.to_utc())
}

/// A body the job reads chunk by chunk ([`Job::streamed`] routes).
struct StreamedBody<S>(std::cell::RefCell<std::pin::Pin<Box<S>>>);

impl<S, E> BodySource for StreamedBody<S>
where
    S: futures::Stream<Item = Result<Vec<u8>, E>>,
    E: std::fmt::Debug,
{
    fn next_chunk(&self) -> Result<Option<Vec<u8>>, String> {
        let mut stream = self.0.borrow_mut();
        match spin_sdk::http::run(stream.next()) {
            Some(Ok(chunk)) => Ok(Some(chunk)),
            Some(Err(e)) => Err(format!("reading the body failed: {e:?}")),
            None => Ok(None),
        }
    }
}

/// The request, its body read whole, or on a streamed route left to read.
async fn read_request(
    req: IncomingRequest,
    job: &Job,
) -> Result<
    (
        Request,
        Option<StreamedBody<impl futures::Stream<Item = Result<Vec<u8>, impl std::fmt::Debug>>>>,
    ),
    Reply,
> {
    let (path, query) = match req.path_with_query() {
        Some(pq) => match pq.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (pq, String::new()),
        },
        None => ("/".to_string(), String::new()),
    };
    let headers: Vec<(String, String)> = req
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let too_large = || Reply::from(Problem::too_large(MAX_BODY_BYTES));
    let declared = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let streams = job.streams(&path);
    if !streams && declared.is_some_and(|n| n > DRAIN_BYTES) {
        return Err(too_large());
    }
    let method = method_name(&req.method());
    let mut body = Vec::new();
    let mut read = 0;
    let mut stream = Box::pin(req.into_body_stream());
    if streams {
        let request = Request {
            method,
            path,
            query,
            headers,
            body,
        };
        return Ok((request, Some(StreamedBody(std::cell::RefCell::new(stream)))));
    }
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Reply::from(
                Problem::new(400, "malformed-body", "Malformed Body")
                    .with_detail(format!("reading the body failed: {e:?}")),
            )
        })?;
        read += chunk.len();
        if read > MAX_BODY_BYTES {
            // Keep reading (and dropping) a while, so the client can finish
            // sending and read our 413 rather than see the connection reset.
            if read > DRAIN_BYTES {
                return Err(too_large());
            }
            continue;
        }
        body.extend_from_slice(&chunk);
    }
    if read > MAX_BODY_BYTES {
        return Err(too_large());
    }
    let request = Request {
        method,
        path,
        query,
        headers,
        body,
    };
    Ok((request, None))
}

fn send_reply(out: ResponseOutparam, reply: Reply) {
    let (response, body) = outgoing(reply);
    // Dropping the body sink inside set_with_body finishes the response.
    if let Err(e) = spin_sdk::http::run(out.set_with_body(response, body)) {
        eprintln!("sending the response failed: {e:?}");
    }
}

/// The status and headers of `reply`, and its (first part of the) body.
fn outgoing(reply: Reply) -> (OutgoingResponse, Vec<u8>) {
    // One by one: a header the host refuses is dropped alone, not with the rest.
    let fields = Fields::new();
    for (name, value) in reply.headers {
        if fields.append(&name, &value.into_bytes()).is_err() {
            eprintln!("dropped response header {name}");
        }
    }
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(reply.status);
    (response, reply.body)
}

/// Largest write `wasi:io` promises to take in one call.
const WRITE_CHUNK: usize = 4096;

/// Sends the headers at once, then each chunk as the job makes it, so only
/// one chunk is ever in memory. A chunk that fails leaves the body
/// unfinished: the client sees a broken transfer, not a short file.
fn send_streaming(out: ResponseOutparam, reply: Reply, mut stream: BodyStream, ctx: &Ctx) {
    let (response, first) = outgoing(reply);
    let Ok(body) = response.body() else {
        return eprintln!("response body already taken");
    };
    out.set(response);
    let Ok(sink) = body.write() else {
        return eprintln!("response body not writable");
    };
    let write = |bytes: &[u8]| -> Result<(), String> {
        for piece in bytes.chunks(WRITE_CHUNK) {
            sink.blocking_write_and_flush(piece).map_err(|e| format!("{e:?}"))?;
        }
        Ok(())
    };
    let mut result = write(&first);
    while result.is_ok() {
        match stream(ctx) {
            Ok(Some(chunk)) => result = write(&chunk),
            Ok(None) => break,
            Err(e) => result = Err(e),
        }
    }
    drop(sink);
    match result {
        Ok(()) => {
            if let Err(e) = OutgoingBody::finish(body, None) {
                eprintln!("finishing the response failed: {e:?}");
            }
        }
        // Dropped unfinished: the host aborts the response.
        Err(e) => eprintln!("streaming the response failed: {e}"),
    }
}

fn method_name(method: &spin_sdk::http::Method) -> String {
    use spin_sdk::http::Method;
    match method {
        Method::Get => "GET".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Patch => "PATCH".into(),
        Method::Head => "HEAD".into(),
        Method::Options => "OPTIONS".into(),
        Method::Connect => "CONNECT".into(),
        Method::Trace => "TRACE".into(),
        Method::Other(other) => other.clone(),
    }
}

/// `wasi:keyvalue@0.2.0-draft2` (store, atomics, batch), which every Spin
/// 3.0+ host provides on every backend. spin-sdk 5 generates these bindings
/// only in a module it keeps internal, so we generate our own from the same
/// WIT (wit/). Compare-and-swap and batch `get-many` are left unused: see
/// shared's `store` module and [`SpinStore::get_many`].
mod kv {
    wit_bindgen::generate!({
        world: "key-value",
        path: "wit",
        generate_all,
    });
    pub use self::wasi::keyvalue::{atomics, batch, store};
}

struct SpinStore(kv::store::Bucket);

fn unavailable(e: kv::store::Error) -> StoreError {
    StoreError::Unavailable(match e {
        kv::store::Error::NoSuchStore => "no such store".into(),
        kv::store::Error::AccessDenied => "access denied".into(),
        kv::store::Error::Other(reason) => reason,
    })
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

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        kv::atomics::increment(&self.0, key, delta).map_err(unavailable)
    }

    /// A `get`, decoded: `increment(key, 0)` is a write transaction on
    /// SQLite, a `get` commits nothing. A backend whose counters a `get`
    /// cannot read (Azure Cosmos keeps them as JSON numbers, which its
    /// `get` refuses) is read with `increment(key, 0)` after all.
    fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        match self.get(key) {
            Ok(None) => Ok(0),
            Ok(Some(bytes)) => {
                spin_retention_core::store::decode_counter(key, &bytes).or_else(|_| self.increment(key, 0))
            }
            Err(_) => self.increment(key, 0),
        }
    }

    /// One `get` per key, not `batch.get-many`: Spin's Redis store (3.x to
    /// 4.0.2) sends `get-many` as `KEYS k1 k2 ...`, which Redis refuses for two
    /// keys or more and which panics the host for one.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().map(|key| self.get(key)).collect()
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        kv::batch::set_many(&self.0, entries).map_err(unavailable)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        kv::batch::delete_many(&self.0, keys).map_err(unavailable)
    }
}

/// Spin variables; a variable the component does not declare reads as unset.
struct SpinVariables;

impl Config for SpinVariables {
    fn get(&self, name: &str) -> Option<String> {
        variables::get(name).ok().filter(|v| !v.is_empty())
    }
}

/// Outbound HTTP through Spin, which enforces `allowed_outbound_hosts` and
/// the runtime config's `block_networks`. Every call is bounded by the
/// runtime's own request options ([`CONNECT_TIMEOUT`],
/// [`FIRST_BYTE_TIMEOUT`], [`BETWEEN_BYTES_TIMEOUT`]; without them Spin
/// waits 600 s for each), by [`TOTAL_TIMEOUT`] for the whole body, and by
/// [`MAX_RESPONSE_BYTES`]: the body is read chunk by chunk and nothing past
/// the limit is read. Errors name the URL's origin only
/// ([`spin_retention_core::net::transport_error`]).
struct SpinOutbound;

/// Establishing the connection (DNS, TCP, TLS).
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// From the request sent to the response's status and headers.
pub const FIRST_BYTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Between two chunks of the response body.
pub const BETWEEN_BYTES_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// From the call to the end of its response body (a receiver that trickles
/// a byte at a time stays under the between-bytes timeout).
pub const TOTAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// No response body is read past this.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
const READ_CHUNK: usize = 16 * 1024;

impl Outbound for SpinOutbound {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        use spin_retention_core::net::{class_of_error_code, transport_error};
        let fail = |class: &str, detail: &str| transport_error(class, &request.method, &request.url, detail);
        let code = |e: &ErrorCode| fail(class_of_error_code(&format!("{e:?}")), &format!("{e:?}"));
        let started = std::time::Instant::now();

        let mut builder = SpinRequest::builder();
        builder.method(method(&request.method)).uri(request.url.clone());
        for (name, value) in &request.headers {
            builder.header(name, value);
        }
        // A known length rather than chunked encoding: some provider APIs insist.
        builder.header("content-length", request.body.len().to_string());
        let (outgoing, body) = builder
            .body(request.body.clone())
            .build()
            .try_into_outgoing_request()
            .map_err(|e| fail("failed", &e.to_string()))?;
        let body = body.unwrap_or_default();
        let sink = outgoing
            .body()
            .map_err(|()| fail("failed", "request body already taken"))?;

        let options = RequestOptions::new();
        let nanos = |d: std::time::Duration| Some(d.as_nanos() as u64);
        // An Err means the host does not support that timeout; the total
        // bound below still holds for the body.
        let _ = options.set_connect_timeout(nanos(CONNECT_TIMEOUT));
        let _ = options.set_first_byte_timeout(nanos(FIRST_BYTE_TIMEOUT));
        let _ = options.set_between_bytes_timeout(nanos(BETWEEN_BYTES_TIMEOUT));
        let future = outgoing_handler::handle(outgoing, Some(options)).map_err(|e| code(&e))?;

        // A body the host could not take (the connection failed) is not the
        // error to report: the response future says what happened.
        if let Ok(stream) = sink.write() {
            let written = body
                .chunks(WRITE_CHUNK)
                .try_for_each(|piece| stream.blocking_write_and_flush(piece));
            drop(stream);
            if written.is_ok() {
                let _ = OutgoingBody::finish(sink, None);
            }
        }

        future.subscribe().block();
        let response = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(e))) => return Err(code(&e)),
            Some(Err(())) | None => return Err(fail("failed", "no response")),
        };
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let too_large = || fail("response too large", &format!("over {MAX_RESPONSE_BYTES} bytes"));
        let declared = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
            return Err(too_large());
        }
        let incoming = response
            .consume()
            .map_err(|()| fail("failed", "response body already taken"))?;
        let stream = incoming
            .stream()
            .map_err(|()| fail("failed", "response body not readable"))?;
        let mut bytes = Vec::new();
        loop {
            if started.elapsed() > TOTAL_TIMEOUT {
                return Err(fail("timed out", &format!("over {} s in all", TOTAL_TIMEOUT.as_secs())));
            }
            // One byte more than the limit allows, to know it was passed.
            let want = READ_CHUNK.min(MAX_RESPONSE_BYTES + 1 - bytes.len());
            match stream.blocking_read(want as u64) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_RESPONSE_BYTES {
                        return Err(too_large());
                    }
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(match http_error_code(&e) {
                        Some(e) => code(&e),
                        None => fail("failed", "reading the response body failed"),
                    })
                }
            }
        }
        drop(stream);
        IncomingBody::finish(incoming);
        Ok(OutboundResponse {
            status,
            headers,
            body: bytes,
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
