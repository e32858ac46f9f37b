//! Observability workloads (ctxrt's `tracing` feature): span inheritance against tokio's
//! hand-written `.instrument(span)`, and `ContextLayer` against passing the same fields by
//! hand.
//!
//! Fixture rules:
//! 1. Span rows: the parent is a task on a 2-worker multi-thread runtime, spawned from
//!    `block_on`, wrapped in `WithDispatch` (a `tracing_subscriber::registry()` with no
//!    layers: spans are real, nothing is printed), so `Span::current()` works on whichever
//!    worker polls it; it runs inside span `request` (ctxrt: spawned while it is entered;
//!    tokio: `.instrument(request)`). Each round spawns an empty child and awaits it: ctxrt
//!    `ctxrt::spawn(async {})`, whose child inherits the span; tokio
//!    `tokio::spawn(async {}.instrument(Span::current()))`. Both children are polled
//!    inside `request`. Timed by the parent with `Instant`, after untimed warm-up rounds.
//! 2. Layer rows: one thread, a `fmt` layer writing to `io::sink()`, no ANSI, no time; the
//!    subject wraps it in `ContextLayer` and runs in a context with two loggable bindings,
//!    emitting `info!("handled")`; the baseline emits
//!    `info!(request_id = .., tenant = .., "handled")` with the same values held in locals.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use ctxrt::context::tracing::ContextLayer;
use ctxrt::ContextVar;
use tracing::instrument::{Instrument, WithSubscriber};
use tracing::{info, info_span, Span};
use tracing_subscriber::layer::SubscriberExt;

use crate::bench_runtime::BenchRuntime;
use crate::inherit_workloads::time_rounds;
use crate::runtime_workloads::WORKERS;
use crate::workload::{Contender, Measurement, Workload};

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
static TENANT: ContextVar<&'static str> = ContextVar::new("tenant").logged();

/// The observability workloads, in table order.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::tracing_workloads::workloads();
/// assert!(rows.iter().any(|w| w.name == "spawn + poll, inherited span"));
/// ```
pub fn workloads() -> Vec<Workload> {
    let side = |name, run| Contender { name, run };
    vec![
        Workload::timed(
            "spawn + poll, inherited span",
            "per task: inside span `request`, spawn an empty child that runs in it and await \
             it; ctxrt inherits the span, tokio spawns fut.instrument(Span::current())",
            1,
            Some(1.0),
            side("ctxrt spawn (inherits span)", ctxrt_spawn_in_span),
            side(
                "tokio spawn(fut.instrument(span))",
                tokio_spawn_instrumented,
            ),
        ),
        Workload::timed(
            "ContextLayer event",
            "per event: info! through a fmt layer writing to a sink; ctxrt wraps it in \
             ContextLayer with 2 loggable bindings, the baseline passes the 2 fields by hand",
            1,
            None,
            side("ContextLayer(fmt), 2 bindings", context_layer_event),
            side("fmt, 2 fields by hand", fields_by_hand_event),
        ),
    ]
}

/// The dispatch every span row's parent runs under (rule 1).
fn registry_dispatch() -> tracing::Dispatch {
    tracing::Dispatch::new(tracing_subscriber::registry())
}

/// Runs `parent` as a task of runtime `R` under `dispatch`; returns its elapsed time.
fn run_parent<R: BenchRuntime>(
    dispatch: tracing::Dispatch,
    parent: impl Future<Output = Duration> + Send + 'static,
) -> Duration {
    let rt = R::multi_thread(WORKERS);
    let parent = parent.with_subscriber(dispatch);
    let elapsed = rt.block_on(async { rt.spawn_on(parent).await.unwrap() });
    drop(rt);
    elapsed
}

/// ctxrt: a parent spawned inside `request` spawns children that inherit it.
pub fn ctxrt_spawn_in_span(iters: u64) -> Measurement {
    let dispatch = registry_dispatch();
    let elapsed = tracing::dispatcher::with_default(&dispatch, || {
        let request = info_span!("request");
        let check = dispatch.clone();
        let parent = async move {
            assert!(!Span::current().is_none(), "the parent runs in `request`");
            let seen = ctxrt::spawn(
                async { Span::current().metadata().map(|m| m.name()) }.with_subscriber(check),
            );
            assert_eq!(seen.await.unwrap(), Some("request"), "the child inherits");
            time_rounds(iters, || async {
                ctxrt::spawn(async {}).await.unwrap();
            })
            .await
        };
        // Spawned while `request` is entered: the parent task runs inside it.
        let rt = <ctxrt::runtime::Runtime as BenchRuntime>::multi_thread(WORKERS);
        let parent = parent.with_subscriber(dispatch.clone());
        let elapsed = rt.block_on(async {
            let handle = request.in_scope(|| ctxrt::spawn(parent));
            handle.await.unwrap()
        });
        drop(rt);
        elapsed
    });
    Measurement::Elapsed(elapsed)
}

/// tokio: the same, every future instrumented by hand.
pub fn tokio_spawn_instrumented(iters: u64) -> Measurement {
    let dispatch = registry_dispatch();
    let request = tracing::dispatcher::with_default(&dispatch, || info_span!("request"));
    let check = dispatch.clone();
    let elapsed = run_parent::<tokio::runtime::Runtime>(
        dispatch,
        async move {
            assert!(!Span::current().is_none(), "the parent runs in `request`");
            let seen = tokio::spawn(
                async { Span::current().metadata().map(|m| m.name()) }
                    .instrument(Span::current())
                    .with_subscriber(check),
            );
            assert_eq!(seen.await.unwrap(), Some("request"));
            time_rounds(iters, || async {
                tokio::spawn(async {}.instrument(Span::current()))
                    .await
                    .unwrap();
            })
            .await
        }
        .instrument(request),
    );
    Measurement::Elapsed(elapsed)
}

/// A `fmt` subscriber writing to a sink (rule 2), wrapped in `ContextLayer` or not.
fn sink_dispatch(context_layer: bool) -> tracing::Dispatch {
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .without_time()
        .with_writer(std::io::sink);
    if context_layer {
        tracing::Dispatch::new(tracing_subscriber::registry().with(ContextLayer::new(fmt)))
    } else {
        tracing::Dispatch::new(tracing_subscriber::registry().with(fmt))
    }
}

/// `info!` with the bindings added by `ContextLayer`.
pub fn context_layer_event(iters: u64) -> Measurement {
    let dispatch = sink_dispatch(true);
    let elapsed = tracing::dispatcher::with_default(&dispatch, || {
        ctxrt::Context::new().run(|| {
            REQUEST_ID.set("req-0001".into());
            TENANT.set("acme");
            let start = Instant::now();
            for _ in 0..iters {
                info!("handled");
            }
            start.elapsed()
        })
    });
    Measurement::Elapsed(elapsed)
}

/// `info!` with the same two fields passed by hand.
pub fn fields_by_hand_event(iters: u64) -> Measurement {
    let dispatch = sink_dispatch(false);
    let request_id = black_box(String::from("req-0001"));
    let tenant = black_box("acme");
    let elapsed = tracing::dispatcher::with_default(&dispatch, || {
        let start = Instant::now();
        for _ in 0..iters {
            info!(request_id = %request_id, tenant = %tenant, "handled");
        }
        start.elapsed()
    });
    Measurement::Elapsed(elapsed)
}
