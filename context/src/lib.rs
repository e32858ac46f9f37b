//! Python's `contextvars`, for Rust: context variables whose values flow into threads and
//! tasks, with snapshots that keep every task's sets to itself.
//!
//! - [`ContextVar`] is a key with an optional default. [`ContextVar::get`] reads the value
//!   bound in the *current context*; [`ContextVar::set`] binds one and returns a [`Token`]
//!   that [`ContextVar::reset`] uses to undo it; [`ContextVar::scope`] and
//!   [`ContextVar::scoped`] bind for a closure or a guard's life.
//! - [`Context`] is an O(1)-copyable snapshot of bindings. [`Context::current`] (or
//!   [`copy_context`]) takes one; [`Context::run`] enters one for a closure;
//!   [`Context::scope`] enters one around every poll of a future, on any executor.
//! - [`thread::spawn`] starts a thread in a copy of the caller's context. The `ctxrt`
//!   runtime gives every task and blocking job a copy the same way.
//!
//! This crate has no runtime dependency and no `unsafe`. Every primitive it shares between
//! threads comes through its `sync` module, which swaps to loom's under `cfg(loom)` so the
//! isolation guarantees are model-checked on this very code.
//!
//! # Examples
//!
//! ```
//! use ctxrt_context::{copy_context, thread, ContextVar};
//!
//! static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
//!
//! REQUEST_ID.set("req-42".to_string());
//! let worker = thread::spawn(|| REQUEST_ID.get());
//! assert_eq!(worker.join().unwrap().as_deref(), Some("req-42"));
//!
//! let mut isolated = copy_context();
//! isolated.run(|| REQUEST_ID.set("req-43".to_string()));
//! assert_eq!(REQUEST_ID.get().as_deref(), Some("req-42"));
//! ```
#![forbid(unsafe_code)]

mod bindings;
mod context;
mod log;
mod scope;
mod sync;
pub mod thread;
mod trace;
#[cfg(feature = "tracing")]
pub mod tracing;
mod var;

pub use context::{Binding, Context};
pub use log::{dump, Dump, LogValue};
pub use scope::ContextScope;
#[doc(hidden)]
pub use trace::__private as __traced;
pub use trace::{set_trace_sink, Outcome, TraceRecord, TraceSink};
pub use var::{BindingGuard, ContextVar, ResetError, Token};

/// A snapshot of the current context; the same as [`Context::current`].
///
/// # Examples
///
/// ```
/// use ctxrt_context::{copy_context, ContextVar};
/// static V: ContextVar<u8> = ContextVar::new("v");
/// V.set(1);
/// assert_eq!(copy_context().get(&V), Some(1));
/// ```
pub fn copy_context() -> Context {
    Context::current()
}
