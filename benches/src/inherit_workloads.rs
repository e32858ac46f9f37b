//! Inheritance workloads: what it costs a spawned task to see its parent's values — ctxrt
//! context inheritance against tokio `task_local!` scopes re-established by hand.
//!
//! tokio has no inheritance: a task sees a task-local only if its future is wrapped in
//! `LOCAL.scope(value, fut)`. So "a child that sees the parent's k values" is, on tokio,
//! k nested `LOCALS[i].scope(LOCALS[i].get(), fut)` wrappers built in the parent; on
//! ctxrt it is a plain `ctxrt::spawn`, which snapshots the parent's context.
//!
//! Fixture rules:
//! 1. The parent is itself a task on a 2-worker multi-thread runtime (so spawns go to the
//!    worker's local queue on both sides, and the await is a local wake), spawned from
//!    `block_on`. It times its own loop with `Instant` and returns the elapsed time.
//! 2. The parent holds exactly k values: ctxrt sets `VARS[0..k]` in its context; tokio's
//!    parent future is wrapped in k scopes `LOCALS[i] = i`.
//! 3. The child reads the *last* of the k values (`VARS[k - 1]`, sorted last in ctxrt's
//!    binding map: its worst case) and returns it; the parent awaits it and `black_box`es
//!    the value. Both sides assert the child saw the parent's value before timing.
//! 4. [`WARM_UP`] spawns run untimed first; the runtime is built before and dropped after.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use ctxrt::ContextVar;
use tokio::task::LocalKey;

use crate::bench_runtime::BenchRuntime;
use crate::runtime_workloads::WORKERS;
use crate::workload::{Contender, Measurement, Workload};

/// Untimed spawns before the clock starts (rule 4).
const WARM_UP: u64 = 256;

/// The vars a ctxrt parent sets (rule 2); 64 for the "64 bindings" row.
pub static VARS: [ContextVar<u64>; 64] = [const { ContextVar::new("bench.inherited") }; 64];

tokio::task_local! {
    static LOCAL_0: u64;
    static LOCAL_1: u64;
    static LOCAL_2: u64;
    static LOCAL_3: u64;
    static LOCAL_4: u64;
    static LOCAL_5: u64;
    static LOCAL_6: u64;
    static LOCAL_7: u64;
    static LOCAL_8: u64;
    static LOCAL_9: u64;
    static LOCAL_10: u64;
    static LOCAL_11: u64;
    static LOCAL_12: u64;
    static LOCAL_13: u64;
    static LOCAL_14: u64;
    static LOCAL_15: u64;
}

/// The task-locals a tokio parent scopes (rule 2), by index.
pub static LOCALS: [&LocalKey<u64>; 16] = [
    &LOCAL_0, &LOCAL_1, &LOCAL_2, &LOCAL_3, &LOCAL_4, &LOCAL_5, &LOCAL_6, &LOCAL_7, &LOCAL_8,
    &LOCAL_9, &LOCAL_10, &LOCAL_11, &LOCAL_12, &LOCAL_13, &LOCAL_14, &LOCAL_15,
];

/// Wraps a future in nested `LOCALS[i].scope(value(i), ..)`, outermost first; each
/// `value(i)` is evaluated here, in the caller, in index order.
///
/// `in_local_scopes!(fut, |i: usize| LOCALS[i].get(); 0, 1)` is
/// `LOCALS[0].scope(LOCALS[0].get(), LOCALS[1].scope(LOCALS[1].get(), fut))`.
macro_rules! in_local_scopes {
    ($fut:expr, $value:expr; $i:literal) => {
        $crate::inherit_workloads::LOCALS[$i].scope(($value)($i), $fut)
    };
    ($fut:expr, $value:expr; $i:literal, $($rest:literal),+) => {
        $crate::inherit_workloads::LOCALS[$i]
            .scope(($value)($i), in_local_scopes!($fut, $value; $($rest),+))
    };
}
pub(crate) use in_local_scopes;

/// The inheritance workloads, in table order.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::inherit_workloads::workloads();
/// assert!(rows.iter().any(|w| w.name == "spawn inheriting 4 vars"));
/// ```
pub fn workloads() -> Vec<Workload> {
    let row = |name, description, target, subject, baseline| {
        Workload::timed(name, description, 1, target, subject, baseline)
    };
    let side = |name, run| Contender { name, run };
    const CTXRT: &str = "ctxrt spawn (inherits)";
    const TOKIO: &str = "tokio spawn + k scope()s";
    vec![
        row(
            "spawn inheriting 1 var",
            "per task: spawn a child that reads the parent's value, await it; ctxrt inherits \
             1 var, tokio wraps the child in 1 LocalKey::scope",
            None,
            side(CTXRT, ctxrt_spawn_inheriting::<1>),
            side(TOKIO, tokio_spawn_scoped_1),
        ),
        row(
            "spawn inheriting 4 vars",
            "per task: the same with 4 values (tokio: 4 nested scope wrappers)",
            Some(0.8),
            side(CTXRT, ctxrt_spawn_inheriting::<4>),
            side(TOKIO, tokio_spawn_scoped_4),
        ),
        row(
            "spawn inheriting 16 vars",
            "per task: the same with 16 values (tokio: 16 nested scope wrappers)",
            None,
            side(CTXRT, ctxrt_spawn_inheriting::<16>),
            side(TOKIO, tokio_spawn_scoped_16),
        ),
        row(
            "spawn, 64 vs 0 bindings",
            "per task: spawn an empty child and await it, parent context with 64 bindings vs \
             an empty one (within ctxrt)",
            Some(1.05),
            side("ctxrt spawn (64 bindings)", ctxrt_spawn_empty::<64>),
            side("ctxrt spawn (0 bindings)", ctxrt_spawn_empty::<0>),
        ),
        row(
            "spawn_blocking inheriting 4 vars",
            "per job: from block_on, spawn_blocking a closure that reads the last of 4 values, \
             await it; tokio reads the 4 before and re-enters them with nested sync_scope",
            Some(1.0),
            side(
                "ctxrt spawn_blocking (inherits)",
                ctxrt_spawn_blocking_inheriting,
            ),
            side(
                "tokio spawn_blocking + 4 sync_scope()s",
                tokio_spawn_blocking_scoped,
            ),
        ),
    ]
}

/// Builds the 2-worker runtime of side `R`, runs `parent` as a task on it, returns what
/// the task returns (rule 1); the runtime is dropped before returning.
fn run_parent<R: BenchRuntime>(
    parent: impl Future<Output = Duration> + Send + 'static,
) -> Duration {
    let rt = R::multi_thread(WORKERS);
    let elapsed = rt.block_on(async { rt.spawn_on(parent).await.unwrap() });
    drop(rt);
    elapsed
}

/// Times `iters` rounds of `round` after [`WARM_UP`] untimed ones (rule 4); the tracing
/// rows time theirs the same way.
pub(crate) async fn time_rounds<F: Future>(iters: u64, mut round: impl FnMut() -> F) -> Duration {
    for _ in 0..WARM_UP {
        round().await;
    }
    let start = Instant::now();
    for _ in 0..iters {
        round().await;
    }
    start.elapsed()
}

/// Sets `VARS[0..k]` to `0..k` in the current (task's) context; the tokens are dropped,
/// so the values stay for the task's life.
fn set_vars(k: usize) {
    for (value, var) in (0u64..).zip(&VARS[..k]) {
        drop(var.set(value));
    }
}

/// Spawns a child that reads `VARS[K - 1]` and awaits it, `iters` times.
pub fn ctxrt_spawn_inheriting<const K: usize>(iters: u64) -> Measurement {
    let elapsed = run_parent::<ctxrt::runtime::Runtime>(async move {
        set_vars(K);
        let expected = Some(K as u64 - 1);
        let seen = ctxrt::spawn(async { VARS[K - 1].get() }).await.unwrap();
        assert_eq!(seen, expected, "the child inherits the parent's value");
        time_rounds(iters, || async move {
            let child = ctxrt::spawn(async { black_box(&VARS[K - 1]).get() });
            black_box(child.await.unwrap());
        })
        .await
    });
    Measurement::Elapsed(elapsed)
}

/// Spawns an empty child and awaits it, `iters` times, the parent holding `K` bindings.
pub fn ctxrt_spawn_empty<const K: usize>(iters: u64) -> Measurement {
    let elapsed = run_parent::<ctxrt::runtime::Runtime>(async move {
        set_vars(K);
        assert_eq!(
            ctxrt::Context::current().len(),
            K,
            "the parent holds K bindings"
        );
        time_rounds(iters, || async move {
            ctxrt::spawn(async {}).await.unwrap();
        })
        .await
    });
    Measurement::Elapsed(elapsed)
}

/// Defines a tokio side: the parent is wrapped in the listed scopes (values `i`), and each
/// child in the same scopes with the parent's current values; the child reads `$last`.
macro_rules! tokio_spawn_scoped {
    ($(#[$doc:meta])* $name:ident, last = $last:literal; $($i:literal),+) => {
        $(#[$doc])*
        pub fn $name(iters: u64) -> Measurement {
            let parent = async move {
                let spawn_child = || {
                    tokio::spawn(in_local_scopes!(
                        async { black_box(LOCALS[$last]).get() },
                        |i: usize| LOCALS[i].get();
                        $($i),+
                    ))
                };
                let seen = spawn_child().await.unwrap();
                assert_eq!(seen, $last, "the child sees the parent's value");
                time_rounds(iters, || async move {
                    black_box(spawn_child().await.unwrap());
                })
                .await
            };
            let scoped_parent = in_local_scopes!(parent, |i: usize| i as u64; $($i),+);
            Measurement::Elapsed(run_parent::<tokio::runtime::Runtime>(scoped_parent))
        }
    };
}

tokio_spawn_scoped!(
    /// tokio: spawn a child wrapped in 1 scope, reading it; await it; `iters` times.
    tokio_spawn_scoped_1, last = 0; 0
);
tokio_spawn_scoped!(
    /// tokio: spawn a child wrapped in 4 nested scopes, reading the last; `iters` times.
    tokio_spawn_scoped_4, last = 3; 0, 1, 2, 3
);
tokio_spawn_scoped!(
    /// tokio: spawn a child wrapped in 16 nested scopes, reading the last; `iters` times.
    tokio_spawn_scoped_16, last = 15; 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
);

/// Runs `body` in `block_on` of side `R`'s 2-worker runtime, returns its duration.
fn in_block_on<R: BenchRuntime>(body: impl Future<Output = Duration>) -> Duration {
    let rt = R::multi_thread(WORKERS);
    let elapsed = rt.block_on(body);
    drop(rt);
    elapsed
}

/// ctxrt: in `block_on` with 4 vars set, `spawn_blocking` a read of `VARS[3]` and await
/// it, `iters` times.
pub fn ctxrt_spawn_blocking_inheriting(iters: u64) -> Measurement {
    let elapsed = in_block_on::<ctxrt::runtime::Runtime>(async move {
        set_vars(4);
        let round = || async {
            black_box(
                ctxrt::spawn_blocking(|| black_box(&VARS[3]).get())
                    .await
                    .unwrap(),
            )
        };
        assert_eq!(round().await, Some(3), "the job inherits the value");
        time_rounds(iters, || async move {
            round().await;
        })
        .await
    });
    Measurement::Elapsed(elapsed)
}

/// tokio: in `block_on` inside 4 scopes, read the 4 values, `spawn_blocking` a closure
/// that re-enters them with nested `sync_scope` and reads `LOCALS[3]`, await it; `iters`
/// times.
pub fn tokio_spawn_blocking_scoped(iters: u64) -> Measurement {
    let body = async move {
        let round = || async {
            let values: [u64; 4] = std::array::from_fn(|i| LOCALS[i].get());
            let job = tokio::task::spawn_blocking(move || {
                LOCALS[0].sync_scope(values[0], || {
                    LOCALS[1].sync_scope(values[1], || {
                        LOCALS[2].sync_scope(values[2], || {
                            LOCALS[3].sync_scope(values[3], || black_box(LOCALS[3]).get())
                        })
                    })
                })
            });
            black_box(job.await.unwrap())
        };
        assert_eq!(round().await, 3, "the job sees the value");
        time_rounds(iters, || async move {
            round().await;
        })
        .await
    };
    let scoped = in_local_scopes!(body, |i: usize| i as u64; 0, 1, 2, 3);
    Measurement::Elapsed(in_block_on::<tokio::runtime::Runtime>(scoped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_side_runs_and_reports_elapsed() {
        for workload in workloads() {
            for side in [workload.subject, workload.baseline] {
                assert!(
                    matches!((side.run)(10), Measurement::Elapsed(_)),
                    "{}: {}",
                    workload.name,
                    side.name
                );
            }
        }
    }
}
