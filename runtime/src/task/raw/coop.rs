//! Cooperative budget: a task may make at most [`BUDGET`] steps of progress on ctxrt's own
//! resources (JoinHandles, JoinSets) per poll; after that they report `Pending` and wake
//! the task, so it goes to the back of the queue and one busy task cannot starve the rest.
//!
//! The budget is per thread, set around each task poll and each poll of a `block_on`
//! future (so `#[ctxrt::main]` bodies are fair too, as in tokio); elsewhere it is
//! unlimited. [`unconstrained`] lifts it for one future; [`consume_budget`] spends it
//! from user code.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{self, Poll};

use crate::sync::thread_local_const;

/// Steps of progress a task may make per poll.
pub(crate) const BUDGET: u8 = 128;

thread_local_const! {
    /// `None`: unlimited (not inside a task poll).
    static REMAINING: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs one task poll with a fresh budget, restoring the previous one afterwards (panics
/// included: the restore is a drop guard).
#[inline(always)]
pub(crate) fn budgeted<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Some(BUDGET), f)
}

/// Runs `f` with `budget` (`None`: unlimited), restoring the previous one afterwards.
/// Inlined into both callers: out of line, the per-poll bracket costs a call and a frame.
#[inline(always)]
fn with_budget<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = REMAINING.try_with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|cell| cell.replace(budget)));
    f()
}

/// Runs `future` without a cooperative budget: ctxrt's resources never make it yield
/// on their own (what tokio's `unconstrained` does). Use it for a future that must not be
/// interrupted and that you know finishes quickly; it can starve other tasks otherwise.
///
/// # Examples
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     // 1,000 ready steps in a row without a forced yield.
///     let steps = ctxrt::task::unconstrained(async {
///         for _ in 0..1_000 {
///             ctxrt::task::consume_budget().await;
///         }
///         1_000
///     })
///     .await;
///     assert_eq!(steps, 1_000);
/// }
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

/// The future returned by [`unconstrained`].
///
/// # Examples
///
/// ```
/// let future: ctxrt::task::Unconstrained<_> = ctxrt::task::unconstrained(async { 1 });
/// assert_eq!(ctxrt::runtime::Runtime::new().unwrap().block_on(future), 1);
/// ```
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Unconstrained<F> {
    future: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: never moved out nor reached by `&mut`
        // outside this projection (rule 6 in task/raw/mod.rs).
        let future = unsafe { self.map_unchecked_mut(|this| &mut this.future) };
        with_budget(None, || future.poll(cx))
    }
}

/// Spends one unit of the cooperative budget, yielding (as `yield_now` does) if it is
/// used up: call it in a loop that does CPU work between awaits that are always ready,
/// so the loop cannot starve other tasks.
///
/// # Examples
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let mut sum = 0u64;
///     for i in 0..10_000u64 {
///         sum += i; // work that never awaits anything pending
///         ctxrt::task::consume_budget().await;
///     }
///     assert_eq!(sum, 49_995_000);
/// }
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(poll_proceed).await
}

/// Takes one unit of budget; if none is left, wakes the task and returns `Pending`.
pub(crate) fn poll_proceed(cx: &mut task::Context<'_>) -> Poll<()> {
    REMAINING.with(|cell| match cell.get() {
        None => Poll::Ready(()),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            cell.set(Some(n - 1));
            Poll::Ready(())
        }
    })
}
