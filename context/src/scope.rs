//! [`ContextScope`]: a future whose every poll runs inside one [`Context`].
//!
//! This is how context follows a future on executors that know nothing of ctxrt (tokio,
//! async-std, a hand-rolled loop): the wrapper enters its context around each poll of the
//! inner future and keeps the sets it makes for the next poll. It also drops the inner
//! future inside that context, so destructors that read or reset vars (a `scoped()` guard
//! held across an `.await` when the future is cancelled) see the context they ran in.
//! The ctxrt runtime does not need it: its tasks own their context directly.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{self, Poll};

use pin_project_lite::pin_project;

use crate::sync;
use crate::Context;

pin_project! {
    /// A future that polls its inner future inside a [`Context`]; made by
    /// [`Context::scope`].
    ///
    /// The inner future is held inline (no allocation), so, like tokio's
    /// `TaskLocalFuture`, the scope is `Unpin` exactly when the inner future is: pin it
    /// (`std::pin::pin!`, `Box::pin`) to poll it by hand. Each poll costs two swaps of the
    /// current-context slot. Dropping the scope drops the inner future inside the context
    /// too, so a cancelled future's destructors (such as a
    /// [`BindingGuard`](crate::BindingGuard) held across an `.await`) run where they were
    /// made.
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
        // `Some` until `drop` drops it in place, inside `context`.
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for ContextScope<F> {
        /// Drops the inner future inside the context, as its polls ran: a destructor that
        /// reads a var sees the scope's binding, and a `scoped()` guard held across an
        /// `.await` restores its binding instead of panicking about a foreign context.
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut future = this.future;
            if sync::try_with_frame(|_| ()).is_none() {
                // Dropped by a TLS destructor: the thread has no current context left to
                // swap with, and panicking here would abort. Drop the future as is.
                future.set(None);
                return;
            }
            this.context.run(move || future.set(None));
        }
    }
}

impl<F: Future> ContextScope<F> {
    pub(crate) fn new(context: Context, future: F) -> Self {
        ContextScope {
            context,
            future: Some(future),
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
        let this = self.project();
        let Some(future) = this.future.as_pin_mut() else {
            unreachable!("ContextScope's future is only taken by its Drop");
        };
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
