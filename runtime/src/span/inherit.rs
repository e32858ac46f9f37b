//! Span inheritance (the `tracing` feature): a task, blocking job or [`crate::thread`]
//! spawned while a `tracing::Span` is entered runs inside that span — entered and exited
//! around every poll, and around the drops of its future and output — so child work
//! nests under its spawner's span with no `.instrument()`. A [`crate::thread`] also gets
//! its spawner's default `tracing` dispatcher.
//!
//! How: at the spawn (`RawTask::new`, on the spawning thread) [`capture`] puts
//! `Span::current()` into the new task's context as a hidden `task_private` binding
//! ([`TASK_SPAN`], never inherited by accident: each spawn captures afresh), and
//! [`carried`] gives the task the traced vtable (`task/raw/cell.rs`) if it did. A child
//! spawned from a task whose inherited span is still the current one shares that task's
//! binding instead (`Context::share_task_private`: one refcount, no allocation, no new
//! span handle), which is what a fresh capture would bind. Only a traced task's polls
//! (`harness.rs`, `in_context`) call [`run_in`], which checks the task's own context for
//! the binding without touching a thread-local: a task that carries no span (nor an OTel
//! context) runs the same poll code as without the feature.
//! A spawn inside [`without_span_inheritance`] captures nothing.
//!
//! The captured span shows in the task's context as a binding named `ctxrt.span` (not
//! loggable); it is invisible to every other var.

use std::ptr;

use ctxrt_context::{Context, ContextVar};
use tracing::Span;
use tracing_subscriber::Registry;

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
fn capture_current(mut context: Context) -> Context {
    if opted_out() {
        return context;
    }
    // A task spawning while its own inherited span is still the current one (the usual
    // case: its poll entered it) gives the child the same binding by sharing its hidden
    // map, with no new span handle, value or map.
    if context.share_task_private(&TASK_SPAN, is_current) {
        return context;
    }
    let span = Span::current();
    if span.is_none() {
        return context;
    }
    context.with_value(&TASK_SPAN, span)
}

/// Whether `span` is what `Span::current()` would return here: its subscriber is the
/// current default one and has it as the current span on this thread.
///
/// `tracing` offers no identity test of two `Dispatch`es, so the subscriber is
/// recognised by the address of the `tracing_subscriber::Registry` inside it (what
/// `fmt()`, `registry().with(..)` and their layers are built on; a subscriber of another
/// kind is never matched, and its children capture `Span::current()` afresh). One
/// registry hands out a live span's id to no other span, so equal ids are the same span.
fn is_current(span: &Span) -> bool {
    span.with_subscriber(|(id, dispatch)| {
        let Some(registry) = dispatch.downcast_ref::<Registry>() else {
            return false;
        };
        tracing::dispatcher::get_default(|current| {
            current
                .downcast_ref::<Registry>()
                .is_some_and(|current| ptr::eq(current, registry))
                && current.current_span().id() == Some(id)
        })
    })
    .unwrap_or(false)
}

/// Span inheritance is compiled in: a spawn picks the traced vtable for a context that
/// [`carried`] says may hold a span.
pub(crate) const INHERITS: bool = true;

/// Whether `context` may carry a span for its task to run in (the task gets the traced
/// vtable): whether it has any `task_private` binding, one test. [`run_in`] looks for
/// the span itself, so a context carrying other hidden bindings only costs that lookup
/// per poll.
#[inline]
pub(crate) fn carried(context: &Context) -> bool {
    context.has_task_private()
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
