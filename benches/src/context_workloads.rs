//! Context-variable workloads: `ctxrt-context` against tokio's `task_local!`.
//!
//! Every side is a `pub fn(iters) -> Measurement`, registered in [`workloads`] for the
//! `compare` binary and called through `iter_custom` by the criterion bench
//! (`benches/context.rs`), so both harnesses time exactly the same loop.
//!
//! Fixture rules (they make the rows comparable and honest):
//! 1. ctxrt sides run inside a fresh [`Context::new`] holding `n` bindings: `n - 1`
//!    fillers and [`TARGET`], which is bound with value 1 before timing starts. Its id is
//!    given after every filler's, so it sorts *last* in the binding map: the worst case for
//!    the map's linear scan (≤ 8 bindings); 64 bindings use binary search.
//! 2. tokio sides run inside `LOCAL.sync_scope(1, ..)`, so `LOCAL` is set just as
//!    `TARGET` is; a tokio task-local has no notion of "other bindings".
//! 3. The operation under test goes through `black_box(&VAR)` and its result into
//!    `black_box`, so neither the thread-local lookup nor the result can be hoisted out of
//!    the loop or discarded. Setup (binding, asserting that the hit path is taken) is
//!    untimed.
//! 4. Nothing outlives a sample: the fresh context and the tokio scope end with it.

use std::future::Future;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::sync::Once;
use std::task::{self, Poll, Waker};
use std::time::Instant;

use ctxrt_context::{Context, ContextVar};

use crate::memory::RssProbe;
use crate::workload::{Batch, Contender, Measurement, Unit, Workload};

/// The var every ctxrt side reads or sets (bound last; fixture rule 1).
pub static TARGET: ContextVar<u64> = ContextVar::new("bench.target");

/// A var with a default that no fixture ever binds: `get` gives the default.
pub static DEFAULTED: ContextVar<u64> = ContextVar::with_default("bench.defaulted", || 7);

/// Vars that only make up the binding count around [`TARGET`].
static FILLERS: [ContextVar<u64>; 63] = [const { ContextVar::new("bench.filler") }; 63];

/// The most bindings a ctxrt side can ask for: the fillers plus [`TARGET`].
pub const MAX_BINDINGS: usize = 64;

tokio::task_local! {
    /// The task-local every tokio side reads or scopes.
    pub static LOCAL: u64;
}

/// The context workloads, in table order.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::context_workloads::workloads();
/// assert!(rows.iter().any(|w| w.name == "get, 1 binding"));
/// ```
pub fn workloads() -> Vec<Workload> {
    const CTXRT_GET: &str = "ctxrt ContextVar::get";
    const TOKIO_GET: &str = "tokio LocalKey::get";
    const CTXRT_SCOPE: &str = "ctxrt ContextVar::scope";
    const TOKIO_SCOPE: &str = "tokio LocalKey::sync_scope";
    let timed = |name, description, target, subject, baseline| {
        Workload::timed(name, description, 1, target, subject, baseline)
    };
    let side = |name, run| Contender { name, run };
    vec![
        timed(
            "get, 1 binding",
            "read a bound u64 var: ContextVar::get vs LocalKey::get inside sync_scope",
            Some(1.2),
            side(CTXRT_GET, ctxrt_get::<1>),
            side(TOKIO_GET, tokio_get),
        ),
        timed(
            "get, 8 bindings",
            "the same read with 8 bindings in the context (var sorted last: linear scan)",
            Some(1.2),
            side(CTXRT_GET, ctxrt_get::<8>),
            side(TOKIO_GET, tokio_get),
        ),
        timed(
            "get, 64 bindings",
            "the same read with 64 bindings in the context (binary search)",
            Some(1.2),
            side(CTXRT_GET, ctxrt_get::<64>),
            side(TOKIO_GET, tokio_get),
        ),
        timed(
            "get of a default (unbound var)",
            "read an unbound var with a default (1 other binding) vs LocalKey::get inside sync_scope",
            Some(1.2),
            side("ctxrt ContextVar::get (default)", ctxrt_get_default),
            side(TOKIO_GET, tokio_get),
        ),
        timed(
            "with, 1 binding",
            "borrow a bound u64 var: ContextVar::with(|v| ..) vs LocalKey::with inside sync_scope",
            Some(1.2),
            side("ctxrt ContextVar::with", ctxrt_with),
            side("tokio LocalKey::with", tokio_with),
        ),
        timed(
            "scoped set, 1 binding",
            "rebind a bound var for an empty closure: ContextVar::scope vs LocalKey::sync_scope",
            Some(2.0),
            side(CTXRT_SCOPE, ctxrt_scoped_set::<1>),
            side(TOKIO_SCOPE, tokio_scoped_set),
        ),
        timed(
            "scoped set, 64 bindings",
            "the same rebind with 64 bindings in the context",
            Some(2.0),
            side(CTXRT_SCOPE, ctxrt_scoped_set::<64>),
            side(TOKIO_SCOPE, tokio_scoped_set),
        ),
        timed(
            "scoped set, var unbound",
            "bind a var that was unbound (empty context / unset task-local) for an empty closure",
            Some(3.0),
            side(CTXRT_SCOPE, ctxrt_scoped_set_unbound),
            side(TOKIO_SCOPE, tokio_scoped_set_unbound),
        ),
        timed(
            "snapshot, 64 vs 1 bindings",
            "Context::current() and its drop, with 64 bindings vs with 1",
            Some(1.10),
            side("ctxrt Context::current (64)", ctxrt_snapshot::<64>),
            side("ctxrt Context::current (1)", ctxrt_snapshot::<1>),
        ),
        timed(
            "set+reset, 64 vs 1 bindings",
            "ContextVar::set then reset of a bound var in an unshared context, 64 vs 1 bindings",
            Some(3.0),
            side("ctxrt set+reset (64)", ctxrt_set_reset::<64>),
            side("ctxrt set+reset (1)", ctxrt_set_reset::<1>),
        ),
        timed(
            "set after snapshot, 1 binding",
            "Context::current(), set+reset (copy-on-write), drop the snapshot; vs set+reset alone",
            None,
            side(
                "ctxrt snapshot+set+reset (1)",
                ctxrt_set_after_snapshot::<1>,
            ),
            side("ctxrt set+reset (1)", ctxrt_set_reset::<1>),
        ),
        timed(
            "set after snapshot, 64 bindings",
            "the same copy-on-write cycle with 64 bindings; vs set+reset alone",
            Some(3.0),
            side(
                "ctxrt snapshot+set+reset (64)",
                ctxrt_set_after_snapshot::<64>,
            ),
            side("ctxrt set+reset (64)", ctxrt_set_reset::<64>),
        ),
        timed(
            "async scope, per poll",
            "one poll of a yielding future inside Context::scope vs LocalKey::scope (noop waker)",
            Some(1.0),
            side("ctxrt Context::scope", ctxrt_scope_poll),
            side("tokio LocalKey::scope", tokio_scope_poll),
        ),
        timed(
            "async scope, per poll, 64 bindings",
            "the same with 64 bindings in the scope's context (a poll's cost must not grow with them)",
            Some(1.0),
            side("ctxrt Context::scope (64)", ctxrt_scope_poll_64),
            side("tokio LocalKey::scope", tokio_scope_poll),
        ),
        Workload {
            name: "memory: held scoped future",
            description: "RSS per unpolled scoped future held in a Vec (100k of them)",
            unit: Unit::Bytes,
            batch: Batch::Fixed {
                full: 100_000,
                quick: 1_000,
            },
            items: 1,
            max_pairs: None,
            target: Some(1.0),
            subject_max: None,
            subject: side("ctxrt Context::scope", ctxrt_held_scope),
            baseline: side("tokio LocalKey::scope", tokio_held_scope),
        },
    ]
}

/// Gives the fillers their ids before [`TARGET`]'s, once per process (fixture rule 1).
fn assign_ids() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for filler in &FILLERS {
            filler.is_set(); // the first use of a var gives it its id
        }
        TARGET.is_set();
    });
}

/// Runs `f` in a fresh context holding `bindings` bindings, [`TARGET`] = 1 among them.
///
/// # Panics
///
/// If `bindings` is 0 or more than [`MAX_BINDINGS`].
///
/// # Examples
///
/// ```
/// use ctxrt_benches::context_workloads::{with_bindings, TARGET};
/// let (len, value) = with_bindings(8, || (ctxrt_context::Context::current().len(), TARGET.get()));
/// assert_eq!((len, value), (8, Some(1)));
/// assert_eq!(TARGET.get(), None);
/// ```
pub fn with_bindings<R>(bindings: usize, f: impl FnOnce() -> R) -> R {
    assert!(
        (1..=MAX_BINDINGS).contains(&bindings),
        "with_bindings({bindings}): ask for 1..={MAX_BINDINGS} bindings"
    );
    assign_ids();
    let mut context = Context::new();
    context.run(|| {
        for (value, filler) in (0u64..).zip(&FILLERS[..bindings - 1]) {
            drop(filler.set(value));
        }
        drop(TARGET.set(1));
        assert_eq!(TARGET.get(), Some(1), "the fixture binds TARGET");
        f()
    })
}

/// Times `iters` calls of `op`.
#[inline(always)]
fn time(iters: u64, mut op: impl FnMut()) -> Measurement {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    Measurement::Elapsed(start.elapsed())
}

/// `TARGET.get()` with `BINDINGS` bindings in the current context.
pub fn ctxrt_get<const BINDINGS: usize>(iters: u64) -> Measurement {
    with_bindings(BINDINGS, || {
        time(iters, || {
            black_box(black_box(&TARGET).get());
        })
    })
}

/// `LOCAL.get()` inside `LOCAL.sync_scope(1, ..)`.
pub fn tokio_get(iters: u64) -> Measurement {
    LOCAL.sync_scope(1, || {
        assert_eq!(LOCAL.get(), 1, "the fixture scopes LOCAL");
        time(iters, || {
            black_box(black_box(&LOCAL).get());
        })
    })
}

/// `DEFAULTED.get()` (unbound: its default) in a context holding 1 binding.
pub fn ctxrt_get_default(iters: u64) -> Measurement {
    with_bindings(1, || {
        assert!(!DEFAULTED.is_set(), "the fixture leaves DEFAULTED unbound");
        assert_eq!(DEFAULTED.get(), Some(7));
        time(iters, || {
            black_box(black_box(&DEFAULTED).get());
        })
    })
}

/// `TARGET.with(|v| ..)` reading the bound value, 1 binding.
pub fn ctxrt_with(iters: u64) -> Measurement {
    with_bindings(1, || {
        time(iters, || {
            black_box(black_box(&TARGET).with(|v| v.copied()));
        })
    })
}

/// `LOCAL.with(|v| ..)` inside `LOCAL.sync_scope(1, ..)`.
pub fn tokio_with(iters: u64) -> Measurement {
    LOCAL.sync_scope(1, || {
        time(iters, || {
            black_box(black_box(&LOCAL).with(|v| *v));
        })
    })
}

/// `TARGET.scope(2, || ..)` with `BINDINGS` bindings, `TARGET` among them.
pub fn ctxrt_scoped_set<const BINDINGS: usize>(iters: u64) -> Measurement {
    with_bindings(BINDINGS, || time(iters, ctxrt_scope_once))
}

/// `LOCAL.sync_scope(2, || ..)` inside `LOCAL.sync_scope(1, ..)`.
pub fn tokio_scoped_set(iters: u64) -> Measurement {
    LOCAL.sync_scope(1, || time(iters, tokio_scope_once))
}

/// `TARGET.scope(2, || ..)` in an empty context: the var is unbound before and after.
pub fn ctxrt_scoped_set_unbound(iters: u64) -> Measurement {
    assign_ids();
    Context::new().run(|| {
        assert!(!TARGET.is_set(), "the fixture leaves TARGET unbound");
        time(iters, ctxrt_scope_once)
    })
}

/// `LOCAL.sync_scope(2, || ..)` with no enclosing scope.
pub fn tokio_scoped_set_unbound(iters: u64) -> Measurement {
    assert!(LOCAL.try_get().is_err(), "LOCAL is not scoped here");
    time(iters, tokio_scope_once)
}

#[inline(always)]
fn ctxrt_scope_once() {
    black_box(&TARGET).scope(black_box(2), || black_box(()));
}

#[inline(always)]
fn tokio_scope_once() {
    black_box(&LOCAL).sync_scope(black_box(2), || black_box(()));
}

/// `Context::current()` and its drop with `BINDINGS` bindings.
pub fn ctxrt_snapshot<const BINDINGS: usize>(iters: u64) -> Measurement {
    with_bindings(BINDINGS, || {
        time(iters, || {
            drop(black_box(Context::current()));
        })
    })
}

/// `TARGET.set(2)` then `reset` with `BINDINGS` bindings, in a context no snapshot shares.
pub fn ctxrt_set_reset<const BINDINGS: usize>(iters: u64) -> Measurement {
    with_bindings(BINDINGS, || time(iters, ctxrt_set_reset_once))
}

/// `Context::current()`, then `TARGET.set(2)` (which copies the now-shared map) and
/// `reset`, then the snapshot's drop (which frees the old map): one whole copy-on-write.
pub fn ctxrt_set_after_snapshot<const BINDINGS: usize>(iters: u64) -> Measurement {
    with_bindings(BINDINGS, || {
        time(iters, || {
            let snapshot = black_box(Context::current());
            ctxrt_set_reset_once();
            drop(snapshot);
        })
    })
}

#[inline(always)]
fn ctxrt_set_reset_once() {
    let token = black_box(&TARGET).set(black_box(2));
    black_box(&TARGET)
        .reset(token)
        .expect("the token was made in this context by this var");
}

/// `iters` polls of a yielding future inside `Context::scope` (1 binding).
pub fn ctxrt_scope_poll(iters: u64) -> Measurement {
    scope_poll_with(1, iters)
}

/// `iters` polls of a yielding future inside `Context::scope` (64 bindings).
pub fn ctxrt_scope_poll_64(iters: u64) -> Measurement {
    scope_poll_with(64, iters)
}

fn scope_poll_with(bindings: usize, iters: u64) -> Measurement {
    with_bindings(bindings, || {
        let mut scoped = Context::current().scope(YieldN::new(iters));
        timed_polls(iters, Pin::new(&mut scoped))
    })
}

/// `iters` polls of a yielding future inside `LOCAL.scope(1, ..)`.
pub fn tokio_scope_poll(iters: u64) -> Measurement {
    let scoped = pin!(LOCAL.scope(1, YieldN::new(iters)));
    timed_polls(iters, scoped)
}

/// `iters` polls of the bare yielding future: what the scopes add to (criterion only).
pub fn bare_poll(iters: u64) -> Measurement {
    let bare = pin!(YieldN::new(iters));
    timed_polls(iters, bare)
}

fn timed_polls<F: Future>(iters: u64, fut: Pin<&mut F>) -> Measurement {
    let start = Instant::now();
    let polls = poll_until_ready(fut);
    let elapsed = start.elapsed();
    assert_eq!(polls, iters.max(1), "YieldN::new(n) is ready on poll n");
    Measurement::Elapsed(elapsed)
}

/// Polls `fut` with a noop waker until it is ready; returns the number of polls.
///
/// A stand-in for an executor that measures nothing but the poll itself.
///
/// # Examples
///
/// ```
/// use std::pin::pin;
/// use ctxrt_benches::context_workloads::{poll_until_ready, YieldN};
/// assert_eq!(poll_until_ready(pin!(YieldN::new(3))), 3);
/// ```
pub fn poll_until_ready<F: Future>(mut fut: Pin<&mut F>) -> u64 {
    let mut cx = task::Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        polls += 1;
        if fut.as_mut().poll(&mut cx).is_ready() {
            return polls;
        }
    }
}

/// A future that yields (wakes itself, returns `Pending`) until its `n`-th poll.
///
/// # Examples
///
/// ```
/// use std::pin::pin;
/// use ctxrt_benches::context_workloads::{poll_until_ready, YieldN};
/// assert_eq!(poll_until_ready(pin!(YieldN::new(1))), 1);
/// ```
#[derive(Debug)]
pub struct YieldN {
    polls_left: u64,
}

impl YieldN {
    /// A future that is ready on its `polls`-th poll (`0` counts as 1).
    pub fn new(polls: u64) -> YieldN {
        YieldN {
            polls_left: polls.max(1),
        }
    }
}

impl Future for YieldN {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<()> {
        self.polls_left = black_box(self.polls_left) - 1;
        if self.polls_left == 0 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// RSS per `Context::current().scope(fut)` held unpolled, `iters` of them in a `Vec`.
pub fn ctxrt_held_scope(iters: u64) -> Measurement {
    with_bindings(1, || {
        let probe = RssProbe::start();
        let held: Vec<_> = (0..iters)
            .map(|_| Context::current().scope(YieldN::new(2)))
            .collect();
        let growth = probe.growth();
        drop(black_box(held));
        Measurement::Bytes(growth)
    })
}

/// RSS per `LOCAL.scope(1, fut)` held unpolled, `iters` of them in a `Vec`.
pub fn tokio_held_scope(iters: u64) -> Measurement {
    let probe = RssProbe::start();
    let held: Vec<_> = (0..iters).map(|_| LOCAL.scope(1, YieldN::new(2))).collect();
    let growth = probe.growth();
    drop(black_box(held));
    Measurement::Bytes(growth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_time_side_runs_and_reports_elapsed() {
        for workload in workloads().iter().filter(|w| w.unit == Unit::Nanos) {
            for side in [workload.subject, workload.baseline] {
                let measured = (side.run)(10);
                assert!(
                    matches!(measured, Measurement::Elapsed(_)),
                    "{}: {}",
                    workload.name,
                    side.name
                );
            }
        }
        assert!(matches!(bare_poll(10), Measurement::Elapsed(_)));
    }

    #[test]
    fn target_sorts_after_every_filler() {
        let ids_in_order: Vec<&str> = with_bindings(MAX_BINDINGS, || {
            Context::current().iter().map(|b| b.name()).collect()
        });
        assert_eq!(ids_in_order.len(), MAX_BINDINGS);
        assert_eq!(ids_in_order.last(), Some(&"bench.target"));
    }

    #[test]
    fn fixtures_leave_nothing_bound() {
        let _ = ctxrt_set_after_snapshot::<8>(3);
        let _ = ctxrt_scoped_set_unbound(3);
        assert!(Context::current().is_empty());
        assert!(LOCAL.try_get().is_err());
    }
}
