//! Trace continuation in [`ContextLayer`](super::ContextLayer) (features `tower` and
//! `opentelemetry`): each request's W3C `traceparent`/`tracestate` and `baggage` are
//! extracted ([`ctxrt_context::opentelemetry::extract`]), a server span named
//! `"METHOD /path"` is started under the remote parent through OTel's global tracer, and
//! the resulting OTel context is attached around the inner service's `call` and every poll
//! of its response future. Work the handler spawns inherits it (runtime/src/otel/), so
//! its spans are children of the request's span, and a client it calls can forward the
//! trace with [`ctxrt_context::opentelemetry::inject`].
//!
//! A request without a valid `traceparent` (absent or malformed) starts a new trace when
//! a tracer provider is installed; with none (OTel's no-op global), the request simply
//! carries the remote span context, if any, unchanged. The span ends when the response is
//! ready (status `Error` for a 5xx, or for an `Err` from the inner service). A response
//! future dropped before that ends it with the last clone of the request's OTel context
//! (OTel ends an SDK span on drop): at once, or when the last task the handler spawned
//! under it finishes.
//!
//! A layer built with `continue_trace(false)` gets [`RequestTrace::none`] per request:
//! no header read, no span, nothing attached.

use ::http::{Request, Response};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::Context as OtelContext;

/// `ContextLayer::continues_trace` can be true: this build has a trace to continue.
pub(super) const AVAILABLE: bool = true;

/// The OTel context of one request; `None` when the layer does not continue traces
/// (`ContextLayer::continue_trace(false)`), and then every method does nothing.
pub(super) struct RequestTrace {
    otel: Option<OtelContext>,
}

impl RequestTrace {
    /// Continues `req`'s incoming trace (or starts one) with a server span.
    pub(super) fn start<B>(req: &Request<B>) -> RequestTrace {
        let parent = ctxrt_context::opentelemetry::extract(req.headers());
        let name = format!("{} {}", req.method(), req.uri().path());
        let tracer = opentelemetry::global::tracer("ctxrt");
        let span = tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .start_with_context(&tracer, &parent);
        RequestTrace {
            otel: Some(parent.with_span(span)),
        }
    }

    /// No trace: the OTel context is left as it is.
    pub(super) fn none() -> RequestTrace {
        RequestTrace { otel: None }
    }

    /// Runs `f` with the request's OTel context attached (if any).
    pub(super) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _attached = self.otel.as_ref().map(|otel| otel.clone().attach());
        f()
    }

    /// Ends the request's span (if any) with the response's outcome.
    pub(super) fn finish<B>(&self, resp: Option<&Response<B>>) {
        let Some(otel) = &self.otel else {
            return;
        };
        let span = otel.span();
        match resp {
            Some(resp) if resp.status().is_server_error() => {
                span.set_status(Status::error(resp.status().to_string()));
            }
            Some(_) => {}
            None => span.set_status(Status::error("the inner service failed")),
        }
        span.end();
    }
}
