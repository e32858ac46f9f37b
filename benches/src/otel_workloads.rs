//! OpenTelemetry workloads (ctxrt's `opentelemetry` feature): spawning with the spawner's
//! OTel context inherited against tokio's hand-written `.with_current_context()`, and
//! spawning with no OTel context at all (what every task pays for the feature).
//!
//! Fixture rules:
//! 1. The parent is a task on a 2-worker multi-thread runtime, spawned from `block_on`.
//!    Each round spawns an empty child and awaits it; timed by the parent with `Instant`
//!    after untimed warm-up rounds.
//! 2. Inherited rows: an OTel context holding a remote span (no SDK: nothing is recorded
//!    or exported) is current in the parent — ctxrt: the parent was spawned while it was
//!    attached; tokio: the parent is wrapped in `.with_context(cx)`. ctxrt children are
//!    plain `ctxrt::spawn(async {})` and run with it attached; tokio children are
//!    `tokio::spawn(async {}.with_current_context())`. Both check once, untimed, that the
//!    child sees the span.
//! 3. No-context rows: the same rounds with no OTel context anywhere; ctxrt is built with
//!    the feature (so every spawn looks at OTel's thread-local and every poll checks the
//!    task for a captured context), tokio spawns plainly. Compare its ratio with the same
//!    row's neighbours `chained_spawn`/`spawn_many_local` in a `--no-default-features`
//!    build for the cost of the feature itself.

use std::future::Future;
use std::time::Duration;

use opentelemetry::context::FutureExt;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context as OtelContext;

use crate::bench_runtime::BenchRuntime;
use crate::inherit_workloads::time_rounds;
use crate::runtime_workloads::WORKERS;
use crate::workload::{Contender, Measurement, Workload};

/// The OTel workloads, in table order.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::otel_workloads::workloads();
/// assert!(rows.iter().any(|w| w.name == "spawn + poll, inherited OTel context"));
/// ```
pub fn workloads() -> Vec<Workload> {
    let side = |name, run| Contender { name, run };
    vec![
        Workload::timed(
            "spawn + poll, inherited OTel context",
            "per task: with an OTel context (remote span) current, spawn an empty child \
             that runs with it attached and await it; ctxrt inherits it, tokio spawns \
             fut.with_current_context()",
            1,
            Some(1.0),
            side("ctxrt spawn (inherits OTel cx)", ctxrt_spawn_with_otel),
            side(
                "tokio spawn(fut.with_current_context())",
                tokio_spawn_with_otel,
            ),
        ),
        Workload::timed(
            "spawn + poll, no OTel context",
            "per task: no OTel context anywhere, spawn an empty child and await it; ctxrt \
             built with the opentelemetry feature vs plain tokio spawn",
            1,
            None,
            side("ctxrt spawn (feature on, no cx)", ctxrt_spawn_without_otel),
            side("tokio spawn", tokio_spawn_without_otel),
        ),
    ]
}

/// An OTel context with a remote span (rule 2).
fn remote_span() -> OtelContext {
    OtelContext::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    ))
}

fn sees_span() -> bool {
    OtelContext::current().span().span_context().is_valid()
}

/// Runs `parent` as a task of runtime `R`, spawned inside `otel` when given; returns its
/// elapsed time.
fn run_parent<R: BenchRuntime>(
    otel: Option<OtelContext>,
    parent: impl Future<Output = Duration> + Send + 'static,
) -> Duration {
    let rt = R::multi_thread(WORKERS);
    let elapsed = rt.block_on(async {
        let _attached = otel.map(OtelContext::attach);
        let handle = rt.spawn_on(parent);
        drop(_attached);
        handle.await.unwrap()
    });
    drop(rt);
    elapsed
}

/// ctxrt: a parent spawned with a span current spawns children that inherit it.
pub fn ctxrt_spawn_with_otel(iters: u64) -> Measurement {
    let parent = async move {
        assert!(sees_span(), "the parent inherits the OTel context");
        let seen = ctxrt::spawn(async { sees_span() });
        assert!(seen.await.unwrap(), "the child inherits");
        time_rounds(iters, || async {
            ctxrt::spawn(async {}).await.unwrap();
        })
        .await
    };
    let elapsed = run_parent::<ctxrt::runtime::Runtime>(Some(remote_span()), parent);
    Measurement::Elapsed(elapsed)
}

/// tokio: the same, every future wrapped by hand.
pub fn tokio_spawn_with_otel(iters: u64) -> Measurement {
    let parent = async move {
        assert!(sees_span(), "the parent runs in the OTel context");
        let seen = tokio::spawn(async { sees_span() }.with_current_context());
        assert!(seen.await.unwrap());
        time_rounds(iters, || async {
            tokio::spawn(async {}.with_current_context()).await.unwrap();
        })
        .await
    }
    .with_context(remote_span());
    Measurement::Elapsed(run_parent::<tokio::runtime::Runtime>(None, parent))
}

/// ctxrt with the feature compiled in, and no OTel context.
pub fn ctxrt_spawn_without_otel(iters: u64) -> Measurement {
    let parent = async move {
        assert!(!sees_span());
        time_rounds(iters, || async {
            ctxrt::spawn(async {}).await.unwrap();
        })
        .await
    };
    Measurement::Elapsed(run_parent::<ctxrt::runtime::Runtime>(None, parent))
}

/// tokio, plain.
pub fn tokio_spawn_without_otel(iters: u64) -> Measurement {
    let parent = async move {
        time_rounds(iters, || async {
            tokio::spawn(async {}).await.unwrap();
        })
        .await
    };
    Measurement::Elapsed(run_parent::<tokio::runtime::Runtime>(None, parent))
}
