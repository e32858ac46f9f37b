//! What the models share (`cfg(loom)` only): [`check`], which runs a model and reports
//! how many interleavings loom explored; [`Tracked`], a value that counts its drops; and
//! [`drive`], which runs a `ModelScheduler`'s workers on the model's threads; [`CountWakes`],
//! a waker that counts its wakes.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::time::{Duration, Instant};

use ctxrt::loom_internals::ModelWorker;
use ctxrt::Context;

/// The preemption bound used when `LOOM_MAX_PREEMPTIONS` is not set: an unbounded search
/// of the scheduler models would not finish.
pub const DEFAULT_PREEMPTIONS: usize = 2;

/// Thread switches allowed in one interleaving. Loom's default (1,000) is too few for a
/// whole runtime starting, running tasks and shutting down; a model that loops forever
/// still fails, just later.
const MAX_BRANCHES: usize = 20_000;

/// What one model run explored.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Interleavings (loom "iterations") explored.
    pub iterations: usize,
    /// Wall-clock time of the whole exploration.
    pub elapsed: Duration,
}

/// Runs `model` under loom with the default settings and reports what it explored.
pub fn check<F>(name: &str, model: F) -> Stats
where
    F: Fn() + Sync + Send + 'static,
{
    check_with(name, |_| {}, model)
}

/// Like [`check`], but with a preemption bound of at least `bound` whatever
/// `LOOM_MAX_PREEMPTIONS` says: for models whose state space stays small at a deeper
/// bound (a few seconds at most), so the suite searches them further than the default.
/// A deeper bound is how the parker bug (see `tests/scheduler_parker.rs`) was found.
pub fn check_deep<F>(name: &str, bound: usize, model: F) -> Stats
where
    F: Fn() + Sync + Send + 'static,
{
    check_with(
        name,
        |builder| {
            let current = builder.preemption_bound.unwrap_or(DEFAULT_PREEMPTIONS);
            builder.preemption_bound = Some(current.max(bound));
        },
        model,
    )
}

/// Like [`check`], with `configure` adjusting loom's builder (e.g. a tighter preemption
/// bound for a model whose state space is large).
///
/// Counts interleavings itself (loom only logs its count through `tracing` with
/// `LOOM_LOG`), and writes `loom model <name>: <n> interleavings, ...` straight to stderr
/// so the line shows even when the test harness captures output.
pub fn check_with<F>(
    name: &str,
    configure: impl FnOnce(&mut loom::model::Builder),
    model: F,
) -> Stats
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    builder.max_branches = MAX_BRANCHES;
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_PREEMPTIONS);
    }
    configure(&mut builder);
    let iterations = StdArc::new(AtomicUsize::new(0));
    let counter = iterations.clone();
    let started = Instant::now();
    let model_name = name.to_string();
    builder.check(move || {
        let iteration = counter.fetch_add(1, Ordering::Relaxed) + 1;
        let _report = ReportFailure {
            name: &model_name,
            iteration,
        };
        model();
    });
    let stats = Stats {
        iterations: iterations.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    };
    let bound = builder
        .preemption_bound
        .map_or_else(|| "unbounded".to_string(), |b| b.to_string());
    let _ = writeln!(
        std::io::stderr(),
        "loom model {name}: {} interleavings, preemption bound {bound}, {:.2?}",
        stats.iterations,
        stats.elapsed,
    );
    stats
}

/// Says which interleaving failed when a model panics (the panic itself says why).
struct ReportFailure<'a> {
    name: &'a str,
    iteration: usize,
}

impl Drop for ReportFailure<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = writeln!(
                std::io::stderr(),
                "loom model {}: failed in interleaving {}",
                self.name,
                self.iteration
            );
        }
    }
}

/// Counts how many values were made from it and how many of those were dropped.
#[derive(Clone, Default)]
pub struct DropCounter {
    made: StdArc<AtomicUsize>,
    dropped: StdArc<AtomicUsize>,
}

impl DropCounter {
    /// A counter at zero.
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A new value counted by this counter.
    pub fn track(&self) -> Tracked {
        self.made.fetch_add(1, Ordering::SeqCst);
        Tracked {
            dropped: self.dropped.clone(),
        }
    }

    /// Values made so far.
    pub fn made(&self) -> usize {
        self.made.load(Ordering::SeqCst)
    }

    /// Values dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }

    /// Panics unless every value made was dropped exactly once (and at most `max` made).
    pub fn assert_all_dropped_once(&self, what: &str, max: usize) {
        let (made, dropped) = (self.made(), self.dropped());
        assert!(made <= max, "{what}: {made} made, expected at most {max}");
        assert_eq!(
            dropped, made,
            "{what}: {made} made but {dropped} dropped (each must be dropped exactly once)"
        );
    }
}

/// A value that records its drop in its [`DropCounter`].
pub struct Tracked {
    dropped: StdArc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts, across all the interleavings of a model, how often each outcome happened, so a
/// model can show that loom reached every case it claims to check (a model whose racing
/// branch never runs proves nothing about it).
#[derive(Clone, Default)]
pub struct Outcomes {
    counts: StdArc<std::sync::Mutex<BTreeMap<&'static str, usize>>>,
}

impl Outcomes {
    /// No outcome seen yet.
    pub fn new() -> Outcomes {
        Outcomes::default()
    }

    /// Records one interleaving that ended in `outcome`.
    pub fn hit(&self, outcome: &'static str) {
        *self.lock().entry(outcome).or_default() += 1;
    }

    /// Prints the counts under `name` and panics unless every outcome in `expected` was
    /// seen at least once.
    pub fn assert_seen(&self, name: &str, expected: &[&str]) {
        let counts = self.lock().clone();
        let _ = writeln!(std::io::stderr(), "loom model {name}: outcomes {counts:?}");
        for outcome in expected {
            assert!(
                counts.contains_key(outcome),
                "loom model {name}: no interleaving reached `{outcome}` (saw {counts:?}); \
                 the model does not check what it claims to"
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, usize>> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Where a poll is running: which worker's turn, and on whose thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnOf {
    /// The worker whose turn it is.
    pub worker: usize,
    /// True on that worker's own thread (in [`drive`]'s concurrent phase), false when the
    /// main thread drains the leftovers afterwards.
    pub own_thread: bool,
}

loom::thread_local! {
    /// The turn this loom thread is running, if any.
    static ON_WORKER: std::cell::Cell<Option<TurnOf>> = std::cell::Cell::new(None);
    /// True on the threads [`drive`] starts for the workers.
    static WORKER_THREAD: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// The turn running on this thread (`None` outside [`turn`]): call it from a task.
pub fn current_turn() -> Option<TurnOf> {
    ON_WORKER.with(|cell| cell.get())
}

/// One turn of `worker` on this thread ([`ModelWorker::run_next`]), then checks that the
/// turn left nothing of any task's context on the thread. True if it ran a task.
pub fn turn(worker: &ModelWorker) -> bool {
    let own_thread = WORKER_THREAD.with(|cell| cell.get());
    ON_WORKER.with(|cell| {
        cell.set(Some(TurnOf {
            worker: worker.index(),
            own_thread,
        }))
    });
    let ran = worker.run_next();
    ON_WORKER.with(|cell| cell.set(None));
    assert!(
        Context::current().is_empty(),
        "worker {} kept a task's bindings after a poll: {:?}",
        worker.index(),
        Context::current()
    );
    ran
}

/// Drives `workers` on loom threads, one thread each, for at most `turns` turns each (a
/// worker stops early once a turn finds nothing); then this thread runs turns on all of
/// them until none finds work, so every task that is still queued gets run.
pub fn drive(workers: Vec<ModelWorker>, turns: usize) -> Vec<ModelWorker> {
    let threads: Vec<_> = workers
        .into_iter()
        .map(|worker| {
            loom::thread::spawn(move || {
                WORKER_THREAD.with(|cell| cell.set(true));
                for _ in 0..turns {
                    if !turn(&worker) {
                        break;
                    }
                }
                worker
            })
        })
        .collect();
    let workers: Vec<ModelWorker> = threads
        .into_iter()
        .map(|thread| thread.join().expect("a worker thread panicked"))
        .collect();
    drain(&workers);
    workers
}

/// Runs turns on `workers` from this thread until a whole round finds no work.
pub fn drain(workers: &[ModelWorker]) {
    loop {
        let mut ran = false;
        for worker in workers {
            ran |= turn(worker);
        }
        if !ran {
            return;
        }
    }
}

/// A waker (a std `Arc`, as `Waker::from` wants) that counts how often it was woken; the
/// I/O and timer models check "woken at most once" / "woken or saw the event" with it.
pub struct CountWakes(pub AtomicUsize);

impl std::task::Wake for CountWakes {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
