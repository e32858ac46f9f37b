//! The runner: measures each [`Workload`] as alternating subject/baseline pairs.
//!
//! For one workload it (1) picks the iteration count — calibrated for [`Batch::Timed`] so
//! the slower side's batch takes about [`RunConfig::batch_time`] (the calibration doubles
//! as warm-up), fixed for [`Batch::Fixed`] — then (2) runs [`RunConfig::pairs`] pairs (at
//! most [`Workload::max_pairs`]), each
//! one subject sample and one baseline sample of that many iterations, alternating which
//! goes first (subject-baseline, baseline-subject, ...) so a drift in machine load hits
//! both sides alike. Each pair yields a ratio `subject / baseline`; the row's ratio is the
//! *median of the per-pair ratios*, which cancels load that changes slower than a pair.
//! Every sample is divided by `iters * items` ([`Workload::items`]): numbers are per item.
//!
//! Invariants:
//! 1. Both sides of a pair run the same iteration count.
//! 2. [`Unit::Bytes`] samples each run in a fresh process (the current executable,
//!    re-run with [`CHILD_FLAG`]), so RSS growth is not hidden by memory an earlier
//!    sample freed into the allocator. A binary that runs such workloads must call
//!    [`child_main`] first thing.

use std::env;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::workload::{Batch, Contender, Measurement, Unit, Workload};

/// How a run is sized.
///
/// # Examples
///
/// ```
/// let config = ctxrt_benches::RunConfig::quick();
/// assert_eq!(config.pairs, 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RunConfig {
    /// Subject/baseline pairs per workload.
    pub pairs: usize,
    /// What one calibrated batch should take (the slower side's).
    pub batch_time: Duration,
    /// *Items* per sample for [`Batch::Timed`] rows when calibration is skipped (quick
    /// mode, or `--iters` for profiling): a row whose iteration is a batch of
    /// [`Workload::items`] items runs `ceil(fixed_iters / items)` iterations.
    pub fixed_iters: Option<u64>,
    /// Quick mode: one pair, tiny counts; proves the machinery, measures little.
    pub quick: bool,
}

impl RunConfig {
    /// The default full run: 21 pairs of ~50 ms batches (long enough to average out
    /// scheduling hiccups on a shared machine in the multi-thread runtime rows).
    pub fn full() -> RunConfig {
        RunConfig {
            pairs: 21,
            batch_time: Duration::from_millis(50),
            fixed_iters: None,
            quick: false,
        }
    }

    /// `--quick`: one pair of 1000 items (at least one iteration) per timed workload,
    /// `Batch::Fixed::quick` items per memory workload.
    pub fn quick() -> RunConfig {
        RunConfig {
            pairs: 1,
            batch_time: Duration::ZERO,
            fixed_iters: Some(1_000),
            quick: true,
        }
    }
}

/// Everything measured for one workload.
#[derive(Debug, Clone)]
pub struct RowResult {
    /// The workload measured.
    pub workload: Workload,
    /// Iterations per sample (both sides); each is [`Workload::items`] items.
    pub iters: u64,
    /// Subject samples, per iteration, in the workload's unit.
    pub subject: Vec<f64>,
    /// Baseline samples, per iteration, in the workload's unit.
    pub baseline: Vec<f64>,
    /// `subject[i] / baseline[i]` for each pair.
    pub ratios: Vec<f64>,
    /// Wall time the whole row took, calibration included.
    pub wall: Duration,
}

/// Whether a row met its target.
///
/// # Examples
///
/// ```
/// use ctxrt_benches::Status;
/// assert_eq!(Status::judge(1.05, Some(1.10)), Status::Ok);
/// assert_eq!(Status::judge(1.5, Some(1.2)).to_string(), "MISSED");
/// assert_eq!(Status::judge(f64::NAN, Some(1.2)).to_string(), "n/a");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The median ratio is at or below the target.
    Ok,
    /// The median ratio is above the target.
    Missed,
    /// The row has no target.
    NoTarget,
    /// The ratio is undefined (a baseline of zero or less, e.g. no RSS growth).
    NotComparable,
}

impl Status {
    /// The status of a row whose median ratio is `ratio`.
    pub fn judge(ratio: f64, target: Option<f64>) -> Status {
        match target {
            None => Status::NoTarget,
            Some(_) if !ratio.is_finite() => Status::NotComparable,
            Some(target) if ratio <= target => Status::Ok,
            Some(_) => Status::Missed,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Missed => "MISSED",
            Status::NoTarget => "-",
            Status::NotComparable => "n/a",
        })
    }
}

impl RowResult {
    /// Median of the subject samples.
    pub fn subject_median(&self) -> f64 {
        median(&self.subject)
    }

    /// Median of the baseline samples.
    pub fn baseline_median(&self) -> f64 {
        median(&self.baseline)
    }

    /// Median of the per-pair ratios: the number compared with the target.
    pub fn ratio_median(&self) -> f64 {
        median(&self.ratios)
    }

    /// Smallest and largest per-pair ratio: how noisy the pairs were.
    pub fn ratio_range(&self) -> (f64, f64) {
        let min = self.ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self
            .ratios
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (min, max)
    }

    /// Whether the row met its target: the ratio target and, if the row has one, the
    /// absolute limit on the subject's median ([`Workload::subject_max`]).
    pub fn status(&self) -> Status {
        let by_ratio = Status::judge(self.ratio_median(), self.workload.target);
        let Some(limit) = self.workload.subject_max else {
            return by_ratio;
        };
        match by_ratio {
            Status::NotComparable | Status::Missed => by_ratio,
            Status::Ok | Status::NoTarget if self.subject_median() <= limit => Status::Ok,
            Status::Ok | Status::NoTarget => Status::Missed,
        }
    }
}

/// The median of `values` (mean of the middle two for an even count; NaN when empty).
///
/// # Examples
///
/// ```
/// use ctxrt_benches::runner::median;
/// assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
/// assert!(median(&[]).is_nan());
/// ```
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Measures one workload (see the module docs for the procedure).
///
/// # Examples
///
/// ```
/// use ctxrt_benches::{context_workloads, runner, RunConfig};
/// let row = context_workloads::workloads()[0];
/// let result = runner::run_workload(&row, &RunConfig::quick());
/// assert_eq!(result.ratios.len(), 1);
/// ```
pub fn run_workload(workload: &Workload, config: &RunConfig) -> RowResult {
    assert!(
        !(workload.unit == Unit::Bytes && workload.batch == Batch::Timed),
        "workload `{}` counts bytes: give it Batch::Fixed, since its item count cannot be \
         calibrated by time",
        workload.name
    );
    assert!(
        workload.items >= 1,
        "workload `{}` has items = 0; an iteration performs at least one item",
        workload.name
    );
    let started = Instant::now();
    let iters = match (workload.batch.iterations(config.quick), config.fixed_iters) {
        (Some(fixed), _) => fixed,
        (None, Some(fixed_items)) => fixed_items.div_ceil(workload.items).max(1),
        (None, None) => calibrate(workload, config.batch_time),
    };
    let pairs = workload
        .max_pairs
        .map_or(config.pairs, |max| config.pairs.min(max.max(1)));
    let mut result = RowResult {
        workload: *workload,
        iters,
        subject: Vec::with_capacity(pairs),
        baseline: Vec::with_capacity(pairs),
        ratios: Vec::with_capacity(pairs),
        wall: Duration::ZERO,
    };
    for pair in 0..pairs {
        let (subject, baseline) = if pair % 2 == 0 {
            let subject = sample(workload, Side::Subject, iters);
            (subject, sample(workload, Side::Baseline, iters))
        } else {
            let baseline = sample(workload, Side::Baseline, iters);
            (sample(workload, Side::Subject, iters), baseline)
        };
        result.subject.push(subject);
        result.baseline.push(baseline);
        result.ratios.push(if baseline > 0.0 {
            subject / baseline
        } else {
            f64::NAN
        });
    }
    result.wall = started.elapsed();
    result
}

/// Grows the iteration count until the slower side's batch takes at least `batch_time`.
fn calibrate(workload: &Workload, batch_time: Duration) -> u64 {
    // 16 items to start with, but at least one iteration.
    let mut iters: u64 = (16 / workload.items).max(1);
    loop {
        let slower = [workload.subject, workload.baseline]
            .iter()
            .map(|side| timed_sample(side, iters))
            .fold(Duration::ZERO, Duration::max);
        if slower >= batch_time {
            return iters;
        }
        let wanted = batch_time.as_secs_f64() / slower.as_secs_f64().max(1e-9);
        iters = (iters as f64 * wanted.clamp(1.5, 100.0)).ceil() as u64;
    }
}

/// How long a side's timed part took: its own `Elapsed` (setup such as building a runtime
/// excluded, so the batch, not the fixture, is what gets calibrated); wall time for a side
/// that reports something else.
fn timed_sample(side: &Contender, iters: u64) -> Duration {
    let started = Instant::now();
    match (side.run)(iters) {
        Measurement::Elapsed(elapsed) => elapsed,
        Measurement::Bytes(_) => started.elapsed(),
    }
}

/// Which side of a workload a sample measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Subject,
    Baseline,
}

impl Side {
    fn arg(self) -> &'static str {
        match self {
            Side::Subject => "subject",
            Side::Baseline => "baseline",
        }
    }

    fn of(self, workload: &Workload) -> Contender {
        match self {
            Side::Subject => workload.subject,
            Side::Baseline => workload.baseline,
        }
    }
}

/// One sample of one side, per iteration, in the workload's unit (invariant 2 for bytes).
fn sample(workload: &Workload, side: Side, iters: u64) -> f64 {
    match workload.unit {
        Unit::Nanos => (side.of(workload).run)(iters).per_iteration(
            iters * workload.items,
            workload.unit,
            workload.name,
        ),
        Unit::Bytes => sample_in_child(workload, side, iters),
    }
}

/// The flag that makes a binary run one sample and print it (see [`child_main`]).
pub const CHILD_FLAG: &str = "--child-sample";

/// The prefix of the line a child prints its sample on.
const CHILD_OUTPUT: &str = "ctxrt-benches-sample ";

fn sample_in_child(workload: &Workload, side: Side, iters: u64) -> f64 {
    let exe = env::current_exe().expect("the path of the running benchmark binary");
    let output = Command::new(&exe)
        .args([CHILD_FLAG, workload.name, side.arg(), &iters.to_string()])
        .output()
        .unwrap_or_else(|err| panic!("cannot re-run {} for a sample: {err}", exe.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = stdout
        .lines()
        .find_map(|line| line.strip_prefix(CHILD_OUTPUT))
        .and_then(|value| value.trim().parse::<f64>().ok());
    match (output.status.success(), value) {
        (true, Some(value)) => value,
        _ => panic!(
            "the sample process for `{}` ({}) failed: {}\nstdout: {stdout}\nstderr: {}\n\
             (a binary that runs memory workloads must call runner::child_main first)",
            workload.name,
            side.arg(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// If `args` (without the program name) ask for a child sample, runs it in `registry`,
/// prints it and returns `true`; otherwise returns `false` and does nothing.
///
/// # Panics
///
/// On malformed child arguments or an unknown workload name (a runner/registry mismatch).
///
/// # Examples
///
/// ```
/// let args = vec!["--quick".to_string()];
/// assert!(!ctxrt_benches::runner::child_main(&args, &ctxrt_benches::registry()));
/// ```
pub fn child_main(args: &[String], registry: &[Workload]) -> bool {
    let [flag, name, side, iters] = args else {
        return false;
    };
    if flag != CHILD_FLAG {
        return false;
    }
    let workload = registry
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("{CHILD_FLAG}: no workload named `{name}`"));
    let side = match side.as_str() {
        "subject" => Side::Subject,
        "baseline" => Side::Baseline,
        other => panic!("{CHILD_FLAG}: side must be `subject` or `baseline`, not `{other}`"),
    };
    let iters: u64 = iters
        .parse()
        .unwrap_or_else(|_| panic!("{CHILD_FLAG}: iteration count `{iters}` is not a number"));
    let value =
        (side.of(workload).run)(iters).per_iteration(iters * workload.items, workload.unit, name);
    println!("{CHILD_OUTPUT}{value}");
    true
}
