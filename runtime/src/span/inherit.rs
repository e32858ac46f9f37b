//! Span inheritance (the `tracing` feature): a task, blocking job or [`crate::thread`]
//! spawned while a `tracing::Span` is entered runs inside that span — entered and exited
//! around every poll, and around the drops of its future and output — so child work
//! nests under its spawner's span with no `.instrument()`. A [`crate::thread`] also gets
//! its spawner's default `tracing` dispatcher.
//!
//! How: at the spawn (`RawTask::new`, on the spawning thread) [`capture`] puts
//! `Span::current()` into the new task's context as a hidden `task_private` binding
//! ([`TASK_SPAN`], never inherited by accident: each spawn captures afresh), and
//! [`carried`] sets the task's `TRACE` bit (`task/raw/state.rs`) if it did. The poll path
//! (`harness.rs`, `in_context`) calls [`run_in`] only for a task with that bit, which
//! checks the task's own context for the binding without touching a thread-local: a task
//! that carries no span (nor an OTel context) pays one test of its state word per poll.
//! A spawn inside [`without_span_inheritance`] captures nothing.
//!
//! The captured span shows in the task's context as a binding named `ctxrt.span` (not
//! loggable); it is invisible to every other var.

use ctxrt_context::{Context, ContextVar};
use tracing::Span;

use crate::sync::{Ordering, StaticAtomicUsize};

/// The span a task runs in; bound in the task's own context by [`capture`].
static TASK_SPAN: ContextVar<Span> = ContextVar::new("ctxrt.span").task_private();

/// Bound (to anything) while spawns must not capture the current span.
static NO_SPAN_INHERITANCE: ContextVar<()> =
    ContextVar::new("ctxrt.no_span_inheritance").task_private();

/// Nonzero once any [`without_span_inheritance`] has begun: until then
/// [`NO_SPAN_INHERITANCE`] is bound in no context, and a capture skips looking it up (a
/// binding lookup in the spawner's context, dearer than the rest of a capture).
static OPT_OUT_USED: StaticAtomicUsize = StaticAtomicUsize::new(0);

/// Whether spawns here must not capture the current span.
#[inline]
fn opted_out() -> bool {
    // Relaxed: a context holding the binding got here after the store that preceded its
    // binding (on this thread, or as a snapshot handed over, which orders the two).
    OPT_OUT_USED.load(Ordering::Relaxed) != 0 && NO_SPAN_INHERITANCE.is_set()
}

/// `context`, with the spawner's current span bound in it if there is one (and the spawn
/// is not inside [`without_span_inheritance`]).
#[inline]
pub(crate) fn capture(context: Context) -> Context {
    // One load and branch while no dispatcher was ever set (what `tracing`'s own macros
    // check first): a process that does not trace pays nothing else per spawn.
    if !tracing::dispatcher::has_been_set() {
        return context;
    }
    capture_current(context)
}

#[inline(never)]
fn capture_current(context: Context) -> Context {
    let span = Span::current();
    if span.is_none() || opted_out() {
        return context;
    }
    context.with_value(&TASK_SPAN, span)
}

/// Span inheritance is compiled in: the poll path looks at the task's `TRACE` bit.
pub(crate) const INHERITS: bool = true;

/// Whether `context` carries a span for its task to run in (the task's `TRACE` bit).
#[inline]
pub(crate) fn carried(context: &Context) -> bool {
    context.contains(&TASK_SPAN)
}

/// Runs `f` inside `context` and, if the task captured a span, inside that span.
#[inline(always)]
pub(crate) fn run_in<R>(context: &mut Context, f: impl FnOnce() -> R) -> R {
    if !context.contains(&TASK_SPAN) {
        return context.run(f);
    }
    run_in_span(context, f)
}

#[inline(never)]
fn run_in_span<R>(context: &mut Context, f: impl FnOnce() -> R) -> R {
    context.run(|| {
        TASK_SPAN.with(|span| match span {
            Some(span) => span.in_scope(f),
            None => f(),
        })
    })
}

/// The current span and `tracing` dispatcher, for a [`crate::thread`]'s whole run.
pub(crate) struct ThreadSpan {
    span: Span,
    dispatch: tracing::Dispatch,
}

impl ThreadSpan {
    /// The caller's current span (none inside [`without_span_inheritance`]) and its
    /// default dispatcher, which a new thread would not otherwise have if it was set with
    /// `tracing::dispatcher::set_default` rather than globally.
    pub(crate) fn capture() -> ThreadSpan {
        let span = if opted_out() {
            Span::none()
        } else {
            Span::current()
        };
        ThreadSpan {
            span,
            dispatch: tracing::dispatcher::get_default(Clone::clone),
        }
    }

    /// Runs `f` with the captured dispatcher as default, inside the captured span.
    pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&self.dispatch, || self.span.in_scope(f))
    }
}

/// Runs `f` with span inheritance off: tasks, blocking jobs and [`crate::thread`]s spawned
/// inside it do not run in the current `tracing` span (fire-and-forget work that must not
/// keep a request's span open, or appear inside it). Context variables are inherited as
/// usual.
///
/// Without the `tracing` feature there is no span inheritance, and this only calls `f`.
///
/// # Examples
///
/// ```
/// use tracing::Span;
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     // A span needs a subscriber to exist; with none, every span is disabled.
///     let nested = ctxrt::spawn(async { Span::current().is_none() });
///     let detached = ctxrt::task::without_span_inheritance(|| {
///         ctxrt::spawn(async { Span::current().is_none() })
///     });
///     assert!(nested.await.unwrap());
///     assert!(detached.await.unwrap());
/// }
/// ```
pub fn without_span_inheritance<R>(f: impl FnOnce() -> R) -> R {
    OPT_OUT_USED.store(1, Ordering::Relaxed);
    NO_SPAN_INHERITANCE.scope((), f)
}
