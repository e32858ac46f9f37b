//! Unique ids for vars and context objects, from `const`-constructible std atomics.
//!
//! Ids start at 1; 0 means "not yet given". Every id is drawn from one process-wide
//! counter, so a var id never equals another var's and a context id never repeats.

use std::sync::atomic::{AtomicU64, Ordering};

use super::registry;
use crate::log::LogFn;

/// The process-wide id counter. `Relaxed` is enough everywhere: an id is a number, it
/// publishes no other memory, and one location's modification order makes ids unique.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id, never returned before in this process.
pub(crate) fn next_context_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A var's id, given lazily on first use so `ContextVar::new` can stay `const`.
///
/// A loggable var (`ContextVar::logged`) also carries its formatter here, registered under
/// the id *before* the id is published, so every thread that can bind the var finds the
/// formatter (see `registry.rs`).
#[derive(Debug)]
pub(crate) struct VarIdCell(AtomicU64, Option<LogFn>);

impl VarIdCell {
    /// An id cell with no id yet.
    pub(crate) const fn new() -> Self {
        VarIdCell(AtomicU64::new(0), None)
    }

    /// This cell, for a var whose bindings `log` formats.
    pub(crate) const fn with_log(self, log: LogFn) -> Self {
        VarIdCell(self.0, Some(log))
    }

    /// The formatter given by [`with_log`](Self::with_log), if any.
    pub(crate) fn log(&self) -> Option<LogFn> {
        self.1
    }

    /// This var's id, giving it one on first use.
    #[inline]
    pub(crate) fn get(&self) -> u64 {
        let id = self.0.load(Ordering::Relaxed);
        if id != 0 {
            id
        } else {
            self.assign()
        }
    }

    /// This var's id, or 0 if it has none yet (then nothing is bound to it anywhere).
    #[inline]
    pub(crate) fn peek(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    #[cold]
    fn assign(&self) -> u64 {
        let fresh = next_context_id();
        if let Some(log) = self.1 {
            // Before publishing: whoever reads the id can find the formatter. A losing
            // id's registration is never looked up (no binding carries that id).
            registry::register(fresh, log);
        }
        match self
            .0
            .compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => fresh,
            // Another thread gave the id first: everyone uses the winner's.
            Err(winner) => winner,
        }
    }
}
