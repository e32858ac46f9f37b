//! OTel context inheritance is off (no `opentelemetry` feature): the same functions as
//! `attach.rs`, each doing nothing but what it must.

use ctxrt_context::Context;

/// `context` unchanged.
#[inline(always)]
pub(crate) fn capture(context: Context) -> Context {
    context
}

/// No OTel inheritance: no task needs the traced vtable for it.
pub(crate) const INHERITS: bool = false;

/// No OTel context is ever carried.
#[inline(always)]
pub(crate) fn carried(_context: &Context) -> bool {
    false
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

/// Runs `f`. With the `opentelemetry` feature, tasks, blocking jobs and threads spawned
/// inside it do not inherit the current `opentelemetry::Context`; without it there is no
/// OTel inheritance.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let handle = rt.block_on(async {
///     ctxrt::task::without_otel_inheritance(|| ctxrt::spawn(async { 1 }))
/// });
/// assert_eq!(rt.block_on(handle).unwrap(), 1);
/// ```
pub fn without_otel_inheritance<R>(f: impl FnOnce() -> R) -> R {
    f()
}
