//! The one door to concurrency for `ctxrt-context`.
//!
//! Nothing else in this crate names `std::sync`, `std::thread` or `thread_local!`. Under
//! `cfg(loom)` the whole of [`std_impl`](self) is swapped for a file of the same shape over
//! loom's primitives, so the loom models in `ctxrt-loom-tests` check the code that ships.
//!
//! What each backend provides (the contract both files keep):
//! - `Arc`: shares one binding map between snapshots; `Arc::try_unwrap` takes back a map no
//!   snapshot shares any more (else it is copied on write).
//! - `ErasedValue` and `erase(value)`: a bound value, type-erased and reference counted so a
//!   snapshot shares the value instead of copying it; `Arc::get_mut` tells a value only the
//!   current context holds (overwritten in place on rebinding) from a shared one.
//! - `with_frame(f)` / `try_with_frame(f)` / `with_frame_for_switch(f)`: the per-thread
//!   [`ThreadSlot`](crate::context::ThreadSlot) holding the current context, to change it,
//!   to read it (`None` once the thread's context was dropped at exit), or to swap a
//!   context in or out. `with_registered_frame(f)` is the first without the std twin's
//!   reaper check, for the inline fast paths that change only values already in the
//!   slot. Under loom it is loom's `thread_local!`, because std's is shared by every loom
//!   thread.
//! - `with_view(f)` / `try_with_view(f)`: the per-thread
//!   [`ReadView`](crate::view::ReadView), the read cache over the current context. With
//!   std the view and the slot share one `const` thread-local without destructor (a plain
//!   TLS access, no state check); the slot's values are dropped at thread exit by a second
//!   thread-local that the thread's first change registers. Under loom both are loom's
//!   `thread_local!`s.
//! - `spawn_thread(f)` and `JoinHandle`: start an OS thread (a loom thread under loom).
//!
//! `ids.rs` is the same file in both builds: it hands out var and context ids from
//! `const`-constructible std atomics. Loom's atomics are not `const`, so they cannot live in
//! a `static ContextVar`; the only race they resolve (two threads giving a var its id at
//! once) is settled by one `compare_exchange` and needs no model.
//!
//! `registry.rs` is the same file in both builds too: the process-wide table of loggable
//! vars' formatters and the `#[traced]` sink, behind `const`-constructible std `RwLock`s.
//! The table is written once per loggable var (when the var gets its id), the sink when the
//! user sets it; both are only read otherwise, by log output.

mod ids;
pub(crate) use ids::{next_context_id, VarIdCell};
pub(crate) mod registry;
pub(crate) use registry::logged_formatter;

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
pub(crate) use std_impl::*;

#[cfg(loom)]
mod loom_impl;
#[cfg(loom)]
pub(crate) use loom_impl::*;
