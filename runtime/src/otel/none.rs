//! OTel context inheritance is off (no `opentelemetry` feature): the same functions as
//! `attach.rs`, each doing nothing but what it must.

use ctxrt_context::Context;

/// `context` unchanged.
#[inline(always)]
pub(crate) fn capture(context: Context) -> Context {
    context
}

/// Runs `f` on `context`.
#[inline(always)]
pub(crate) fn run_in<R>(context: &mut Context, f: impl FnOnce(&mut Context) -> R) -> R {
    f(context)
}

/// Nothing to carry into a thread.
pub(crate) struct ThreadOtel;

impl ThreadOtel {
    /// Nothing.
    pub(crate) fn capture() -> ThreadOtel {
        ThreadOtel
    }

    /// Calls `f`.
    pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
        f()
    }
}
