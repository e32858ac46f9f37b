//! Request-scoped context for tower services (cargo feature `tower`).
//!
//! [`ContextLayer`] is the seed's `RequestContext` as middleware: for every request it
//! makes a fresh child of the connection's context, binds context vars from request
//! headers, and runs the inner service — its `call` and every poll of the future it
//! returns — inside that child. Everything the handler spawns (tasks, blocking jobs,
//! threads) inherits the child, so a request id or tenant set once at the edge is seen
//! everywhere the request's work goes, with no parameter passing, and never leaks into
//! another request on the same connection.
//!
//! One header can be the *request id* (by default `x-request-id`): when a request arrives
//! without it, the layer generates a UUID v4, binds it, and echoes the id on the response
//! either way, so clients and logs can correlate.
//!
//! With the `opentelemetry` feature the layer also continues each request's incoming W3C
//! trace, by default: it extracts `traceparent`, `tracestate` and `baggage`, starts a
//! server span under the remote parent through OTel's global tracer (a new trace when the
//! header is absent or malformed — never an error), and attaches that OTel context around
//! the call and every poll, so the handler's spawned work and its downstream calls
//! ([`crate::context::opentelemetry::inject`]) carry the trace (http/trace.rs).
//! [`ContextLayer::continue_trace`]`(false)` switches that off for a layer whose requests
//! need only the bound vars (or whose trace another layer handles): then the layer starts
//! no span and leaves the OTel context as it finds it.
//!
//! The layer works wherever tower services run: axum routers, hyper-util's service
//! adapters, tonic-style stacks — and on any executor, since the context travels inside
//! the response future ([`Context::scope`]).
//!
//! # Examples
//!
//! ```
//! use ctxrt::http::ContextLayer;
//! use ctxrt::ContextVar;
//! use tower::{service_fn, Layer, Service, ServiceExt};
//!
//! static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
//! static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "public".into());
//!
//! let layer = ContextLayer::new()
//!     .header("x-request-id", &REQUEST_ID)
//!     .header("x-tenant", &TENANT);
//! let svc = layer.layer(service_fn(|_req: http::Request<()>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(TENANT.get().unwrap()))
//! }));
//!
//! let rt = ctxrt::runtime::Runtime::new().unwrap();
//! let resp = rt.block_on(async {
//!     let req = http::Request::builder().header("x-tenant", "acme").body(()).unwrap();
//!     svc.oneshot(req).await.unwrap()
//! });
//! assert_eq!(resp.body(), "acme");
//! // No x-request-id was sent, so one was generated and echoed.
//! assert_eq!(resp.headers()["x-request-id"].len(), 36);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use ::http::header::{HeaderName, HeaderValue};
use ::http::{Request, Response};

use crate::context::ContextScope;
use crate::{Context, ContextVar};

// With `opentelemetry`, each request continues its incoming W3C trace (http/trace.rs).
#[cfg_attr(feature = "opentelemetry", path = "http/trace.rs")]
#[cfg_attr(not(feature = "opentelemetry"), path = "http/no_trace.rs")]
mod trace;

use trace::RequestTrace;

/// A tower [`Layer`](tower_layer::Layer) that runs each request in its own child context
/// with vars bound from its headers. See the [module docs](self).
///
/// # Examples
///
/// ```
/// use ctxrt::http::ContextLayer;
/// use ctxrt::ContextVar;
///
/// static TENANT: ContextVar<String> = ContextVar::new("tenant");
/// let layer = ContextLayer::new().header("x-tenant", &TENANT);
/// assert_eq!(layer.request_id_header().as_str(), "x-request-id");
/// ```
#[derive(Clone)]
pub struct ContextLayer {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    bindings: Vec<(HeaderName, &'static ContextVar<String>)>,
    request_id: HeaderName,
    /// Whether each request continues its incoming W3C trace ([`ContextLayer::continue_trace`]).
    continue_trace: bool,
}

impl ContextLayer {
    /// A layer that binds nothing yet; its request-id header is `x-request-id`, and with the
    /// `opentelemetry` feature it continues each request's incoming trace
    /// ([`continue_trace`](Self::continue_trace)).
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = ctxrt::http::ContextLayer::new();
    /// assert_eq!(layer.request_id_header().as_str(), "x-request-id");
    /// ```
    pub fn new() -> Self {
        ContextLayer {
            config: Arc::new(Config {
                bindings: Vec::new(),
                request_id: HeaderName::from_static("x-request-id"),
                continue_trace: true,
            }),
        }
    }

    /// Binds `var` to the value of header `name` in each request's context.
    ///
    /// A header that is absent (or not valid UTF-8 text) leaves the var as the connection's
    /// context has it — normally unbound, so the var's default applies; it never carries a
    /// previous request's value. If `name` is the request-id header, a missing id is
    /// generated (UUID v4) instead. Header names are case-insensitive.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid HTTP header name.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::http::ContextLayer;
    /// use ctxrt::ContextVar;
    ///
    /// static USER: ContextVar<String> = ContextVar::new("user");
    /// let _layer = ContextLayer::new().header("X-User", &USER);
    /// ```
    pub fn header(mut self, name: &str, var: &'static ContextVar<String>) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|err| {
            panic!("ContextLayer::header: {name:?} is not a valid HTTP header name: {err}")
        });
        Arc::make_mut(&mut self.config).bindings.push((name, var));
        self
    }

    /// Makes `name` the request-id header (default `x-request-id`): generated when absent
    /// and echoed on every response.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid HTTP header name.
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = ctxrt::http::ContextLayer::new().request_id("x-correlation-id");
    /// assert_eq!(layer.request_id_header().as_str(), "x-correlation-id");
    /// ```
    pub fn request_id(mut self, name: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|err| {
            panic!("ContextLayer::request_id: {name:?} is not a valid HTTP header name: {err}")
        });
        Arc::make_mut(&mut self.config).request_id = name;
        self
    }

    /// Whether each request continues its incoming W3C trace (default: yes).
    ///
    /// On (the default, what a traced production service expects), with the
    /// `opentelemetry` feature, every request's `traceparent`/`tracestate` and `baggage` are
    /// extracted, a server span named `"METHOD /path"` is started under the remote parent
    /// through OTel's global tracer (a new trace when the header is absent or malformed),
    /// and that OTel context is attached around the inner service's `call` and every poll
    /// of its response future, so the handler's spawned work and downstream calls carry
    /// the trace. Off, the layer reads no trace header, starts no span and leaves the OTel
    /// context as it finds it (the connection task's, normally none): requests pay only for
    /// their bound vars. Without the `opentelemetry` feature there is no trace to continue
    /// and this setting does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::http::ContextLayer;
    /// use ctxrt::ContextVar;
    /// use tower::{service_fn, Layer, ServiceExt};
    ///
    /// static TENANT: ContextVar<String> = ContextVar::new("tenant");
    ///
    /// // Only the tenant per request; no server span, whatever the request's traceparent.
    /// let layer = ContextLayer::new()
    ///     .header("x-tenant", &TENANT)
    ///     .continue_trace(false);
    /// assert!(!layer.continues_trace());
    /// let svc = layer.layer(service_fn(|_req: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(TENANT.get()))
    /// }));
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let req = http::Request::builder()
    ///     .header("x-tenant", "acme")
    ///     .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    ///     .body(())
    ///     .unwrap();
    /// let resp = rt.block_on(svc.oneshot(req)).unwrap();
    /// assert_eq!(resp.body().as_deref(), Some("acme"));
    /// ```
    pub fn continue_trace(mut self, enable: bool) -> Self {
        Arc::make_mut(&mut self.config).continue_trace = enable;
        self
    }

    /// Whether this layer's requests continue their incoming trace: the
    /// [`continue_trace`](Self::continue_trace) setting with the `opentelemetry` feature,
    /// always `false` without it.
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = ctxrt::http::ContextLayer::new();
    /// // On by default wherever there is a trace to continue.
    /// assert_eq!(layer.continues_trace(), cfg!(feature = "opentelemetry"));
    /// assert!(!layer.continue_trace(false).continues_trace());
    /// ```
    pub fn continues_trace(&self) -> bool {
        trace::AVAILABLE && self.config.continue_trace
    }

    /// The request-id header's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = ctxrt::http::ContextLayer::new();
    /// assert_eq!(layer.request_id_header(), "x-request-id");
    /// ```
    pub fn request_id_header(&self) -> &HeaderName {
        &self.config.request_id
    }
}

impl Default for ContextLayer {
    fn default() -> Self {
        ContextLayer::new()
    }
}

impl fmt::Debug for ContextLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_struct("ContextLayer");
        list.field("request_id", &self.config.request_id);
        list.field("continues_trace", &self.continues_trace());
        for (name, var) in &self.config.bindings {
            list.field(name.as_str(), &var.name());
        }
        list.finish()
    }
}

impl<S> tower_layer::Layer<S> for ContextLayer {
    type Service = ContextService<S>;

    fn layer(&self, inner: S) -> ContextService<S> {
        ContextService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service made by [`ContextLayer`]: `inner`, run per request in a child context.
///
/// # Examples
///
/// ```
/// use ctxrt::http::ContextLayer;
/// use tower::{service_fn, Layer};
///
/// let svc = ContextLayer::new().layer(service_fn(|_: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
/// }));
/// let _inner = svc.get_ref();
/// ```
#[derive(Clone)]
pub struct ContextService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> ContextService<S> {
    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// let svc = ctxrt::http::ContextLayer::new().layer(5u8);
    /// assert_eq!(*svc.get_ref(), 5);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for ContextService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResB> tower_service::Service<Request<B>> for ContextService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let config = &*self.config;
        // A fresh child of the connection's context: the connection's own task-private
        // vars stay behind, and nothing a previous request set is in it.
        let mut ctx = Context::inherited();
        let mut request_id = None;
        for (name, var) in &config.bindings {
            let value = req
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let value = if *name == config.request_id {
                let id = value.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                request_id = Some(id.clone());
                Some(id)
            } else {
                value
            };
            if let Some(value) = value {
                ctx = ctx.with_value(var, value);
            }
        }
        let request_id = request_id.or_else(|| {
            // The id is echoed even when no var is bound to it.
            Some(
                req.headers()
                    .get(&config.request_id)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            )
        });
        let echo = request_id
            .and_then(|id| HeaderValue::from_str(&id).ok())
            .map(|value| (config.request_id.clone(), value));
        let inner = &mut self.inner;
        let trace = if config.continue_trace {
            RequestTrace::start(&req)
        } else {
            RequestTrace::none()
        };
        let future = trace.in_scope(|| ctx.run(|| inner.call(req)));
        ResponseFuture {
            inner: ctx.scope(future),
            echo,
            trace,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ContextService`]: polls the inner service's future inside the
    /// request's context and adds the request-id header to the response.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::http::ContextLayer;
    /// use tower::{service_fn, Layer, Service};
    ///
    /// let mut svc = ContextLayer::new().layer(service_fn(|_: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
    /// }));
    /// let fut: ctxrt::http::ResponseFuture<_> = svc.call(http::Request::new(()));
    /// let resp = futures::executor::block_on(fut).unwrap();
    /// assert!(resp.headers().contains_key("x-request-id"));
    /// ```
    pub struct ResponseFuture<F> {
        #[pin]
        inner: ContextScope<F>,
        echo: Option<(HeaderName, HeaderValue)>,
        trace: RequestTrace,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("echo", &self.echo)
            .finish_non_exhaustive()
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
{
    type Output = Result<Response<ResB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let trace = &*this.trace;
        let mut resp = match trace.in_scope(|| inner.poll(cx)) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(err)) => {
                trace.finish::<ResB>(None);
                return Poll::Ready(Err(err));
            }
            Poll::Ready(Ok(resp)) => {
                trace.finish(Some(&resp));
                resp
            }
        };
        if let Some((name, value)) = this.echo.take() {
            resp.headers_mut().insert(name, value);
        }
        Poll::Ready(Ok(resp))
    }
}
