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
//! from the spawner's current OTel context), and [`carried`] gives the task the traced
//! vtable (`task/raw/cell.rs`) if it did. Only a traced task's polls (`harness.rs`,
//! `in_context`) call [`run_in`], which checks the task's own context for the binding
//! without touching a thread-local: a task that carries no OTel context (nor a span) runs
//! the same poll code as without the feature, and its spawn pays one look at OTel's
//! thread-local context. A spawn inside [`without_otel_inheritance`] captures nothing.
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

use crate::sync::{Ordering, StaticAtomicUsize};

/// The OTel context a task runs with; bound in the task's own context by [`capture`].
static TASK_OTEL: ContextVar<OtelContext> = ContextVar::new("ctxrt.otel").task_private();

/// Bound (to anything) while spawns must not capture the current OTel context.
static NO_OTEL_INHERITANCE: ContextVar<()> =
    ContextVar::new("ctxrt.no_otel_inheritance").task_private();

/// Nonzero once any [`without_otel_inheritance`] has begun: until then
/// [`NO_OTEL_INHERITANCE`] is bound in no context, and a capture skips looking it up (a
/// binding lookup in the spawner's context, dearer than the rest of a capture).
static OPT_OUT_USED: StaticAtomicUsize = StaticAtomicUsize::new(0);

/// Whether spawns here must not capture the current OTel context.
#[inline]
fn opted_out() -> bool {
    // Relaxed: a context holding the binding got here after the store that preceded its
    // binding (on this thread, or as a snapshot handed over, which orders the two).
    OPT_OUT_USED.load(Ordering::Relaxed) != 0 && NO_OTEL_INHERITANCE.is_set()
}

/// OTel inheritance is compiled in: a spawn picks the traced vtable for a context that
/// [`carried`] says may hold an OTel context.
pub(crate) const INHERITS: bool = true;

/// `context`, with the spawner's current OTel context bound in it if it carries anything
/// (and the spawn is not inside [`without_otel_inheritance`]).
#[inline]
pub(crate) fn capture(context: Context) -> Context {
    // The question returns a `bool`, not the `Option<OtelContext>` to bind: a 40-byte
    // option written through memory and read back on every spawn cost more than asking
    // OTel's thread-local twice on the rare spawn that has something to carry.
    if OtelContext::map_current(inheritable) {
        bind_current(context)
    } else {
        context
    }
}

/// `context` with the current OTel context bound; out of line, so the spawn path that
/// binds nothing stays small enough to inline.
#[inline(never)]
fn bind_current(context: Context) -> Context {
    // Reads a ctxrt var only, never OTel's thread-local (which `map_current` borrows).
    if opted_out() {
        return context;
    }
    context.with_value(&TASK_OTEL, OtelContext::current())
}

/// Whether `context` may carry an OTel context for its task to attach (the task gets the
/// traced vtable): whether it has any `task_private` binding, one test. [`run_in`] looks
/// for the OTel context itself.
#[inline]
pub(crate) fn carried(context: &Context) -> bool {
    context.has_task_private()
}

/// Whether `otel` holds something a child must see (see the module docs).
#[inline]
fn inheritable(otel: &OtelContext) -> bool {
    otel.has_active_span() || otel.is_telemetry_suppressed() || !otel.baggage().is_empty()
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

/// The current OTel context, for a [`crate::thread`]'s whole run (none inside
/// [`without_otel_inheritance`]).
pub(crate) struct ThreadOtel(Option<OtelContext>);

impl ThreadOtel {
    /// The caller's current OTel context, unless inside [`without_otel_inheritance`].
    pub(crate) fn capture() -> ThreadOtel {
        if opted_out() {
            ThreadOtel(None)
        } else {
            ThreadOtel(Some(OtelContext::current()))
        }
    }

    /// Runs `f` with the captured OTel context attached.
    pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
        let _attached = self.0.map(OtelContext::attach);
        f()
    }
}

/// Runs `f` with OTel context inheritance off: tasks, blocking jobs and [`crate::thread`]s
/// spawned inside it do not run with the current `opentelemetry::Context` attached, so
/// `opentelemetry::Context::current()` in them does not return the spawner's span or
/// baggage (fire-and-forget work that must not join a request's trace). Context variables
/// are inherited as usual, and so is the current `tracing` span (see
/// [`without_span_inheritance`](crate::task::without_span_inheritance) for that).
///
/// Without the `opentelemetry` feature there is no OTel inheritance, and this only calls
/// `f`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{
///     SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
/// };
/// use opentelemetry::Context;
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let remote = SpanContext::new(
///         TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
///         SpanId::from(0x00f0_67aa_0ba9_02b7),
///         TraceFlags::SAMPLED,
///         true,
///         TraceState::default(),
///     );
///     let (inherits, opted_out) = {
///         let _attached = Context::new().with_remote_span_context(remote).attach();
///         (
///             ctxrt::spawn(async { Context::current().has_active_span() }),
///             ctxrt::task::without_otel_inheritance(|| {
///                 ctxrt::spawn(async { Context::current().has_active_span() })
///             }),
///         )
///     };
///     assert!(inherits.await.unwrap());
///     assert!(!opted_out.await.unwrap());
/// }
/// ```
pub fn without_otel_inheritance<R>(f: impl FnOnce() -> R) -> R {
    OPT_OUT_USED.store(1, Ordering::Relaxed);
    NO_OTEL_INHERITANCE.scope((), f)
}
