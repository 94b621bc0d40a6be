//! Per-request state of one component instance, and the host functions that
//! read it: WASI, `wasi:http` (with Spin's outbound rules), variables.

use crate::bindings::fermyon::spin::variables;
use crate::kv::{Backend, Grants};
use crate::outbound::{self, AllowedHost};
use crate::Host;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use wasmtime::component::ResourceTable;
use wasmtime::ResourceLimiter;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

/// A compiled component with what the manifest grants it.
pub struct LoadedComponent {
    pub id: String,
    pub pre: ProxyPre<State>,
    pub kv_grants: Grants,
    pub allowed_hosts: Vec<AllowedHost>,
    pub variables: HashMap<String, String>,
    /// The most linear memory any one instance of it has held, in bytes.
    pub peak_memory: Arc<AtomicUsize>,
}

/// Tracks an instance's linear memory (all its memories together) and
/// records the peak in its component's [`LoadedComponent::peak_memory`].
pub struct MemoryMeter {
    total: usize,
    peak: Arc<AtomicUsize>,
}

impl ResourceLimiter for MemoryMeter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.total += desired.saturating_sub(current);
        self.peak.fetch_max(self.total, Ordering::Relaxed);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

pub struct State {
    pub table: ResourceTable,
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub hooks: OutboundRules,
    pub component: Arc<LoadedComponent>,
    pub kv: Arc<Backend>,
    pub memory: MemoryMeter,
}

impl State {
    pub fn new(component: Arc<LoadedComponent>, kv: Arc<Backend>, host: Weak<Host>) -> Self {
        State {
            table: ResourceTable::new(),
            wasi: WasiCtx::builder().inherit_stdout().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundRules {
                component: component.clone(),
                host,
            },
            memory: MemoryMeter {
                total: 0,
                peak: component.peak_memory.clone(),
            },
            component,
            kv,
        }
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl variables::Host for State {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        if crate::variables::check_name(&name).is_err() {
            return Err(variables::Error::InvalidName(name));
        }
        self.component
            .variables
            .get(&name)
            .cloned()
            .ok_or(variables::Error::Undefined(name))
    }
}

/// Outbound HTTP as Spin does it: only to `allowed_outbound_hosts`, and
/// `<component>.spin.internal` goes straight to that component.
pub struct OutboundRules {
    component: Arc<LoadedComponent>,
    host: Weak<Host>,
}

type SendResult = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
>;

impl WasiHttpHooks for OutboundRules {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        if !outbound::allowed(&self.component.allowed_hosts, request.uri()) {
            eprintln!(
                "[spin-test-host] {}: outbound request to {} denied: not in allowed_outbound_hosts",
                self.component.id,
                request.uri()
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        if let Some(target) = outbound::internal_component(request.uri()) {
            let host = self.host.clone();
            return Box::new(async move {
                let host = host.upgrade().ok_or(HttpError::DestinationUnavailable)?;
                let response = host
                    .dispatch_internal(target, request)
                    .await
                    .map_err(|e| HttpError::InternalError(Some(format!("{e:#}"))))?;
                Ok((
                    response,
                    Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
                ))
            });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}
