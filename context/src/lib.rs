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
//! - [`ContextFutureExt::isolated`] and [`ContextVar::scope_future`] give one future a
//!   context of its own, for futures run concurrently inside one task.
//!
//! This crate has no runtime dependency. Every primitive it shares between threads comes
//! through its `sync` module, which swaps to loom's under `cfg(loom)` so the isolation
//! guarantees are model-checked on this very code.
//!
//! Modules: `context` (the [`Context`] object and the thread's current-context slot),
//! `bindings` (the sorted binding maps, shared or detached), `var` ([`ContextVar`] and its
//! tokens and guards), `scope` ([`ContextScope`]), `view` (the per-thread read cache a
//! `get` hits), `cell` (the in-place overwrite of a value no snapshot shares). `unsafe` is
//! denied crate-wide and allowed only in `view.rs` and `cell.rs`, each of which opens with
//! the numbered invariants its `SAFETY` comments cite; the crate's tests run under
//! AddressSanitizer with leak detection in `.ci/run`.
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
//!
//! # Context belongs to the task; isolate futures you run concurrently inside one task
//!
//! A context is the current one of a thread, or of a task on a runtime that gives each
//! task its own (ctxrt does). Futures combined inside one task with `join!`, `select!` or
//! `join_all` are all polled by that task, so they share its context: a set by one is seen
//! by the others, and a [`ContextVar::scoped`] guard held across an `.await` in one
//! restores a binding another made meanwhile. Wrap each such future with
//! [`.isolated()`](ContextFutureExt::isolated) (a child context per future, as
//! `asyncio.gather` gives each coroutine its own) or bind a value for one future with
//! [`ContextVar::scope_future`] (tokio's `LocalKey::scope`):
//!
//! ```
//! use ctxrt_context::{ContextFutureExt, ContextVar};
//!
//! static USER: ContextVar<&'static str> = ContextVar::new("user");
//!
//! async fn handle(name: &'static str) -> Option<&'static str> {
//!     USER.set(name);
//!     tokio::task::yield_now().await; // the other handler runs here
//!     USER.get()
//! }
//!
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! rt.block_on(async {
//!     // One context for both: alice reads "bob".
//!     let shared = tokio::join!(handle("alice"), handle("bob"));
//!     assert_eq!(shared, (Some("bob"), Some("bob")));
//!     // A context each.
//!     let isolated = tokio::join!(handle("alice").isolated(), handle("bob").isolated());
//!     assert_eq!(isolated, (Some("alice"), Some("bob")));
//! });
//! ```
#![deny(unsafe_code)]

mod bindings;
#[allow(unsafe_code)]
mod cell;
mod context;
mod future_ext;
mod log;
#[cfg(feature = "opentelemetry")]
pub mod opentelemetry;
mod scope;
mod sync;
pub mod thread;
mod trace;
#[cfg(feature = "tracing")]
pub mod tracing;
mod var;
#[allow(unsafe_code)]
mod view;

pub use context::{Binding, Context};
pub use future_ext::ContextFutureExt;
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
