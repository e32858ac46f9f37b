//! When a value drops after a `set` shadowed it while a snapshot shared the binding map
//! (the overlay of `context/src/bindings.rs`, its invariant 7).
//!
//! The first `set` after a snapshot does not copy the map: the snapshot's map stays as the
//! *base* of the current context's small overlay, so the replaced value stays alive in that
//! base for as long as a snapshot holds it, as it would in a copied map. When the last
//! snapshot drops:
//! - on the thread whose current context holds the base, the replaced value drops at once,
//!   as with a copied map;
//! - on another thread, it drops at that context's next settle: its next snapshot, or when
//!   the context is left (for a runtime task: at the latest when the current poll ends).
//!   Until then the base keeps it alive: a bounded delay, pinned here.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::{on_both_flavors, DropCounter};

static HELD: ContextVar<DropCounter> = ContextVar::new("held");
static OTHER: ContextVar<u64> = ContextVar::new("other");

on_both_flavors!(a_task_drops_the_replaced_value_by_the_end_of_its_poll);

/// Binds `HELD` to a counter of `first`, takes a snapshot, then replaces the binding with a
/// counter of `second` (with a few more bindings around, so the map is not trivial).
fn bind_snapshot_replace(first: &Arc<AtomicUsize>, second: &Arc<AtomicUsize>) -> Context {
    for id in 0..8 {
        let _ = OTHER.set(id);
    }
    let _ = HELD.set(DropCounter(first.clone()));
    let snapshot = Context::current();
    // The token holds the replaced value too: dropped here, so only the base and the
    // snapshot hold it.
    drop(HELD.set(DropCounter(second.clone())));
    snapshot
}

fn counters() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)))
}

#[test]
fn the_last_snapshot_dropped_on_the_same_thread_drops_the_replaced_value_at_once() {
    let (first, second) = counters();
    Context::new().run(|| {
        let snapshot = bind_snapshot_replace(&first, &second);
        let another = snapshot.clone();
        drop(snapshot);
        assert_eq!(first.load(Ordering::SeqCst), 0, "a snapshot still holds it");
        drop(another);
        assert_eq!(
            first.load(Ordering::SeqCst),
            1,
            "dropped with the last snapshot"
        );
        assert_eq!(second.load(Ordering::SeqCst), 0);
        assert!(HELD.is_set());
    });
    assert_eq!(second.load(Ordering::SeqCst), 1);
}

#[test]
fn the_last_snapshot_dropped_on_another_thread_drops_it_at_the_next_snapshot() {
    let (first, second) = counters();
    Context::new().run(|| {
        let snapshot = bind_snapshot_replace(&first, &second);
        std::thread::spawn(move || drop(snapshot))
            .join()
            .expect("the dropping thread");
        assert_eq!(
            first.load(Ordering::SeqCst),
            0,
            "the documented delay: the base keeps it until this context settles \
             (update invariant 7 in context/src/bindings.rs if this changes)"
        );
        // Reads and changes of other vars do not settle...
        assert_eq!(OTHER.get(), Some(7));
        assert_eq!(first.load(Ordering::SeqCst), 0);
        // ...the next snapshot does.
        drop(Context::current());
        assert_eq!(
            first.load(Ordering::SeqCst),
            1,
            "dropped at the next settle"
        );
        assert_eq!(second.load(Ordering::SeqCst), 0);
        assert!(HELD.is_set());
    });
    assert_eq!(second.load(Ordering::SeqCst), 1);
}

#[test]
fn the_last_snapshot_dropped_on_another_thread_drops_it_when_the_context_is_left() {
    let (first, second) = counters();
    let mut context = Context::new();
    context.run(|| {
        let snapshot = bind_snapshot_replace(&first, &second);
        std::thread::spawn(move || drop(snapshot))
            .join()
            .expect("the dropping thread");
        assert_eq!(first.load(Ordering::SeqCst), 0, "the documented delay");
    });
    assert_eq!(
        first.load(Ordering::SeqCst),
        1,
        "dropped when the context is left"
    );
    assert_eq!(
        second.load(Ordering::SeqCst),
        0,
        "the context holds the new one"
    );
    drop(context);
    assert_eq!(second.load(Ordering::SeqCst), 1);
}

fn a_task_drops_the_replaced_value_by_the_end_of_its_poll(rt: Runtime) {
    let (first, second) = counters();
    let (first_seen, second_seen) = (first.clone(), second.clone());
    rt.block_on(async move {
        ctxrt::spawn(async move {
            let snapshot = bind_snapshot_replace(&first, &second);
            std::thread::spawn(move || drop(snapshot))
                .join()
                .expect("the dropping thread");
            assert_eq!(first.load(Ordering::SeqCst), 0, "the documented delay");
            yield_now().await;
            assert_eq!(
                first.load(Ordering::SeqCst),
                1,
                "dropped when the poll that made the change ended"
            );
            assert_eq!(second.load(Ordering::SeqCst), 0);
        })
        .await
        .expect("the task");
    });
    assert_eq!(first_seen.load(Ordering::SeqCst), 1);
    assert_eq!(
        second_seen.load(Ordering::SeqCst),
        1,
        "the task's context is gone"
    );
}
