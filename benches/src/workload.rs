//! The registry's vocabulary: a [`Workload`] is one row of the comparison table.
//!
//! A workload pits a *subject* against a *baseline* on identical work. For most rows the
//! subject is ctxrt and the baseline is tokio; for a "within-ctxrt" row (how does
//! `Context::current()` scale from 1 to 64 bindings?) both are ctxrt and the baseline is
//! named for what it is. Each side is a plain `fn(iters) -> Measurement`: it sets up its
//! fixture untimed, performs `iters` iterations of the work, and reports the total (time
//! for [`Unit::Nanos`], RSS growth for [`Unit::Bytes`]). An iteration may be a batch of
//! [`Workload::items`] items (tokio's `spawn_many_local` body is 10,000 spawns); the runner
//! divides by `iters * items`, so every number in the table is per item.
//!
//! Invariants every workload keeps (the runner relies on them):
//! 1. Both sides do the same work per iteration, so the ratio compares like with like.
//! 2. A side's measurement matches the workload's unit: `Elapsed` for `Nanos`, `Bytes` for
//!    `Bytes` (the runner panics naming the workload otherwise).
//! 3. A side leaves no state behind (bindings, tasks, threads) that changes the next sample.

use std::fmt;
use std::time::Duration;

/// One row of the comparison: a subject and a baseline measured alternately.
///
/// # Examples
///
/// ```
/// use ctxrt_benches::{Batch, Contender, Measurement, Unit, Workload};
///
/// fn spin(iters: u64) -> Measurement {
///     let start = std::time::Instant::now();
///     for i in 0..iters {
///         std::hint::black_box(i);
///     }
///     Measurement::Elapsed(start.elapsed())
/// }
///
/// let row = Workload {
///     name: "spin",
///     description: "an empty loop against itself",
///     unit: Unit::Nanos,
///     batch: Batch::Timed,
///     items: 1,
///     max_pairs: None,
///     target: Some(1.5),
///     subject_max: None,
///     subject: Contender { name: "spin", run: spin },
///     baseline: Contender { name: "spin again", run: spin },
/// };
/// assert_eq!(row.unit.suffix(), "ns/op");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// The row's name, unique in the registry (also what `--filter` matches).
    pub name: &'static str,
    /// One line: what one iteration does, for `--list` and the README.
    pub description: &'static str,
    /// What the measurement counts.
    pub unit: Unit,
    /// How many iterations one sample runs.
    pub batch: Batch,
    /// Items one iteration performs; every reported number is per item. 1 where an
    /// iteration is one operation; e.g. 10,000 where an iteration is one body of tokio's
    /// `spawn_many_local` (10,000 spawns), so the table shows time per spawn.
    pub items: u64,
    /// At most this many pairs for this row (`None`: the run's `--pairs`), for rows whose
    /// samples are slow, e.g. a fresh process holding a million tasks.
    pub max_pairs: Option<usize>,
    /// The largest acceptable `subject / baseline` ratio (median of per-pair ratios);
    /// `None` for rows that are reported without a goal.
    pub target: Option<f64>,
    /// The largest acceptable subject median per item, in the row's unit (e.g. 200 bytes
    /// per pending task); checked in addition to `target`. `None`: no absolute goal.
    pub subject_max: Option<f64>,
    /// The side under test (ctxrt).
    pub subject: Contender,
    /// The side it is compared with (tokio, or a ctxrt configuration for within-ctxrt
    /// rows).
    pub baseline: Contender,
}

impl Workload {
    /// A row timed in nanoseconds per item with calibrated batches, the run's number of
    /// pairs and no absolute limit: the shape of every timing row in the registry.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_benches::workload::{Contender, Measurement, Workload};
    /// use std::time::Duration;
    ///
    /// fn spin(iters: u64) -> Measurement {
    ///     Measurement::Elapsed(Duration::from_nanos(iters))
    /// }
    /// let row = Workload::timed(
    ///     "spin",
    ///     "does nothing",
    ///     1,
    ///     Some(1.5),
    ///     Contender { name: "spin", run: spin },
    ///     Contender { name: "spin again", run: spin },
    /// );
    /// assert_eq!(row.unit.suffix(), "ns/op");
    /// ```
    pub fn timed(
        name: &'static str,
        description: &'static str,
        items: u64,
        target: Option<f64>,
        subject: Contender,
        baseline: Contender,
    ) -> Workload {
        Workload {
            name,
            description,
            unit: Unit::Nanos,
            batch: Batch::Timed,
            items,
            max_pairs: None,
            target,
            subject_max: None,
            subject,
            baseline,
        }
    }
}

/// One side of a [`Workload`]: a name for the table and the function that measures it.
///
/// # Examples
///
/// ```
/// use ctxrt_benches::{Contender, Measurement};
/// let side = Contender { name: "nothing", run: |_| Measurement::Bytes(0) };
/// assert_eq!((side.run)(10), Measurement::Bytes(0));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Contender {
    /// Shown in the `subject` / `baseline` column, e.g. `"tokio LocalKey::get"`.
    pub name: &'static str,
    /// Runs `iters` iterations and reports the total for all of them.
    pub run: fn(u64) -> Measurement,
}

/// What a workload's numbers count. Lower is better for every unit.
///
/// # Examples
///
/// ```
/// use ctxrt_benches::Unit;
/// assert_eq!(Unit::Bytes.suffix(), "B/item");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Wall-clock nanoseconds per iteration.
    Nanos,
    /// Bytes of resident memory (RSS) per item held; see [`crate::memory`].
    Bytes,
}

impl Unit {
    /// The per-iteration suffix used in table headers: `ns/op` or `B/item`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ctxrt_benches::Unit::Nanos.suffix(), "ns/op");
    /// ```
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Nanos => "ns/op",
            Unit::Bytes => "B/item",
        }
    }
}

/// How many iterations one sample runs.
///
/// # Examples
///
/// ```
/// use ctxrt_benches::Batch;
/// let pending_tasks = Batch::Fixed { full: 100_000, quick: 1_000 };
/// assert_eq!(pending_tasks.iterations(true), Some(1_000));
/// assert_eq!(Batch::Timed.iterations(false), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// The runner calibrates the count so the slower side's batch takes about the
    /// configured batch time (and uses a tiny fixed count under `--quick`).
    Timed,
    /// Exactly `full` iterations per sample (`quick` under `--quick`): for workloads whose
    /// count is part of what is measured, e.g. "RSS per pending task with N tasks".
    Fixed {
        /// Iterations per sample in a full run.
        full: u64,
        /// Iterations per sample under `--quick`.
        quick: u64,
    },
}

impl Batch {
    /// The fixed iteration count for this mode, or `None` if it is to be calibrated.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_benches::Batch;
    /// assert_eq!(Batch::Fixed { full: 10, quick: 2 }.iterations(false), Some(10));
    /// ```
    pub fn iterations(self, quick: bool) -> Option<u64> {
        match self {
            Batch::Timed => None,
            Batch::Fixed { full, quick: q } => Some(if quick { q } else { full }),
        }
    }
}

/// What one side reports for one sample: the total over all its iterations.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ctxrt_benches::{Measurement, Unit};
/// let m = Measurement::Elapsed(Duration::from_micros(3));
/// assert_eq!(m.per_iteration(1_000, Unit::Nanos, "example"), 3.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measurement {
    /// Wall-clock time of the timed part (setup and teardown excluded).
    Elapsed(Duration),
    /// Growth of resident memory while the items were held (may be negative if the
    /// process shrank; reported as measured).
    Bytes(i64),
}

impl Measurement {
    /// The measurement divided by `iters`, checked against the workload's `unit`
    /// (invariant 2 in this module).
    ///
    /// # Panics
    ///
    /// If the measurement's kind does not match `unit`: a workload bug, named in the
    /// message.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_benches::{Measurement, Unit};
    /// assert_eq!(Measurement::Bytes(4096).per_iteration(64, Unit::Bytes, "x"), 64.0);
    /// ```
    pub fn per_iteration(self, iters: u64, unit: Unit, workload: &str) -> f64 {
        let iters = iters.max(1) as f64;
        match (self, unit) {
            (Measurement::Elapsed(elapsed), Unit::Nanos) => elapsed.as_nanos() as f64 / iters,
            (Measurement::Bytes(bytes), Unit::Bytes) => bytes as f64 / iters,
            (measurement, unit) => panic!(
                "workload `{workload}` reported {measurement:?} but its unit is {unit:?}; \
                 return Measurement::Elapsed for Unit::Nanos and Measurement::Bytes for \
                 Unit::Bytes"
            ),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.suffix())
    }
}
