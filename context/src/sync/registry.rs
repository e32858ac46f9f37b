//! Process-wide observability slots. The formatters of loggable vars, by var id: written
//! once per loggable var, when the var is given its id (`ids.rs`), before the id is
//! published; read by log output (`log.rs`). And the sink of `#[traced]` records
//! (`trace.rs`). The same file in both builds, as `ids.rs`: a `static` needs a `const`
//! lock, and the only race (two threads registering ids at once) is settled by the lock.

use std::sync::atomic::{AtomicUsize, Ordering};
/// For the `tracing` feature's table of run-time metadata (`tracing.rs`), process-wide like
/// the rest of this file.
#[cfg(feature = "tracing")]
pub(crate) use std::sync::OnceLock;
pub(crate) use std::sync::RwLock;

use crate::log::LogFn;
use crate::trace::TraceSink;

/// `(var id, formatter)`, sorted by id.
static LOGGED: RwLock<Vec<(u64, LogFn)>> = RwLock::new(Vec::new());

/// How many formatters are registered, so that a process with no loggable var skips the
/// lock. `Release` pairs with the `Acquire` in [`logged_formatter`]: a reader that sees
/// the count sees the entry (it takes the lock anyway; this is only the fast "none" path).
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Records that bindings of var `id` are formatted by `log`.
pub(super) fn register(id: u64, log: LogFn) {
    // A poisoned lock only means a panic elsewhere mid-push of a Copy pair: the table is
    // still sorted and whole, so keep using it.
    let mut table = LOGGED
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let at = table.partition_point(|&(other, _)| other < id);
    table.insert(at, (id, log));
    COUNT.fetch_add(1, Ordering::Release);
}

/// The formatter of var `id`, if it is a loggable var.
pub(crate) fn logged_formatter(id: u64) -> Option<LogFn> {
    if COUNT.load(Ordering::Acquire) == 0 {
        return None;
    }
    let table = LOGGED
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let at = table.binary_search_by_key(&id, |&(other, _)| other).ok()?;
    Some(table[at].1)
}

/// The `#[traced]` sink.
static TRACE_SINK: RwLock<Option<TraceSink>> = RwLock::new(None);

/// Replaces the `#[traced]` sink; returns the previous one.
pub(crate) fn set_trace_sink(sink: Option<TraceSink>) -> Option<TraceSink> {
    let mut slot = TRACE_SINK
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    std::mem::replace(&mut *slot, sink)
}

/// The `#[traced]` sink, if one is set.
pub(crate) fn trace_sink() -> Option<TraceSink> {
    *TRACE_SINK
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
