//! `ContextLayer` with `opentelemetry` continues an incoming W3C trace: the request's
//! server span has the `traceparent`'s span as its (remote) parent and the same trace id;
//! a task the handler spawns starts its spans under the server span and forwards the trace
//! (`inject`) with the server span as the downstream parent; baggage comes along. A request
//! without a `traceparent`, or with a malformed one, starts a new trace instead of failing.

use std::convert::Infallible;
use std::sync::OnceLock;

use ctxrt::context::opentelemetry::inject;
use ctxrt::http::ContextLayer;
use ctxrt::runtime::Runtime;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{Span as _, SpanId, TraceContextExt, TraceId, Tracer};
use opentelemetry::Context as OtelContext;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tower::{service_fn, Layer, ServiceExt};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

/// One in-memory exporter behind the global tracer provider, for the whole test binary
/// (tests tell their spans apart by trace id).
fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        opentelemetry::global::set_tracer_provider(provider);
        exporter
    })
}

/// What the handler's spawned task saw.
struct Seen {
    trace_id: TraceId,
    server_span: SpanId,
    tenant: Option<String>,
    forwarded: http::HeaderMap,
}

fn serve(rt: &Runtime, traceparent: Option<&str>) -> Seen {
    exporter();
    let svc = ContextLayer::new().layer(service_fn(|_req: http::Request<()>| async {
        let server = OtelContext::current().span().span_context().clone();
        let seen = ctxrt::spawn(async move {
            ctxrt::task::yield_now().await;
            opentelemetry::global::tracer("test").start("in_task").end();
            let mut forwarded = http::HeaderMap::new();
            inject(&mut forwarded);
            let cx = OtelContext::current();
            let tenant = cx.baggage().get("tenant").map(|v| v.to_string());
            Seen {
                trace_id: server.trace_id(),
                server_span: server.span_id(),
                tenant,
                forwarded,
            }
        })
        .await
        .unwrap();
        Ok::<_, Infallible>(http::Response::new(seen))
    }));
    let mut req = http::Request::builder()
        .uri("/orders")
        .header("baggage", "tenant=acme");
    if let Some(traceparent) = traceparent {
        req = req.header("traceparent", traceparent);
    }
    let req = req.body(()).unwrap();
    rt.block_on(svc.oneshot(req)).unwrap().into_body()
}

fn spans_of(trace_id: TraceId) -> Vec<SpanData> {
    let spans = exporter().get_finished_spans().unwrap();
    spans
        .into_iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .collect()
}

fn find(spans: &[SpanData], pred: impl Fn(&SpanData) -> bool) -> &SpanData {
    spans
        .iter()
        .find(|s| pred(s))
        .unwrap_or_else(|| panic!("no such span in {spans:?}"))
}

fn an_incoming_trace_is_continued(rt: Runtime) {
    let traceparent = format!("00-{TRACE_ID}-{PARENT_ID}-01");
    let seen = serve(&rt, Some(&traceparent));
    assert_eq!(seen.trace_id, TraceId::from_hex(TRACE_ID).unwrap());
    assert_eq!(seen.tenant.as_deref(), Some("acme"));
    // Downstream: same trace, the server span as parent.
    assert_eq!(
        seen.forwarded["traceparent"],
        format!("00-{TRACE_ID}-{}-01", seen.server_span).as_str()
    );
    assert_eq!(seen.forwarded["baggage"], "tenant=acme");

    // Both flavours continue the same incoming trace: pick this request's spans.
    let spans = spans_of(seen.trace_id);
    let server = find(&spans, |s| s.span_context.span_id() == seen.server_span);
    assert_eq!(server.name, "GET /orders");
    assert_eq!(server.parent_span_id, SpanId::from_hex(PARENT_ID).unwrap());
    assert!(server.parent_span_is_remote);
    let child = find(&spans, |s| s.parent_span_id == seen.server_span);
    assert_eq!(child.name, "in_task");
}

fn a_missing_or_malformed_traceparent_starts_a_new_trace(rt: Runtime) {
    for traceparent in [
        None,
        Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        Some("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"),
    ] {
        let seen = serve(&rt, traceparent);
        assert_ne!(seen.trace_id, TraceId::INVALID, "{traceparent:?}");
        assert_ne!(
            seen.trace_id,
            TraceId::from_hex(TRACE_ID).unwrap(),
            "{traceparent:?}"
        );
        let spans = spans_of(seen.trace_id);
        let server = find(&spans, |s| s.name == "GET /orders");
        assert_eq!(server.span_context.span_id(), seen.server_span);
        assert_eq!(
            server.parent_span_id,
            SpanId::INVALID,
            "{traceparent:?}: a root"
        );
        assert_eq!(
            find(&spans, |s| s.name == "in_task").parent_span_id,
            seen.server_span
        );
        assert_eq!(seen.tenant.as_deref(), Some("acme"));
    }
}

ctxrt_tests::on_both_flavors!(
    an_incoming_trace_is_continued,
    a_missing_or_malformed_traceparent_starts_a_new_trace,
);
