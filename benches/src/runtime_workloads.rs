//! Scheduler workloads: tokio's own runtime benchmarks, run on ctxrt and on tokio.
//!
//! The bodies replicate tokio's `benches/rt_multi_threaded.rs` (`spawn_many_local`,
//! `spawn_many_remote_idle`, `spawn_many_remote_busy1/2`, `ping_pong`, `yield_many`,
//! `chained_spawn`), `benches/rt_current_thread.rs` (`spawn_many_local`) and, for
//! `spawn_blocking`, a sequential and a batched loop. Each body is written once, generic
//! over [`BenchRuntime`], and registered twice — `::<ctxrt::runtime::Runtime>` as the
//! subject, `::<tokio::runtime::Runtime>` as the baseline — so both sides run the same
//! code (invariant 1 in `workload.rs`).
//!
//! Per sample (one call of a side):
//! 1. The runtime is built, with [`WORKERS`] workers for the multi-thread rows (tokio's
//!    benches build it once, outside `b.iter`; here once per sample), and whatever the
//!    body reuses (channels, counters, handle vectors) is set up — all untimed.
//! 2. The body runs once untimed (warm-up: worker and blocking threads started, queues
//!    grown), then `iters` times under the clock.
//! 3. The runtime is dropped after the clock stops.
//!
//! One iteration is one body of the tokio bench (e.g. 10,000 spawns); [`Workload::items`]
//! says how many items it holds, so the table reads per spawn / per yield / per task.
//! Completion is signalled as tokio's bench does it: a countdown plus a
//! `std::sync::mpsc::sync_channel` where tokio uses one, awaited JoinHandles where it does.

use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::bench_runtime::BenchRuntime;
use crate::workload::{Contender, Measurement, Workload};

/// Worker threads of every multi-thread runtime on both sides.
pub const WORKERS: usize = 2;
/// Spawns per body of the multi-thread spawn benches (tokio's `NUM_SPAWN`).
const NUM_SPAWN: usize = 10_000;
/// Spawns per body of `spawn_many_remote_busy2` (tokio's local `NUM_SPAWN`).
const NUM_SPAWN_BUSY2: usize = 1_000;
/// Spawns per body of the current-thread `spawn_many_local` (tokio's `rt_current_thread`).
const NUM_SPAWN_CURRENT: usize = 1_000;
/// Tasks and yields per task in `yield_many`.
const YIELD_TASKS: usize = 200;
const NUM_YIELD: usize = 1_000;
/// Ping-pong pairs per body.
const NUM_PINGS: usize = 1_000;
/// Length of the spawn chain in `chained_spawn`.
const CHAIN: usize = 1_000;
/// Blocking jobs per body of the `spawn_blocking` rows.
const NUM_BLOCKING: usize = 1_000;
/// Tasks per body of `JoinSet drain`; half of them finish and are joined.
const JOIN_SET_TASKS: usize = 10_000;
/// CPU time a busy task burns per poll in the `busy` rows (tokio's `STALL_DUR`).
const STALL: Duration = Duration::from_micros(10);

/// The ctxrt runtime, the subject of every row here.
type Ctxrt = ctxrt::runtime::Runtime;
/// The tokio runtime, the baseline.
type Tokio = tokio::runtime::Runtime;

/// The scheduler workloads, in table order.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::runtime_workloads::workloads();
/// assert!(rows.iter().any(|w| w.name == "spawn_many_local"));
/// ```
pub fn workloads() -> Vec<Workload> {
    let row = |name, description, items, target, subject, baseline| {
        Workload::timed(
            name,
            description,
            items as u64,
            Some(target),
            subject,
            baseline,
        )
    };
    let side = |name, run| Contender { name, run };
    const CTXRT: &str = "ctxrt (2 workers)";
    const TOKIO: &str = "tokio (2 workers)";
    const CTXRT_CT: &str = "ctxrt current_thread";
    const TOKIO_CT: &str = "tokio current_thread";
    let busy = |mut w: Workload| {
        // A ctxrt body can take seconds here (see README); keep the row inside the budget.
        w.max_pairs = Some(5);
        w
    };
    vec![
        row(
            "spawn_many_local",
            "per spawn: 10,000 empty tasks spawned from block_on, the last one signals a \
             sync_channel (tokio rt_multi_threaded)",
            NUM_SPAWN,
            0.9,
            side(CTXRT, spawn_many_local::<Ctxrt>),
            side(TOKIO, spawn_many_local::<Tokio>),
        ),
        row(
            "spawn_many_remote_idle",
            "per spawn: 10,000 rt.spawn(async {}) from outside the runtime, then all \
             JoinHandles awaited in block_on",
            NUM_SPAWN,
            0.9,
            side(CTXRT, spawn_many_remote_idle::<Ctxrt>),
            side(TOKIO, spawn_many_remote_idle::<Tokio>),
        ),
        busy(row(
            "spawn_many_remote_busy1",
            "per spawn: as remote_idle, while 4 tasks loop { yield_now; burn 10 us }",
            NUM_SPAWN,
            0.9,
            side(CTXRT, spawn_many_remote_busy1::<Ctxrt>),
            side(TOKIO, spawn_many_remote_busy1::<Tokio>),
        )),
        busy(row(
            "spawn_many_remote_busy2",
            "per spawn: 1,000 remote spawns awaited, while 2 chains of tasks each burn 10 us \
             and spawn the next",
            NUM_SPAWN_BUSY2,
            0.9,
            side(CTXRT, spawn_many_remote_busy2::<Ctxrt>),
            side(TOKIO, spawn_many_remote_busy2::<Tokio>),
        )),
        row(
            "ping_pong",
            "per pair: 1,000 tasks each spawn a peer and swap two futures-channel oneshots \
             with it (the same channel type on both sides)",
            NUM_PINGS,
            0.9,
            side(
                "ctxrt + futures oneshot",
                ping_pong::<Ctxrt, FuturesOneshot>,
            ),
            side(
                "tokio + futures oneshot",
                ping_pong::<Tokio, FuturesOneshot>,
            ),
        ),
        row(
            "ping_pong, tokio oneshot",
            "per pair: the same, but tokio uses its own tokio::sync::oneshot (ctxrt has none; \
             it keeps futures-channel's)",
            NUM_PINGS,
            0.9,
            side(
                "ctxrt + futures oneshot",
                ping_pong::<Ctxrt, FuturesOneshot>,
            ),
            side("tokio + tokio oneshot", ping_pong::<Tokio, TokioOneshot>),
        ),
        row(
            "yield_many",
            "per yield: 200 tasks spawned from outside each yield_now 1,000 times, then \
             signal a sync_channel",
            YIELD_TASKS * NUM_YIELD,
            0.9,
            side(CTXRT, yield_many::<Ctxrt>),
            side(TOKIO, yield_many::<Tokio>),
        ),
        row(
            "chained_spawn",
            "per task: a chain of 1,000 tasks, each spawning the next; the last signals a \
             sync_channel",
            CHAIN,
            0.9,
            side(CTXRT, chained_spawn::<Ctxrt>),
            side(TOKIO, chained_spawn::<Tokio>),
        ),
        row(
            "spawn_blocking sequential",
            "per job: in block_on, 1,000 times spawn_blocking(|| black_box(0)) and await it",
            NUM_BLOCKING,
            1.0,
            side(CTXRT, spawn_blocking_sequential::<Ctxrt>),
            side(TOKIO, spawn_blocking_sequential::<Tokio>),
        ),
        row(
            "spawn_blocking batch",
            "per job: in block_on, 1,000 spawn_blocking(|| black_box(0)), then await all",
            NUM_BLOCKING,
            1.0,
            side(CTXRT, spawn_blocking_batch::<Ctxrt>),
            side(TOKIO, spawn_blocking_batch::<Tokio>),
        ),
        row(
            "JoinSet drain",
            "per join: in block_on, 10,000 tasks spawned into a JoinSet, every other one \
             never finishing; the 5,000 finished ones drained with join_next, then the set \
             dropped (aborting the rest)",
            JOIN_SET_TASKS / 2,
            1.0,
            side(CTXRT, join_set_drain::<Ctxrt, ctxrt::task::JoinSet<()>>),
            side(TOKIO, join_set_drain::<Tokio, tokio::task::JoinSet<()>>),
        ),
        row(
            "current_thread spawn_many_local",
            "per spawn: in block_on, 1,000 spawns of an empty task, then all JoinHandles \
             awaited (tokio rt_current_thread)",
            NUM_SPAWN_CURRENT,
            0.9,
            side(CTXRT_CT, current_thread_spawn_many_local::<Ctxrt>),
            side(TOKIO_CT, current_thread_spawn_many_local::<Tokio>),
        ),
        row(
            "current_thread yield_many",
            "per yield: 200 tasks spawned from outside each yield_now 1,000 times; block_on \
             awaits their JoinHandles",
            YIELD_TASKS * NUM_YIELD,
            0.9,
            side(CTXRT_CT, current_thread_yield_many::<Ctxrt>),
            side(TOKIO_CT, current_thread_yield_many::<Tokio>),
        ),
    ]
}

/// Runs `body` once untimed (step 2 of the module docs: warm-up), then `iters` times under
/// the clock.
fn time_bodies(iters: u64, mut body: impl FnMut()) -> Measurement {
    body();
    let start = Instant::now();
    for _ in 0..iters {
        body();
    }
    Measurement::Elapsed(start.elapsed())
}

/// Burns [`STALL`] of CPU time, yielding the thread in between (tokio's `stall`).
fn stall() {
    let now = Instant::now();
    while now.elapsed() < STALL {
        std::thread::yield_now();
    }
}

/// `iters` bodies of tokio's `spawn_many_local` on a multi-thread runtime.
pub fn spawn_many_local<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let (tx, rx) = mpsc::sync_channel(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    let measurement = time_bodies(iters, || {
        rem.store(NUM_SPAWN, Relaxed);
        rt.block_on(async {
            for _ in 0..NUM_SPAWN {
                let tx = tx.clone();
                let rem = rem.clone();
                drop(R::spawn(async move {
                    if 1 == rem.fetch_sub(1, Relaxed) {
                        tx.send(()).unwrap();
                    }
                }));
            }
            rx.recv().unwrap();
        });
    });
    drop(rt);
    measurement
}

/// Spawns [`NUM_SPAWN`] (or `n`) empty tasks from outside the runtime, then awaits them
/// all in `block_on`: the body of the `remote` rows.
fn spawn_remote_and_await<R: BenchRuntime>(rt: &R, handles: &mut Vec<R::JoinHandle<()>>, n: usize) {
    for _ in 0..n {
        handles.push(rt.spawn_on(async {}));
    }
    rt.block_on(async {
        for handle in handles.drain(..) {
            handle.await.unwrap();
        }
    });
}

/// `iters` bodies of tokio's `spawn_many_remote_idle`.
pub fn spawn_many_remote_idle<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let mut handles = Vec::with_capacity(NUM_SPAWN);
    let measurement = time_bodies(iters, || {
        spawn_remote_and_await(&rt, &mut handles, NUM_SPAWN)
    });
    drop(rt);
    measurement
}

/// `iters` bodies of tokio's `spawn_many_remote_busy1`: 2 × [`WORKERS`] tasks loop on
/// `yield_now` + [`stall`] meanwhile.
pub fn spawn_many_remote_busy1<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let mut handles = Vec::with_capacity(NUM_SPAWN);
    let flag = Arc::new(AtomicBool::new(true));
    let busy: Vec<_> = (0..2 * WORKERS)
        .map(|_| {
            let flag = flag.clone();
            rt.spawn_on(async move {
                while flag.load(Relaxed) {
                    R::yield_now().await;
                    stall();
                }
            })
        })
        .collect();
    let measurement = time_bodies(iters, || {
        spawn_remote_and_await(&rt, &mut handles, NUM_SPAWN)
    });
    flag.store(false, Relaxed);
    rt.block_on(async {
        for task in busy {
            task.await.unwrap();
        }
    });
    drop(rt);
    measurement
}

/// Spawns a task that, while `flag` is up, burns [`STALL`] and spawns its successor.
fn busy_chain<R: BenchRuntime>(flag: Arc<AtomicBool>) {
    drop(R::spawn(async move {
        if flag.load(Relaxed) {
            stall();
            busy_chain::<R>(flag);
        }
    }));
}

/// `iters` bodies of tokio's `spawn_many_remote_busy2`: [`WORKERS`] chains of busy tasks
/// meanwhile.
pub fn spawn_many_remote_busy2<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let mut handles = Vec::with_capacity(NUM_SPAWN_BUSY2);
    let flag = Arc::new(AtomicBool::new(true));
    for _ in 0..WORKERS {
        let flag = flag.clone();
        drop(rt.spawn_on(async move { busy_chain::<R>(flag) }));
    }
    let measurement = time_bodies(iters, || {
        spawn_remote_and_await(&rt, &mut handles, NUM_SPAWN_BUSY2)
    });
    flag.store(false, Relaxed);
    drop(rt);
    measurement
}

/// A one-shot channel, so `ping_pong` can run with either kind on either runtime.
pub trait Oneshot: 'static {
    /// The sending half.
    type Sender: Send + 'static;
    /// The receiving half: a future of the value (or an error if the sender dropped).
    type Receiver: Future<Output = Result<(), Self::RecvError>> + Send + Unpin + 'static;
    /// What the receiver yields when the sender is dropped unsent.
    type RecvError: std::fmt::Debug;
    /// A new channel.
    fn channel() -> (Self::Sender, Self::Receiver);
    /// Sends `()`; panics if the receiver is gone (it never is in `ping_pong`).
    fn send(tx: Self::Sender);
}

/// `futures_channel::oneshot`: runtime-agnostic, so both sides can use the same type.
#[derive(Debug)]
pub enum FuturesOneshot {}

impl Oneshot for FuturesOneshot {
    type Sender = futures_channel::oneshot::Sender<()>;
    type Receiver = futures_channel::oneshot::Receiver<()>;
    type RecvError = futures_channel::oneshot::Canceled;

    #[inline]
    fn channel() -> (Self::Sender, Self::Receiver) {
        futures_channel::oneshot::channel()
    }

    #[inline]
    fn send(tx: Self::Sender) {
        tx.send(()).unwrap();
    }
}

/// `tokio::sync::oneshot`: what tokio's own bench uses (its waker path is tuned for
/// tokio's coop budget and works on any runtime).
#[derive(Debug)]
pub enum TokioOneshot {}

impl Oneshot for TokioOneshot {
    type Sender = tokio::sync::oneshot::Sender<()>;
    type Receiver = tokio::sync::oneshot::Receiver<()>;
    type RecvError = tokio::sync::oneshot::error::RecvError;

    #[inline]
    fn channel() -> (Self::Sender, Self::Receiver) {
        tokio::sync::oneshot::channel()
    }

    #[inline]
    fn send(tx: Self::Sender) {
        tx.send(()).unwrap();
    }
}

/// `iters` bodies of tokio's `ping_pong` with channel type `C`.
pub fn ping_pong<R: BenchRuntime, C: Oneshot>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let (done_tx, done_rx) = mpsc::sync_channel(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    let measurement = time_bodies(iters, || {
        let done_tx = done_tx.clone();
        let rem = rem.clone();
        rem.store(NUM_PINGS, Relaxed);
        rt.block_on(async {
            drop(R::spawn(async move {
                for _ in 0..NUM_PINGS {
                    let rem = rem.clone();
                    let done_tx = done_tx.clone();
                    drop(R::spawn(async move {
                        let (tx1, rx1) = C::channel();
                        let (tx2, rx2) = C::channel();
                        drop(R::spawn(async move {
                            rx1.await.unwrap();
                            C::send(tx2);
                        }));
                        C::send(tx1);
                        rx2.await.unwrap();
                        if 1 == rem.fetch_sub(1, Relaxed) {
                            done_tx.send(()).unwrap();
                        }
                    }));
                }
            }));
            done_rx.recv().unwrap();
        });
    });
    drop(rt);
    measurement
}

/// `iters` bodies of tokio's `yield_many` (multi-thread).
pub fn yield_many<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let (tx, rx) = mpsc::sync_channel(YIELD_TASKS);
    let measurement = time_bodies(iters, || {
        for _ in 0..YIELD_TASKS {
            let tx = tx.clone();
            drop(rt.spawn_on(async move {
                for _ in 0..NUM_YIELD {
                    R::yield_now().await;
                }
                tx.send(()).unwrap();
            }));
        }
        for _ in 0..YIELD_TASKS {
            rx.recv().unwrap();
        }
    });
    drop(rt);
    measurement
}

/// Spawns the rest of a chain of `n` tasks; the last signals `done_tx`.
fn chain<R: BenchRuntime>(done_tx: mpsc::SyncSender<()>, n: usize) {
    if n == 0 {
        done_tx.send(()).unwrap();
    } else {
        drop(R::spawn(async move { chain::<R>(done_tx, n - 1) }));
    }
}

/// `iters` bodies of tokio's `chained_spawn`.
pub fn chained_spawn<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let (done_tx, done_rx) = mpsc::sync_channel(1000);
    let measurement = time_bodies(iters, || {
        let done_tx = done_tx.clone();
        rt.block_on(async {
            drop(R::spawn(async move { chain::<R>(done_tx, CHAIN) }));
            done_rx.recv().unwrap();
        });
    });
    drop(rt);
    measurement
}

/// `iters` bodies of: in `block_on`, [`NUM_BLOCKING`] times spawn a no-op blocking job
/// and await it.
pub fn spawn_blocking_sequential<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let measurement = time_bodies(iters, || {
        rt.block_on(async {
            for _ in 0..NUM_BLOCKING {
                black_box(R::spawn_blocking(|| black_box(0u64)).await.unwrap());
            }
        });
    });
    drop(rt);
    measurement
}

/// `iters` bodies of: in `block_on`, spawn [`NUM_BLOCKING`] no-op blocking jobs, then
/// await them all.
pub fn spawn_blocking_batch<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let mut handles = Vec::with_capacity(NUM_BLOCKING);
    let measurement = time_bodies(iters, || {
        rt.block_on(async {
            for _ in 0..NUM_BLOCKING {
                handles.push(R::spawn_blocking(|| black_box(0u64)));
            }
            for handle in handles.drain(..) {
                black_box(handle.await.unwrap());
            }
        });
    });
    drop(rt);
    measurement
}

/// The JoinSet calls `JoinSet drain` makes, over ctxrt's and tokio's.
pub trait BenchJoinSet: Send + 'static {
    /// An empty set.
    fn new() -> Self;
    /// Spawns `future` on the current runtime into the set.
    fn spawn<F: Future<Output = ()> + Send + 'static>(&mut self, future: F);
    /// The next finished task; panics if it failed or the set is empty.
    fn join_next(&mut self) -> impl Future<Output = ()> + Send + '_;
}

impl BenchJoinSet for ctxrt::task::JoinSet<()> {
    fn new() -> Self {
        ctxrt::task::JoinSet::new()
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(&mut self, future: F) {
        ctxrt::task::JoinSet::spawn(self, future);
    }
    async fn join_next(&mut self) {
        ctxrt::task::JoinSet::join_next(self)
            .await
            .expect("a task left")
            .unwrap();
    }
}

impl BenchJoinSet for tokio::task::JoinSet<()> {
    fn new() -> Self {
        tokio::task::JoinSet::new()
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(&mut self, future: F) {
        tokio::task::JoinSet::spawn(self, future);
    }
    async fn join_next(&mut self) {
        tokio::task::JoinSet::join_next(self)
            .await
            .expect("a task left")
            .unwrap();
    }
}

/// `iters` bodies of `JoinSet drain`: 10,000 tasks in a set, every other one pending
/// forever; the 5,000 that finish are joined one `join_next` at a time, then the set is
/// dropped, aborting the rest. A `join_next` that scans the whole set costs O(n) each.
pub fn join_set_drain<R: BenchRuntime, S: BenchJoinSet>(iters: u64) -> Measurement {
    let rt = R::multi_thread(WORKERS);
    let measurement = time_bodies(iters, || {
        rt.block_on(async {
            let mut set = S::new();
            for i in 0..JOIN_SET_TASKS {
                if i % 2 == 0 {
                    set.spawn(async {});
                } else {
                    set.spawn(std::future::pending::<()>());
                }
            }
            for _ in 0..JOIN_SET_TASKS / 2 {
                set.join_next().await;
            }
            drop(black_box(set));
        });
    });
    drop(rt);
    measurement
}

/// `iters` bodies of tokio's `rt_current_thread` `spawn_many_local`.
pub fn current_thread_spawn_many_local<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::current_thread();
    let mut handles = Vec::with_capacity(NUM_SPAWN_CURRENT);
    let measurement = time_bodies(iters, || {
        rt.block_on(async {
            for _ in 0..NUM_SPAWN_CURRENT {
                handles.push(R::spawn(async move {}));
            }
            for handle in handles.drain(..) {
                handle.await.unwrap();
            }
        });
    });
    drop(rt);
    measurement
}

/// `iters` bodies of `yield_many` on a current-thread runtime: the tasks are spawned from
/// outside and run while `block_on` awaits their JoinHandles (a blocking `recv` would
/// stall the only thread that runs them).
pub fn current_thread_yield_many<R: BenchRuntime>(iters: u64) -> Measurement {
    let rt = R::current_thread();
    let mut handles = Vec::with_capacity(YIELD_TASKS);
    let measurement = time_bodies(iters, || {
        for _ in 0..YIELD_TASKS {
            handles.push(rt.spawn_on(async move {
                for _ in 0..NUM_YIELD {
                    R::yield_now().await;
                }
            }));
        }
        rt.block_on(async {
            for handle in handles.drain(..) {
                handle.await.unwrap();
            }
        });
    });
    drop(rt);
    measurement
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_side_runs_one_body_and_reports_elapsed() {
        for workload in workloads().iter().filter(|w| !w.name.contains("busy")) {
            for side in [workload.subject, workload.baseline] {
                assert!(
                    matches!((side.run)(1), Measurement::Elapsed(_)),
                    "{}: {}",
                    workload.name,
                    side.name
                );
            }
        }
    }

    #[test]
    fn names_are_tokio_bench_names() {
        let names: Vec<_> = workloads().iter().map(|w| w.name).collect();
        for tokio_bench in [
            "spawn_many_local",
            "spawn_many_remote_idle",
            "spawn_many_remote_busy1",
            "spawn_many_remote_busy2",
            "ping_pong",
            "yield_many",
            "chained_spawn",
        ] {
            assert!(names.contains(&tokio_bench), "{tokio_bench} is registered");
        }
    }
}
