//! With the `tracing` feature, a task, blocking job or `ctxrt::thread` spawned while a
//! `tracing::Span` is entered runs inside that span: its events and the spans it opens
//! nest under the spawner's span, with no `.instrument()`, on both flavours and on
//! whichever worker polls it; `without_span_inheritance` opts a spawn out; spans are
//! exited after every poll, so nothing leaks onto the worker.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use ctxrt::runtime::Runtime;
use tracing::{info, info_span, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// What the capturing layer saw.
#[derive(Default)]
struct Seen {
    /// (message, span names from the root, thread name) of each event.
    events: Vec<(String, Vec<String>, String)>,
    /// (span name, parent span name) of each new span.
    spans: Vec<(String, Option<String>)>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Seen>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(
        &self,
        _: &tracing::span::Attributes<'_>,
        id: &tracing::Id,
        ctx: Context<'_, S>,
    ) {
        let span = ctx.span(id).unwrap();
        let parent = span.parent().map(|p| p.name().to_string());
        self.0
            .lock()
            .unwrap()
            .spans
            .push((span.name().to_string(), parent));
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let (message, scope) = ctxrt_tests::event_message_and_scope(event, &ctx);
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        self.0.lock().unwrap().events.push((message, scope, thread));
    }
}

impl Capture {
    fn scope_of(&self, message: &str) -> Vec<String> {
        let seen = self.0.lock().unwrap();
        let scopes: Vec<_> = seen.events.iter().filter(|e| e.0 == message).collect();
        assert_eq!(
            scopes.len(),
            1,
            "one event {message:?} in {:#?}",
            seen.events
        );
        scopes[0].1.clone()
    }
}

fn with_capture(current_thread: bool, body: impl FnOnce(&Runtime)) -> Capture {
    let capture = Capture::default();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(capture.clone()));
    let rt = ctxrt_tests::runtime_logging_to(current_thread, dispatch.clone());
    tracing::dispatcher::with_default(&dispatch, || body(&rt));
    drop(rt);
    capture
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn children_nest_under_the_spawners_span(current_thread: bool) {
    let capture = with_capture(current_thread, |rt| {
        rt.block_on(async {
            let request = info_span!("request");
            let (task, job, thread, detached) = request.in_scope(|| {
                let task = ctxrt::spawn(async {
                    info!("in task");
                    ctxrt::task::yield_now().await;
                    info!("in task after a yield");
                    let inner = info_span!("inner");
                    let grandchild =
                        inner.in_scope(|| ctxrt::spawn(async { info!("in grandchild") }));
                    grandchild.await.unwrap();
                });
                let job = ctxrt::spawn_blocking(|| info!("in blocking job"));
                let thread = ctxrt::thread::spawn(|| info!("in thread"));
                let detached = ctxrt::task::without_span_inheritance(|| {
                    ctxrt::spawn(async { info!("in detached task") })
                });
                (task, job, thread, detached)
            });
            task.await.unwrap();
            job.await.unwrap();
            thread.join().unwrap();
            detached.await.unwrap();
            // Nothing stays entered on the threads that polled spanned tasks.
            for _ in 0..4 {
                ctxrt::spawn(async { info!("unspanned") }).await.unwrap();
            }
            info!("back in block_on");
        });
    });
    assert_eq!(capture.scope_of("in task"), names(&["request"]));
    assert_eq!(
        capture.scope_of("in task after a yield"),
        names(&["request"])
    );
    assert_eq!(
        capture.scope_of("in grandchild"),
        names(&["request", "inner"])
    );
    assert_eq!(capture.scope_of("in blocking job"), names(&["request"]));
    assert_eq!(capture.scope_of("in thread"), names(&["request"]));
    assert!(capture.scope_of("in detached task").is_empty());
    assert!(capture.scope_of("back in block_on").is_empty());
    let seen = capture.0.lock().unwrap();
    assert!(seen
        .events
        .iter()
        .filter(|e| e.0 == "unspanned")
        .all(|e| e.1.is_empty()));
    // The span opened inside the task has the spawner's span as its parent.
    assert!(seen
        .spans
        .contains(&("inner".to_string(), Some("request".to_string()))));
}

/// Many spanned tasks that yield often, woken from other threads, on two workers: every
/// poll of every task is inside its own span, whichever worker runs it.
fn spans_follow_tasks_across_workers(current_thread: bool) {
    const TASKS: usize = 16;
    const POLLS: usize = 20;
    let capture = with_capture(current_thread, |rt| {
        rt.block_on(async {
            let mut handles = Vec::new();
            let runtime = ctxrt::runtime::Handle::current();
            let dispatch = tracing::dispatcher::get_default(Clone::clone);
            for i in 0..TASKS {
                let span = info_span!("req", i);
                // Spawned from a plain thread, so the task starts on the injector.
                let handle = std::thread::scope(|s| {
                    s.spawn(|| {
                        let _subscriber = tracing::dispatcher::set_default(&dispatch);
                        span.in_scope(|| {
                            runtime.spawn(async move {
                                for _ in 0..POLLS {
                                    info!("poll {i}");
                                    ctxrt::task::yield_now().await;
                                }
                            })
                        })
                    })
                    .join()
                    .unwrap()
                });
                handles.push(handle);
            }
            for handle in handles {
                handle.await.unwrap();
            }
        });
    });
    let seen = capture.0.lock().unwrap();
    let polls: Vec<_> = seen
        .events
        .iter()
        .filter(|e| e.0.starts_with("poll "))
        .collect();
    assert_eq!(polls.len(), TASKS * POLLS);
    assert!(polls.iter().all(|e| e.1 == names(&["req"])), "{polls:#?}");
    let threads: BTreeSet<&str> = polls.iter().map(|e| e.2.as_str()).collect();
    if !current_thread {
        // Which worker polls what is up to the scheduler; both usually do.
        eprintln!("polled on {threads:?}");
    }
}

ctxrt_tests::on_both_flavors!(
    flag: children_nest_under_the_spawners_span,
    spans_follow_tasks_across_workers
);
