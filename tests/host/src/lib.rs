//! A test-only host that runs the built spin-retention components the way
//! `spin up` does, on the crates Spin itself is built on (wasmtime,
//! wasmtime-wasi, wasmtime-wasi-http, wit-component).
//!
//! It reads spin.toml and serves HTTP on a loopback port with: the
//! `wasi:http` incoming handler per route; outbound `wasi:http` only to each
//! component's `allowed_outbound_hosts`, with `http://<component>.spin.internal`
//! going straight to that component (Spin's local service chaining); Spin's
//! key-value interface with Spin's grant rules over SQLite or memory; Spin's
//! variables from explicit values, `SPIN_VARIABLE_*` and defaults.
//!
//! It is not a product runtime: the app is run with `spin up`.

pub mod kv;
pub mod manifest;
pub mod outbound;
pub mod routes;
mod state;
pub mod variables;

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "fermyon:spin/host",
        with: { "fermyon:spin/key-value.store": crate::kv::StoreHandle },
    });
}

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use manifest::{Manifest, RouteDef};
use routes::{Matched, Route};
use state::{LoadedComponent, State};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Weak};
use tokio::net::TcpListener;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

/// Where the key-value data lives.
#[derive(Debug, Clone)]
pub enum StoreMode {
    /// Nothing persists after the host stops.
    Memory,
    /// Spin's default: a SQLite file.
    Sqlite(PathBuf),
}

#[derive(Debug, Clone)]
pub struct HostConfig {
    pub manifest: PathBuf,
    pub listen: SocketAddr,
    pub store: StoreMode,
    /// Application variable values; win over `SPIN_VARIABLE_*` and defaults.
    pub variables: HashMap<String, String>,
    /// Where wasmtime caches compiled components (None: no cache).
    pub cache_dir: Option<PathBuf>,
}

impl HostConfig {
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        HostConfig {
            manifest: manifest.into(),
            listen: ([127, 0, 0, 1], 0).into(),
            store: StoreMode::Memory,
            variables: HashMap::new(),
            cache_dir: None,
        }
    }
}

pub struct Host {
    engine: Engine,
    components: HashMap<String, Arc<LoadedComponent>>,
    routes: Vec<Route>,
    kv: Arc<kv::Backend>,
    me: Weak<Host>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Host {
    /// Loads the manifest, resolves variables and compiles every component.
    pub fn new(config: &HostConfig) -> Result<Arc<Host>> {
        let manifest = Manifest::load(&config.manifest)?;
        let app_vars = variables::resolve_app(&manifest, &config.variables, |k| std::env::var(k).ok())?;
        let engine = engine(config.cache_dir.as_deref())?;
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        bindings::fermyon::spin::key_value::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
        bindings::fermyon::spin::variables::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;

        let known_stores: HashSet<String> = ["default".to_string()].into();
        let mut components = HashMap::new();
        for (id, def) in &manifest.component {
            for label in &def.key_value_stores {
                if !known_stores.contains(label) {
                    bail!("component {id:?} is granted key-value store {label:?}, which this host does not provide");
                }
            }
            let allowed_hosts = def
                .allowed_outbound_hosts
                .iter()
                .map(|entry| outbound::AllowedHost::parse(&variables::expand(entry, &app_vars)?))
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("component {id:?}: allowed_outbound_hosts"))?;
            let path = Manifest::source_path(&config.manifest, def);
            let component = compile(&engine, &path).with_context(|| format!("component {id:?}"))?;
            let pre = linker
                .instantiate_pre(&component)
                .and_then(ProxyPre::new)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("component {id:?} is not an HTTP component this host can run"))?;
            let loaded = LoadedComponent {
                id: id.clone(),
                pre,
                kv_grants: kv::Grants {
                    granted: def.key_value_stores.iter().cloned().collect(),
                    known: known_stores.clone(),
                },
                allowed_hosts,
                variables: variables::expand_all(&def.variables, &app_vars)
                    .with_context(|| format!("component {id:?}: variables"))?,
                peak_memory: Default::default(),
            };
            components.insert(id.clone(), Arc::new(loaded));
        }
        let routes = manifest
            .trigger
            .http
            .iter()
            .filter_map(|t| match &t.route {
                RouteDef::Path(p) => Some(Route::new(&t.component, p)),
                RouteDef::Private { .. } => None,
            })
            .collect();
        let kv = Arc::new(match &config.store {
            StoreMode::Memory => kv::Backend::memory(),
            StoreMode::Sqlite(path) => kv::Backend::sqlite(path)?,
        });
        Ok(Arc::new_cyclic(|me| Host {
            engine,
            components,
            routes,
            kv,
            me: me.clone(),
        }))
    }

    /// Answers one request from the network, routed by spin.toml.
    async fn serve_http(
        self: Arc<Self>,
        req: hyper::Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let Some(matched) = routes::best_match(&self.routes, req.uri().path()) else {
            return Ok(plain(404, "Not Found"));
        };
        let component = self.components[&matched.component].clone();
        let req = req.map(|body| body.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
        self.invoke(component, req, matched, Some(client)).await
    }

    /// Spin's local service chaining: `http://<component>.spin.internal/...`.
    fn dispatch_internal(
        self: Arc<Self>,
        component_id: String,
        req: http::Request<WasiBody>,
    ) -> BoxFuture<Result<http::Response<WasiBody>>> {
        Box::pin(async move {
            let Some(component) = self.components.get(&component_id).cloned() else {
                bail!("no component {component_id:?} in this app");
            };
            let path = req.uri().path().to_string();
            let own_routes: Vec<Route> = self
                .routes
                .iter()
                .filter(|r| r.component == component_id)
                .cloned()
                .collect();
            let matched = routes::best_match(&own_routes, &path).unwrap_or(Matched {
                component: component_id,
                raw_route: String::new(),
                component_route: String::new(),
                path_info: path,
            });
            self.invoke(component, req, matched, None).await
        })
    }

    async fn invoke(
        &self,
        component: Arc<LoadedComponent>,
        mut req: http::Request<WasiBody>,
        matched: Matched,
        client: Option<SocketAddr>,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        add_spin_headers(&mut req, &matched, client)?;
        let mut store = Store::new(
            &self.engine,
            State::new(component.clone(), self.kv.clone(), self.me.clone()),
        );
        store.limiter(|state| &mut state.memory);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = store.data_mut().http().new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = component.pre.clone();
        let task = tokio::task::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, request, out)
                .await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => {
                eprintln!("[spin-test-host] {}: guest answered with error {code:?}", component.id);
                Ok(plain(500, "Internal Server Error"))
            }
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => "guest never set a response".to_string(),
                    Ok(Err(e)) => format!("{e:?}"),
                    Err(e) => e.to_string(),
                };
                eprintln!("[spin-test-host] {}: {why}", component.id);
                Ok(plain(500, "Internal Server Error"))
            }
        }
    }
}

/// The headers Spin adds to every request it hands a component.
fn add_spin_headers(req: &mut http::Request<WasiBody>, matched: &Matched, client: Option<SocketAddr>) -> Result<()> {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string());
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let full_url = format!("http://{host}{path_and_query}");
    let headers = req.headers_mut();
    let mut set = |name: &'static str, value: &str| -> Result<()> {
        headers.insert(name, http::HeaderValue::from_str(value)?);
        Ok(())
    };
    set("spin-full-url", &full_url)?;
    set("spin-path-info", &matched.path_info)?;
    set("spin-matched-route", &matched.raw_route)?;
    set("spin-raw-component-route", &matched.raw_route)?;
    set("spin-component-route", &matched.component_route)?;
    set("spin-base-path", "/")?;
    if let Some(client) = client {
        set("spin-client-addr", &client.to_string())?;
    }
    Ok(())
}

fn plain(status: u16, text: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    hyper::Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body)
        .expect("static response")
}

fn engine(cache_dir: Option<&Path>) -> Result<Engine> {
    let mut config = wasmtime::Config::new();
    if let Some(dir) = cache_dir {
        let mut cache = wasmtime::CacheConfig::new();
        cache.with_directory(dir);
        config.cache(Some(wasmtime::Cache::new(cache)?));
    }
    Ok(Engine::new(&config)?)
}

/// Compiles a component; a core wasm module (wasm32-wasip1) is first adapted
/// with the WASI preview1 adapter, as Spin does at load.
fn compile(engine: &Engine, path: &Path) -> Result<Component> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading {} (build the components first)", path.display()))?;
    let bytes = if wasmparser::Parser::is_core_wasm(&bytes) {
        wit_component::ComponentEncoder::default()
            .module(&bytes)?
            .adapter(
                "wasi_snapshot_preview1",
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
            )?
            .validate(true)
            .encode()?
    } else {
        bytes
    };
    Ok(Component::new(engine, &bytes)?)
}

/// Accepts connections until `shutdown` resolves.
pub async fn serve(host: Arc<Host>, listener: TcpListener, shutdown: impl Future<Output = ()>) -> Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = &mut shutdown => return Ok(()),
        };
        let host = host.clone();
        tokio::task::spawn(async move {
            let service = hyper::service::service_fn(move |req| host.clone().serve_http(req, client));
            if let Err(e) = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("[spin-test-host] connection from {client}: {e}");
            }
        });
    }
}

/// A host serving on its own thread; stops when dropped.
pub struct RunningHost {
    pub base_url: String,
    pub addr: SocketAddr,
    host: Arc<Host>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningHost {
    pub fn start(config: HostConfig) -> Result<RunningHost> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let host = Host::new(&config)?;
        let listener = runtime.block_on(TcpListener::bind(config.listen))?;
        let addr = listener.local_addr()?;
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let served = host.clone();
        let thread = std::thread::spawn(move || {
            if let Err(e) = runtime.block_on(serve(served, listener, async {
                let _ = stop.await;
            })) {
                eprintln!("[spin-test-host] stopped: {e:#}");
            }
        });
        Ok(RunningHost {
            base_url: format!("http://{addr}"),
            addr,
            host,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

impl RunningHost {
    /// The most linear memory one instance of `component` has held since
    /// the last reset, in bytes (what a request cost in guest memory).
    pub fn peak_memory(&self, component: &str) -> usize {
        self.host.components[component]
            .peak_memory
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn reset_peak_memory(&self, component: &str) {
        self.host.components[component]
            .peak_memory
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// The host's key-value data, for tests that seed a large store
    /// directly rather than through thousands of requests.
    pub fn key_value(&self) -> &kv::Backend {
        &self.host.kv
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
