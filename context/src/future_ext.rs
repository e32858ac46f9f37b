//! Concurrent futures inside one task, each with its own context:
//! [`ContextVar::scope_future`] and [`ContextFutureExt::isolated`].
//!
//! A context belongs to a *task* (or thread), not to a future. Futures combined inside one
//! task with `join!`, `select!` or `join_all` are polled by that task, in its one context,
//! so a set made by one is seen by the others, and a `scoped()` guard held across an
//! `.await` in one restores a binding the others made meanwhile. This module gives each
//! such future a context of its own, the way `asyncio.gather` gives each coroutine its own
//! copy of the task's context and tokio's `LocalKey::scope(value, fut)` binds a value for
//! one future only.
//!
//! Both are built only on [`Context`]'s public API: a snapshot of the current context is
//! taken when the wrapper is made ([`Context::current`], `task_private` vars included:
//! the future still belongs to the same task), and [`Context::scope`] enters it around
//! every poll (and the drop) of the future. So a wrapped future:
//!
//! 1. sees the bindings current when it was wrapped (plus the `scope_future` value), not
//!    sets the task makes afterwards;
//! 2. keeps its own sets, across its `.await`s, to itself: neither the task nor the other
//!    futures see them;
//! 3. may hold a `scoped()` guard across `.await`: the guard is made and dropped in the
//!    wrapper's context, whatever the other futures do in between.

use std::future::Future;

use crate::{Context, ContextScope, ContextVar};

impl<T: Send + Sync + 'static> ContextVar<T> {
    /// Runs `fut` with this var bound to `value`, in a context of its own: `fut` sees
    /// `value` whenever it is polled, its own sets stay inside it, and the rest of the
    /// task (including futures joined with it) does not see them. The per-future
    /// counterpart of [`ContextVar::scope`], like tokio's `LocalKey::scope`.
    ///
    /// The future's context is a snapshot of the current one taken now, with `value`
    /// bound; it is entered around every poll of `fut` and around its drop.
    ///
    /// # Examples
    ///
    /// Two requests handled concurrently in one task, each with its own user:
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    ///
    /// static USER: ContextVar<&'static str> = ContextVar::new("user");
    ///
    /// async fn whoami() -> Option<&'static str> {
    ///     tokio::task::yield_now().await; // let the other request run in between
    ///     USER.get()
    /// }
    ///
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let (a, b) = rt.block_on(async {
    ///     tokio::join!(
    ///         USER.scope_future("alice", whoami()),
    ///         USER.scope_future("bob", whoami()),
    ///     )
    /// });
    /// assert_eq!((a, b), (Some("alice"), Some("bob")));
    /// assert_eq!(USER.get(), None); // the caller never saw either
    /// ```
    pub fn scope_future<F: Future>(&self, value: T, fut: F) -> ContextScope<F> {
        Context::current().with_value(self, value).scope(fut)
    }
}

/// Gives a future a context of its own: [`isolated`](ContextFutureExt::isolated).
///
/// Implemented for every future. Use it on futures run concurrently inside one task
/// (`join!`, `select!`, `join_all`) when they set context variables.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{ContextFutureExt, ContextVar};
///
/// static USER: ContextVar<&'static str> = ContextVar::new("user");
///
/// async fn handle(name: &'static str) -> Option<&'static str> {
///     USER.set(name);
///     tokio::task::yield_now().await; // the other handler runs here
///     USER.get()
/// }
///
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// rt.block_on(async {
///     // Sharing the task's context, alice reads bob's set:
///     let shared = tokio::join!(handle("alice"), handle("bob"));
///     assert_eq!(shared, (Some("bob"), Some("bob")));
///     // Isolated, each handler has its own:
///     let isolated = tokio::join!(handle("alice").isolated(), handle("bob").isolated());
///     assert_eq!(isolated, (Some("alice"), Some("bob")));
/// });
/// ```
pub trait ContextFutureExt: Future + Sized {
    /// Runs this future in a child context: a snapshot of the current context taken now,
    /// entered around every poll (and the drop) of the future. The future sees what the
    /// caller had bound when it called `isolated`; its sets stay inside it; `scoped()`
    /// guards it holds across `.await` restore correctly whatever the futures polled
    /// beside it do. Like `asyncio.gather`, which runs each coroutine in its own copy of
    /// the context.
    ///
    /// Same as `Context::current().scope(self)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{ContextFutureExt, ContextVar};
    ///
    /// static STEP: ContextVar<u32> = ContextVar::new("step");
    ///
    /// STEP.set(1);
    /// let child = async {
    ///     let seen = STEP.get();
    ///     STEP.set(2); // stays in the child
    ///     seen
    /// }
    /// .isolated();
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.block_on(child), Some(1));
    /// assert_eq!(STEP.get(), Some(1));
    /// ```
    fn isolated(self) -> ContextScope<Self> {
        Context::current().scope(self)
    }
}

impl<F: Future> ContextFutureExt for F {}
