//! [`Timeout`], [`timeout`] and [`timeout_at`].
//!
//! Invariant (the `unsafe` below relies on it): 1. While `Timeout::value` is `Some`, the
//! future in it is pinned: it is never moved out, only polled through `Pin::new_unchecked`
//! and dropped in place by assigning `None` (which runs its destructor where it lies).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use super::error::Elapsed;
use super::{Instant, Sleep};

/// Runs `future` for at most `duration`: its output, or `Err(Elapsed)`. When the time is
/// up the future is dropped there and then, inside the task's context.
///
/// # Panics
///
/// Outside a runtime, or on one built without `enable_time`.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{sleep, timeout, Duration};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
///     let slow = timeout(Duration::from_millis(1), sleep(Duration::from_secs(3600)));
///     assert!(slow.await.is_err());
/// }
/// ```
#[inline]
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(Instant::far_future);
    Timeout::new(future.into_future(), deadline, "ctxrt::time::timeout")
}

/// Runs `future` until `deadline` at most; see [`timeout`].
///
/// # Panics
///
/// Outside a runtime, or on one built without `enable_time`.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{timeout_at, Duration, Instant};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let deadline = Instant::now() + Duration::from_secs(1);
///     assert_eq!(timeout_at(deadline, async { "fast" }).await, Ok("fast"));
/// }
/// ```
#[inline]
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), deadline, "ctxrt::time::timeout_at")
}

/// The future of [`timeout`] / [`timeout_at`].
///
/// # Examples
///
/// ```
/// use ctxrt::time::{timeout, Duration};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let guarded: ctxrt::time::Timeout<_> = timeout(Duration::from_secs(1), async { 1 });
///     assert_eq!(guarded.await.unwrap(), 1);
/// }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    value: Option<F>,
    delay: Sleep,
}

impl<F> Timeout<F> {
    #[inline]
    #[track_caller]
    fn new(future: F, deadline: Instant, what: &str) -> Timeout<F> {
        Timeout {
            value: Some(future),
            delay: Sleep::new(deadline, what),
        }
    }

    /// The inner future, unless the timeout fired (it was dropped then).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{timeout, Duration};
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let guarded = timeout(Duration::from_secs(1), std::future::ready(3));
    /// assert!(guarded.get_ref().is_some());
    /// ```
    pub fn get_ref(&self) -> Option<&F> {
        self.value.as_ref()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: `value` stays pinned in place (invariant 1 above); `delay` is Unpin and
        // only accessed by reference.
        let this = unsafe { self.get_unchecked_mut() };
        if let Some(value) = this.value.as_mut() {
            // SAFETY: invariant 1: the future is never moved while in `value`.
            let value = unsafe { Pin::new_unchecked(value) };
            if let Poll::Ready(output) = value.poll(cx) {
                return Poll::Ready(Ok(output));
            }
        } else {
            return Poll::Ready(Err(Elapsed::new()));
        }
        match Pin::new(&mut this.delay).poll(cx) {
            Poll::Ready(()) => {
                // Dropped in place, now, in the polling task's context (invariant 1).
                this.value = None;
                Poll::Ready(Err(Elapsed::new()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> std::fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeout")
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}
