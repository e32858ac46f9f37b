//! [`yield_now`]: let the other tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{self, Poll};

/// Yields once to the scheduler: the task goes to the back of its worker's queue.
///
/// The task keeps its context across the yield, on whichever worker resumes it.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     for _ in 0..3 {
///         ctxrt::task::yield_now().await;
///     }
/// });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
