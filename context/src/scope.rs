//! [`ContextScope`]: a future whose every poll runs inside one [`Context`].
//!
//! This is how context follows a future on executors that know nothing of ctxrt (tokio,
//! async-std, a hand-rolled loop): the wrapper enters its context around each poll of the
//! inner future and keeps the sets it makes for the next poll. The ctxrt runtime does not
//! need it: its tasks own their context directly.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{self, Poll};

use crate::Context;

/// A future that polls its inner future inside a [`Context`]; made by
/// [`Context::scope`].
///
/// The inner future is boxed once when the scope is made (this crate has no `unsafe`, so
/// it pins through a `Box`); each poll costs two swaps of the current-context slot.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{Context, ContextVar};
///
/// static COUNT: ContextVar<u32> = ContextVar::new("count");
/// let fut = Context::new().scope(async {
///     COUNT.set(1);
///     std::future::ready(()).await;
///     COUNT.get() // the set carried over the await
/// });
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(rt.block_on(fut), Some(1));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ContextScope<F> {
    context: Context,
    future: Pin<Box<F>>,
}

impl<F: Future> ContextScope<F> {
    pub(crate) fn new(context: Context, future: F) -> Self {
        ContextScope {
            context,
            future: Box::pin(future),
        }
    }

    /// The context the future runs in, with the sets it has made so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    /// static V: ContextVar<u8> = ContextVar::new("v");
    /// let scope = Context::new().with_value(&V, 1).scope(async {});
    /// assert_eq!(scope.context().get(&V), Some(1));
    /// ```
    pub fn context(&self) -> &Context {
        &self.context
    }
}

impl<F: Future> Future for ContextScope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let future = this.future.as_mut();
        this.context.run(|| future.poll(cx))
    }
}

impl<F> fmt::Debug for ContextScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextScope")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}
