//! `ContextLayer::continue_trace` (features `tower` + `opentelemetry`), on both flavours.
//! On (the default): the request's handler, and a task it spawns, run under a server span
//! that continues the incoming `traceparent`'s trace id. Off: the same request (with a
//! `traceparent`) gets no server span and no change of OTel context — the handler and its
//! task see exactly the caller's OTel context, a span they start is the caller's child,
//! and nothing is recorded under the incoming trace id.

use std::convert::Infallible;
use std::sync::OnceLock;

use ctxrt::http::ContextLayer;
use ctxrt::runtime::Runtime;
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer,
};
use opentelemetry::Context as OtelContext;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tower::{service_fn, Layer, ServiceExt};

/// The incoming `traceparent`'s ids (one trace id per test, so the flavours' and the two
/// tests' spans never mix in the shared exporter).
const TRACE_ON: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACE_OFF: &str = "5cf92f3577b34da6a3ce929d0e0e4737";
const PARENT_ID: &str = "00f067aa0ba902b7";
/// The OTel context current where the request is served (as a connection task may have).
const CALLER_TRACE: u128 = 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef;
const CALLER_SPAN: u64 = 0x0a0b_0c0d_0e0f_1011;

/// One in-memory exporter behind the global tracer provider for the whole test binary, so
/// a layer that continues traces records real spans.
fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        opentelemetry::global::set_tracer_provider(provider.clone());
        exporter
    })
}

fn caller_context() -> OtelContext {
    OtelContext::new().with_remote_span_context(SpanContext::new(
        TraceId::from(CALLER_TRACE),
        SpanId::from(CALLER_SPAN),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    ))
}

/// The OTel span contexts the handler and its spawned task saw, and the task's own span.
struct Seen {
    handler: SpanContext,
    task: SpanContext,
    task_span: SpanContext,
}

/// Serves one `GET /knob` with `traceparent: 00-{trace}-{PARENT_ID}-01` through a layer
/// with `continue_trace(on)`, from inside the caller's OTel context.
fn serve(rt: &Runtime, on: bool, trace: &str) -> Seen {
    exporter();
    let layer = ContextLayer::new().continue_trace(on);
    assert_eq!(layer.continues_trace(), on);
    let svc = layer.layer(service_fn(|_req: http::Request<()>| async {
        let handler = OtelContext::current().span().span_context().clone();
        let (task, task_span) = ctxrt::spawn(async {
            ctxrt::task::yield_now().await;
            let task = OtelContext::current().span().span_context().clone();
            let mut span = opentelemetry::global::tracer("test").start("in_task");
            let task_span = span.span_context().clone();
            span.end();
            (task, task_span)
        })
        .await
        .unwrap();
        Ok::<_, Infallible>(http::Response::new(Seen {
            handler,
            task,
            task_span,
        }))
    }));
    let req = http::Request::builder()
        .uri("/knob")
        .header("traceparent", format!("00-{trace}-{PARENT_ID}-01"))
        .body(())
        .unwrap();
    let _caller = caller_context().attach();
    let seen = rt.block_on(svc.oneshot(req)).unwrap().into_body();
    // Nothing the request did stays attached here.
    assert_eq!(
        OtelContext::current().span().span_context().span_id(),
        SpanId::from(CALLER_SPAN)
    );
    seen
}

fn spans_of(trace_id: TraceId) -> Vec<SpanData> {
    exporter()
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .collect()
}

fn on_continues_the_incoming_trace(rt: Runtime) {
    assert!(ContextLayer::new().continues_trace(), "on by default");
    let trace_id = TraceId::from_hex(TRACE_ON).unwrap();
    let seen = serve(&rt, true, TRACE_ON);
    assert_eq!(seen.handler.trace_id(), trace_id);
    assert_ne!(seen.handler.span_id(), SpanId::from_hex(PARENT_ID).unwrap());
    assert_eq!(seen.task, seen.handler, "the task inherits the server span");
    assert_eq!(seen.task_span.trace_id(), trace_id);

    let spans = spans_of(trace_id);
    let server = spans
        .iter()
        .find(|s| s.span_context.span_id() == seen.handler.span_id())
        .unwrap_or_else(|| panic!("no server span in {spans:?}"));
    assert_eq!(server.name, "GET /knob");
    assert_eq!(server.parent_span_id, SpanId::from_hex(PARENT_ID).unwrap());
    assert!(spans
        .iter()
        .any(|s| s.name == "in_task" && s.parent_span_id == seen.handler.span_id()));
}

fn off_starts_no_span_and_keeps_the_otel_context(rt: Runtime) {
    let caller = caller_context().span().span_context().clone();
    let seen = serve(&rt, false, TRACE_OFF);
    assert_eq!(
        seen.handler, caller,
        "the handler sees the caller's OTel context"
    );
    assert_eq!(seen.task, caller, "so does the task it spawns");

    // The task's span is recorded (the provider is live) as the caller's child.
    assert_eq!(seen.task_span.trace_id(), TraceId::from(CALLER_TRACE));
    let callers = spans_of(TraceId::from(CALLER_TRACE));
    let in_task = callers
        .iter()
        .find(|s| s.span_context.span_id() == seen.task_span.span_id())
        .unwrap_or_else(|| panic!("no in_task span in {callers:?}"));
    assert_eq!(in_task.parent_span_id, SpanId::from(CALLER_SPAN));
    // No server span anywhere, and nothing under the incoming trace id.
    assert!(callers.iter().all(|s| s.name != "GET /knob"), "{callers:?}");
    assert!(spans_of(TraceId::from_hex(TRACE_OFF).unwrap()).is_empty());
}

ctxrt_tests::on_both_flavors!(
    on_continues_the_incoming_trace,
    off_starts_no_span_and_keeps_the_otel_context,
);
