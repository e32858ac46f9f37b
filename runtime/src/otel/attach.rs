//! OTel context inheritance (the `opentelemetry` feature): a task, blocking job or
//! [`crate::thread`] spawned while an `opentelemetry::Context` is current runs with that
//! context attached — around every poll, and around the drops of its future and output —
//! so `opentelemetry::Context::current()` inside it returns its spawner's, and
//! OTel-instrumented libraries (which read the current context to parent their spans and
//! to inject `traceparent`) work with no `.with_context(cx)`.
//!
//! How (the same shape as span inheritance, span/inherit.rs): at the spawn (`RawTask::new`,
//! on the spawning thread) [`capture`] puts the current OTel context into the new task's
//! context as a hidden `task_private` binding ([`TASK_OTEL`]; each spawn captures afresh,
//! from the spawner's current OTel context). The poll path (`harness.rs`, `in_context`)
//! calls [`run_in`], whose first step checks the task's own context for that binding
//! without touching a thread-local: a task that carries no OTel context pays that one
//! check, and its spawn one look at OTel's thread-local context.
//!
//! What counts as "an OTel context to carry": one with an active (or remote) span,
//! baggage, or telemetry suppression — everything OTel's propagators, tracers and SDK
//! exporters read. OTel's API cannot tell whether a context holds other application
//! values (`Context::with_value` of your own types) without a type to ask for, so a
//! context holding only those is not carried; attach such values with OTel's
//! `FutureExt::with_context` as on any executor.
//!
//! The captured context shows in the task's context as a binding named `ctxrt.otel` (not
//! loggable); it is invisible to every other var.

use ctxrt_context::{Context, ContextVar};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::TraceContextExt;
use opentelemetry::Context as OtelContext;

/// The OTel context a task runs with; bound in the task's own context by [`capture`].
static TASK_OTEL: ContextVar<OtelContext> = ContextVar::new("ctxrt.otel").task_private();

/// `context`, with the spawner's current OTel context bound in it if it carries anything.
#[inline]
pub(crate) fn capture(context: Context) -> Context {
    match OtelContext::map_current(carried) {
        None => context,
        Some(otel) => context.with_value(&TASK_OTEL, otel),
    }
}

/// A copy of `otel` if it holds something a child must see (see the module docs).
#[inline]
fn carried(otel: &OtelContext) -> Option<OtelContext> {
    if otel.has_active_span() || !otel.baggage().is_empty() || otel.is_telemetry_suppressed() {
        Some(otel.clone())
    } else {
        None
    }
}

/// Runs `f` on `context` and, if the task captured an OTel context, with it attached.
#[inline(always)]
pub(crate) fn run_in<R>(context: &mut Context, f: impl FnOnce(&mut Context) -> R) -> R {
    if !context.contains(&TASK_OTEL) {
        return f(context);
    }
    run_attached(context, f)
}

#[inline(never)]
fn run_attached<R>(context: &mut Context, f: impl FnOnce(&mut Context) -> R) -> R {
    // Detached when the guard drops, after `f` (also when `f` unwinds).
    let _attached = context.get(&TASK_OTEL).map(OtelContext::attach);
    f(context)
}

/// The current OTel context, for a [`crate::thread`]'s whole run.
pub(crate) struct ThreadOtel(OtelContext);

impl ThreadOtel {
    /// The caller's current OTel context.
    pub(crate) fn capture() -> ThreadOtel {
        ThreadOtel(OtelContext::current())
    }

    /// Runs `f` with the captured OTel context attached.
    pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
        let _attached = self.0.attach();
        f()
    }
}
