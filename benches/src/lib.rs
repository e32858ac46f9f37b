//! Workloads and machinery for comparing ctxrt with tokio on identical work.
//!
//! The comparison is a *registry* of [`Workload`]s: each names a subject (ctxrt) and a
//! baseline (tokio, or another ctxrt configuration), a unit, and optionally a target ratio.
//! Two harnesses read the same side functions, so they time the same loops:
//! - `benches/context.rs` (`cargo bench -p ctxrt-benches --bench context`): criterion,
//!   both sides of each comparison in one group, via `iter_custom`.
//! - `src/bin/compare.rs` (`cargo run --release -p ctxrt-benches --bin compare`): runs
//!   every registered workload as alternating subject/baseline pairs ([`runner`]) and
//!   prints the table with medians, median per-pair ratios and target status ([`report`]).
//!
//! Modules: [`workload`] (the registry's types), [`context_workloads`] (ctxrt-context vs
//! tokio `task_local!`), [`runtime_workloads`] (tokio's scheduler benches on both
//! runtimes, through the [`bench_runtime`] trait), [`inherit_workloads`] (spawning with
//! inherited context vs tokio task-local scopes), [`task_memory`] (RSS per pending task),
//! [`runner`], [`report`], and [`memory`] (RSS probes for byte-counting rows).
//!
//! A third harness, `benches/runtime.rs`, is the criterion view of the timed runtime rows.
//!
//! # Examples
//!
//! ```
//! use ctxrt_benches::{registry, runner, RunConfig};
//!
//! let rows = registry();
//! let get = rows.iter().find(|w| w.name == "get, 1 binding").unwrap();
//! let result = runner::run_workload(get, &RunConfig::quick());
//! assert!(result.subject_median() > 0.0);
//! ```

pub mod bench_runtime;
pub mod context_workloads;
pub mod http_workloads;
pub mod inherit_workloads;
pub mod io_workloads;
pub mod memory;
#[cfg(feature = "opentelemetry")]
pub mod otel_workloads;
pub mod report;
pub mod runner;
pub mod runtime_workloads;
pub mod task_memory;
#[cfg(feature = "tracing")]
pub mod tracing_workloads;
pub mod workload;

pub use runner::{RunConfig, Status};
pub use workload::{Batch, Contender, Measurement, Unit, Workload};

/// Every registered workload, in table order: context rows, scheduler rows, inheritance
/// rows, then task-memory rows.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::registry();
/// let mut names: Vec<_> = rows.iter().map(|w| w.name).collect();
/// names.sort();
/// names.dedup();
/// assert_eq!(names.len(), rows.len(), "workload names are unique");
/// ```
pub fn registry() -> Vec<Workload> {
    let mut rows = context_workloads::workloads();
    rows.extend(runtime_workloads::workloads());
    rows.extend(inherit_workloads::workloads());
    rows.extend(task_memory::workloads());
    #[cfg(feature = "tracing")]
    rows.extend(tracing_workloads::workloads());
    #[cfg(feature = "opentelemetry")]
    rows.extend(otel_workloads::workloads());
    rows.extend(http_workloads::workloads());
    rows.extend(io_workloads::workloads());
    rows
}
