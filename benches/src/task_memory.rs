//! Task memory workloads: resident memory per pending task, ctxrt against tokio.
//!
//! One sample (always in a fresh process: invariant 2 in `runner.rs`):
//! 1. Build a 2-worker multi-thread runtime, then start an [`RssProbe`].
//! 2. Spawn `iters` tasks from outside the runtime (`Runtime::spawn`), in chunks of
//!    [`CHUNK`]; after each chunk wait until every task spawned so far has been polled
//!    once. The JoinHandles are dropped at once (detached), so nothing but the runtime
//!    holds the tasks. Chunking keeps the spawn queue short, so what is measured is the
//!    tasks themselves, not a million-entry queue backlog.
//! 3. Every task runs [`pending_task`]: count its first poll in [`POLLED`], then await
//!    `std::future::pending()` forever. The same future type on both sides.
//! 4. Read the probe: RSS growth / `iters` is the row's number. Then drop the runtime,
//!    which cancels the tasks (untimed, unmeasured).
//!
//! The "4 inherited vars" rows add what each side needs for a task to see 4 values of its
//! spawner: ctxrt spawns inside a context holding 4 bindings (each task shares the
//! snapshot); tokio wraps each task in 4 nested `LOCALS[i].scope(LOCALS[i].get(), ..)`,
//! spawned from inside 4 `sync_scope`s.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::bench_runtime::BenchRuntime;
use crate::inherit_workloads::{in_local_scopes, LOCALS, VARS};
use crate::memory::RssProbe;
use crate::runtime_workloads::WORKERS;
use crate::workload::{Batch, Contender, Measurement, Unit, Workload};

/// Tasks spawned before waiting for them to be polled (step 2).
const CHUNK: u64 = 10_000;

/// Tasks of this process that have been polled at least once (step 3).
pub static POLLED: AtomicU64 = AtomicU64::new(0);

/// The memory workloads, in table order.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::task_memory::workloads();
/// assert!(rows.iter().all(|w| w.unit == ctxrt_benches::Unit::Bytes));
/// ```
pub fn workloads() -> Vec<Workload> {
    let row = |name, description, subject, baseline| Workload {
        name,
        description,
        unit: Unit::Bytes,
        batch: Batch::Fixed {
            full: 1_000_000,
            quick: 1_000,
        },
        items: 1,
        max_pairs: Some(5),
        target: Some(0.65),
        subject_max: Some(200.0),
        subject,
        baseline,
    };
    let side = |name, run| Contender { name, run };
    vec![
        row(
            "memory: pending task",
            "RSS per task parked on std::future::pending(), 1,000,000 of them, spawned from \
             outside a 2-worker runtime",
            side("ctxrt task", pending_tasks::<ctxrt::runtime::Runtime>),
            side("tokio task", pending_tasks::<tokio::runtime::Runtime>),
        ),
        row(
            "memory: pending task, 4 inherited vars",
            "the same, each task seeing 4 values of its spawner (ctxrt: inherited context; \
             tokio: 4 nested LocalKey::scope wrappers)",
            side("ctxrt task (inherits 4)", ctxrt_pending_tasks_inheriting_4),
            side("tokio task + 4 scope()s", tokio_pending_tasks_scoped_4),
        ),
    ]
}

/// Step 3: count the first poll, then never finish.
pub async fn pending_task() {
    POLLED.fetch_add(1, Ordering::Relaxed);
    std::future::pending::<()>().await
}

/// Steps 1–4 with the tasks' futures made by `task` and spawned by `rt`; returns the
/// RSS growth. `spawn` must spawn and detach one task whose first poll bumps [`POLLED`].
fn measure_pending<R: BenchRuntime>(rt: R, iters: u64, mut spawn: impl FnMut(&R)) -> Measurement {
    POLLED.store(0, Ordering::Relaxed);
    let probe = RssProbe::start();
    let mut spawned = 0;
    while spawned < iters {
        let n = CHUNK.min(iters - spawned);
        for _ in 0..n {
            spawn(&rt);
        }
        spawned += n;
        while POLLED.load(Ordering::Relaxed) < spawned {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
    let growth = probe.growth();
    assert_eq!(
        POLLED.load(Ordering::Relaxed),
        iters,
        "every task was polled once"
    );
    drop(rt);
    Measurement::Bytes(growth)
}

/// RSS per pending [`pending_task`] on runtime `R`.
pub fn pending_tasks<R: BenchRuntime>(iters: u64) -> Measurement {
    measure_pending(R::multi_thread(WORKERS), iters, |rt| {
        drop(rt.spawn_on(pending_task()));
    })
}

/// ctxrt: the same, spawned from a context holding `VARS[0..4]`, so each task inherits
/// them.
pub fn ctxrt_pending_tasks_inheriting_4(iters: u64) -> Measurement {
    let rt = ctxrt::runtime::Runtime::multi_thread(WORKERS);
    ctxrt::Context::new().run(|| {
        for (value, var) in (0u64..).zip(&VARS[..4]) {
            drop(var.set(value));
        }
        measure_pending(rt, iters, |rt| {
            drop(rt.spawn_on(pending_task()));
        })
    })
}

/// tokio: the same, each task wrapped in 4 scopes holding the spawner's values.
pub fn tokio_pending_tasks_scoped_4(iters: u64) -> Measurement {
    let rt = tokio::runtime::Runtime::multi_thread(WORKERS);
    LOCALS[0].sync_scope(0, || {
        LOCALS[1].sync_scope(1, || {
            LOCALS[2].sync_scope(2, || {
                LOCALS[3].sync_scope(3, || {
                    measure_pending(rt, iters, |rt| {
                        let task = in_local_scopes!(
                            pending_task(),
                            |i: usize| LOCALS[i].get();
                            0, 1, 2, 3
                        );
                        drop(rt.spawn_on(task));
                    })
                })
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_hold_tasks_and_report_bytes() {
        // In-process (the runner uses a child): only checks that the sides complete.
        for workload in workloads() {
            for side in [workload.subject, workload.baseline] {
                assert!(
                    matches!((side.run)(100), Measurement::Bytes(_)),
                    "{}: {}",
                    workload.name,
                    side.name
                );
            }
        }
    }
}
