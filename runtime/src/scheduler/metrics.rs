//! Per-worker counters behind `RuntimeMetrics` (`runtime/metrics.rs`).
//!
//! Each worker writes only its own [`WorkerMetrics`] (its `Core` and its `Remote` share one
//! `Arc` of them, so the per-poll count is one pointer away), on its own cache line(s), with a
//! relaxed load and store (no read-modify-write: one writer), so counting costs a few
//! plain instructions on the scheduler's paths and no sharing between workers. Readers
//! (any thread) see relaxed values: each counter is monotonic and may lag by a few
//! updates. Who writes what:
//! - `poll_count`: `Core::before_run`, once per task run.
//! - `park_count`, `busy_ns`: `Core::park`: the time from the last unpark to this park
//!   is added to `busy_ns` when the worker parks.
//! - `steal_count`: `Core::steal`, the number of tasks a successful steal moved.

use std::time::Duration;

use crate::sync::{AtomicU64, Instant, Ordering};

/// One worker's counters; 128-byte aligned so two workers never share a cache line (or
/// an adjacent-line prefetch pair).
#[repr(align(128))]
pub(crate) struct WorkerMetrics {
    poll_count: AtomicU64,
    park_count: AtomicU64,
    steal_count: AtomicU64,
    busy_ns: AtomicU64,
}

impl WorkerMetrics {
    pub(crate) fn new() -> WorkerMetrics {
        WorkerMetrics {
            poll_count: AtomicU64::new(0),
            park_count: AtomicU64::new(0),
            steal_count: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
        }
    }

    /// Adds `n` to a counter only this worker writes.
    #[inline(always)]
    fn add(counter: &AtomicU64, n: u64) {
        // Relaxed load + store: this worker is the only writer (module docs).
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    #[inline(always)]
    pub(crate) fn polled(&self) {
        Self::add(&self.poll_count, 1);
    }

    pub(crate) fn stole(&self, tasks: usize) {
        Self::add(&self.steal_count, tasks as u64);
    }

    /// The worker parks after being busy since `busy_since`.
    pub(crate) fn parking(&self, busy_since: Instant) {
        Self::add(&self.park_count, 1);
        let busy = busy_since.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        Self::add(&self.busy_ns, busy);
    }

    pub(crate) fn poll_count(&self) -> u64 {
        self.poll_count.load(Ordering::Relaxed)
    }

    pub(crate) fn park_count(&self) -> u64 {
        self.park_count.load(Ordering::Relaxed)
    }

    pub(crate) fn steal_count(&self) -> u64 {
        self.steal_count.load(Ordering::Relaxed)
    }

    pub(crate) fn busy_duration(&self) -> Duration {
        Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed))
    }
}
