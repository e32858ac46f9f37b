//! OTel inheritance opt-out: a task, blocking job or `ctxrt::thread` spawned inside
//! `ctxrt::task::without_otel_inheritance` runs without its spawner's OTel context (no
//! span, no baggage; a span it starts is a new root), while context variables are still
//! inherited; spawns made next to it, outside the closure, still inherit; and the opt-out
//! is per spawn, not sticky: an opted-out task that attaches an OTel context of its own
//! passes that one on to its children.

use ctxrt::runtime::Runtime;
use ctxrt::ContextVar;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{Span as _, SpanId, TraceContextExt, TraceId, Tracer, TracerProvider};
use opentelemetry::{Context as OtelContext, KeyValue};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

static REQUEST: ContextVar<&'static str> = ContextVar::new("request");

/// What a child saw: its current OTel span id, the baggage entry `tenant`, and `REQUEST`.
type Seen = (SpanId, Option<String>, Option<&'static str>);

fn seen() -> Seen {
    let otel = OtelContext::current();
    let tenant = otel.baggage().get("tenant").map(|v| v.to_string());
    (otel.span().span_context().span_id(), tenant, REQUEST.get())
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name:?} exported; got {spans:?}"))
}

fn opted_out_spawns_run_without_the_spawners_otel_context(rt: Runtime) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("ctxrt-tests");
    let parent_cx = OtelContext::current_with_span(tracer.start("parent"))
        .with_baggage(vec![KeyValue::new("tenant", "acme")]);
    let parent_id = parent_cx.span().span_context().span_id();
    let trace_id = parent_cx.span().span_context().trace_id();

    let results = rt.block_on({
        let parent_cx = parent_cx.clone();
        async move {
            REQUEST.set("r-1");
            // Attached only around the spawns, never across an await: on current_thread
            // the runtime polls the children on this thread between this future's polls.
            let (inheriting, task, blocking, thread, own, after) = {
                let _attached = parent_cx.attach();
                let inheriting = ctxrt::spawn(async {
                    ctxrt::task::yield_now().await;
                    seen()
                });
                let (task, blocking, thread, own) = ctxrt::task::without_otel_inheritance(|| {
                    let task_tracer = tracer.clone();
                    let task = ctxrt::spawn(async move {
                        for _ in 0..4 {
                            ctxrt::task::yield_now().await;
                        }
                        task_tracer.start("opted_out_task").end();
                        seen()
                    });
                    let blocking_tracer = tracer.clone();
                    let blocking = ctxrt::spawn_blocking(move || {
                        blocking_tracer.start("opted_out_blocking").end();
                        seen()
                    });
                    let thread_tracer = tracer.clone();
                    let thread = ctxrt::thread::spawn(move || {
                        thread_tracer.start("opted_out_thread").end();
                        seen()
                    });
                    // Not sticky: an opted-out task's own OTel context reaches its child.
                    let own_tracer = tracer.clone();
                    let own = ctxrt::spawn(async move {
                        let own_cx = OtelContext::current_with_span(own_tracer.start("own"));
                        let own_id = own_cx.span().span_context().span_id();
                        let grandchild = {
                            let _attached = own_cx.clone().attach();
                            ctxrt::spawn(async {
                                ctxrt::task::yield_now().await;
                                seen()
                            })
                        };
                        let grandchild = grandchild.await.unwrap();
                        own_cx.span().end();
                        (own_id, grandchild)
                    });
                    (task, blocking, thread, own)
                });
                // The opt-out ended with the closure.
                let after = ctxrt::spawn(async { seen() });
                (inheriting, task, blocking, thread, own, after)
            };
            let thread = thread.join().unwrap();
            (
                inheriting.await.unwrap(),
                task.await.unwrap(),
                blocking.await.unwrap(),
                thread,
                own.await.unwrap(),
                after.await.unwrap(),
            )
        }
    });
    let (inheriting, task, blocking, thread, (own_id, grandchild), after) = results;
    let inherited: Seen = (parent_id, Some("acme".to_string()), Some("r-1"));
    let opted_out: Seen = (SpanId::INVALID, None, Some("r-1"));
    assert_eq!(
        inheriting, inherited,
        "a spawn next to the opt-out inherits"
    );
    assert_eq!(after, inherited, "a spawn after the opt-out inherits");
    assert_eq!(task, opted_out, "opted-out task");
    assert_eq!(blocking, opted_out, "opted-out blocking job");
    assert_eq!(thread, opted_out, "opted-out thread");
    assert_eq!(
        grandchild,
        (own_id, None, Some("r-1")),
        "the child of an opted-out task inherits that task's own OTel context"
    );
    parent_cx.span().end();
    drop(parent_cx);

    let spans = exporter.get_finished_spans().unwrap();
    for name in [
        "opted_out_task",
        "opted_out_blocking",
        "opted_out_thread",
        "own",
    ] {
        let root = span(&spans, name);
        assert_eq!(root.parent_span_id, SpanId::INVALID, "{name}: a new root");
        assert_ne!(
            root.span_context.trace_id(),
            trace_id,
            "{name}: a new trace"
        );
        assert_ne!(
            root.span_context.trace_id(),
            TraceId::INVALID,
            "{name}: sampled"
        );
    }
}

ctxrt_tests::on_both_flavors!(opted_out_spawns_run_without_the_spawners_otel_context);
