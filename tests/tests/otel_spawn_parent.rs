//! OTel context inheritance: a span started inside a spawned task, a blocking job or a
//! `ctxrt::thread` has the spawner's span as its parent (same trace id, parent span id =
//! the spawner's span id), with no `.with_context(cx)`, also after the task has yielded
//! (and on multi_thread, possibly migrated to another worker); and a task spawned without
//! any OTel context current sees none.

use ctxrt::runtime::Runtime;
use opentelemetry::trace::{Span as _, SpanId, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::Context as OtelContext;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

fn provider() -> (SdkTracerProvider, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name:?} exported; got {spans:?}"))
}

fn children_have_the_spawners_span_as_parent(rt: Runtime) {
    let (provider, exporter) = provider();
    let tracer = provider.tracer("ctxrt-tests");
    let parent = tracer.start("parent");
    let parent_cx = OtelContext::current_with_span(parent);
    let parent_id = parent_cx.span().span_context().span_id();
    let trace_id = parent_cx.span().span_context().trace_id();

    let seen = rt.block_on({
        let parent_cx = parent_cx.clone();
        async move {
            let _attached = parent_cx.attach();
            let task_tracer = tracer.clone();
            let task = ctxrt::spawn(async move {
                // Yield a few times first: the span must still be attached on a later
                // poll, possibly on another worker.
                for _ in 0..8 {
                    ctxrt::task::yield_now().await;
                }
                let seen = OtelContext::current().span().span_context().span_id();
                task_tracer.start("in_task").end();
                seen
            });
            let blocking_tracer = tracer.clone();
            let blocking = ctxrt::spawn_blocking(move || {
                let seen = OtelContext::current().span().span_context().span_id();
                blocking_tracer.start("in_blocking").end();
                seen
            });
            let thread_tracer = tracer.clone();
            let thread = ctxrt::thread::spawn(move || {
                let seen = OtelContext::current().span().span_context().span_id();
                thread_tracer.start("in_thread").end();
                seen
            });
            let thread = thread.join().unwrap();
            [task.await.unwrap(), blocking.await.unwrap(), thread]
        }
    });
    assert_eq!(
        seen, [parent_id; 3],
        "Context::current() inside the children"
    );
    parent_cx.span().end();
    drop(parent_cx);

    let spans = exporter.get_finished_spans().unwrap();
    let parent = span(&spans, "parent");
    assert_eq!(parent.span_context.span_id(), parent_id);
    for name in ["in_task", "in_blocking", "in_thread"] {
        let child = span(&spans, name);
        assert_eq!(child.span_context.trace_id(), trace_id, "{name}: trace id");
        assert_eq!(child.parent_span_id, parent_id, "{name}: parent span");
        assert!(!child.parent_span_is_remote, "{name}: the parent is local");
    }
}

fn a_task_spawned_without_an_otel_context_sees_none(rt: Runtime) {
    let (provider, exporter) = provider();
    let tracer = provider.tracer("ctxrt-tests");
    rt.block_on(async move {
        let task = ctxrt::spawn(async move {
            ctxrt::task::yield_now().await;
            let active = OtelContext::current().has_active_span();
            tracer.start("root").end();
            active
        });
        assert!(!task.await.unwrap());
    });
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(span(&spans, "root").parent_span_id, SpanId::INVALID);
}

ctxrt_tests::on_both_flavors!(
    children_have_the_spawners_span_as_parent,
    a_task_spawned_without_an_otel_context_sees_none,
);
