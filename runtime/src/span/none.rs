//! Span inheritance is off (no `tracing` feature): the same functions as `inherit.rs`,
//! each doing nothing but what it must, so the poll path is exactly `Context::run`.

use ctxrt_context::Context;

/// `context` unchanged.
#[inline(always)]
pub(crate) fn capture(context: Context) -> Context {
    context
}

/// No span inheritance: no task needs the traced vtable for it.
pub(crate) const INHERITS: bool = false;

/// No span is ever carried.
#[inline(always)]
pub(crate) fn carried(_context: &Context) -> bool {
    false
}

/// Runs `f` inside `context`.
#[inline(always)]
pub(crate) fn run_in<R>(context: &mut Context, f: impl FnOnce() -> R) -> R {
    context.run(f)
}

/// Nothing to carry into a thread.
pub(crate) struct ThreadSpan;

impl ThreadSpan {
    /// Nothing.
    pub(crate) fn capture() -> ThreadSpan {
        ThreadSpan
    }

    /// Calls `f`.
    pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// Runs `f`. With the `tracing` feature, tasks, blocking jobs and threads spawned inside
/// it do not inherit the current `tracing` span; without it there is no span inheritance.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let handle = rt.block_on(async {
///     ctxrt::task::without_span_inheritance(|| ctxrt::spawn(async { 1 }))
/// });
/// assert_eq!(rt.block_on(handle).unwrap(), 1);
/// ```
pub fn without_span_inheritance<R>(f: impl FnOnce() -> R) -> R {
    f()
}
