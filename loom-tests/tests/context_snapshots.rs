//! Model 3, snapshots are never torn: one thread `run`s the shared parent context (behind
//! a loom `Mutex`) and sets two vars in it, yielding between the two sets; another thread
//! takes snapshots of the parent and reads both vars from them *outside* the lock, while
//! the run is in progress.
//!
//! Proves, in every interleaving: a snapshot shows both vars before the run or both after
//! it, never one set and not the other, and it keeps showing that for as long as it lives:
//! the run's sets go to a copy of the binding map the snapshot shares (copy-on-write), not
//! into the snapshot. If a set mutated a map still reachable from a snapshot, the reader
//! would see `(1, 0)` between the run's two sets.
#![cfg(loom)]

use ctxrt_context::{Context, ContextVar};
use ctxrt_loom_tests::check_deep;
use loom::sync::{Arc, Mutex};
use loom::thread;

static X: ContextVar<u32> = ContextVar::new("x");
static Y: ContextVar<u32> = ContextVar::new("y");

fn read(snapshot: &Context) -> (Option<u32>, Option<u32>) {
    (snapshot.get(&X), snapshot.get(&Y))
}

fn assert_consistent(seen: (Option<u32>, Option<u32>)) {
    assert!(
        seen == (Some(0), Some(0)) || seen == (Some(1), Some(1)),
        "torn snapshot: x and y were set together, but a snapshot shows {seen:?}"
    );
}

#[test]
fn snapshots_taken_during_a_run_are_never_torn() {
    check_deep("context_snapshots::never_torn", 3, || {
        let parent = Arc::new(Mutex::new(
            Context::new().with_value(&X, 0).with_value(&Y, 0),
        ));

        let writer_parent = parent.clone();
        let writer = thread::spawn(move || {
            writer_parent.lock().unwrap().run(|| {
                X.set(1);
                thread::yield_now();
                Y.set(1);
            });
        });

        let reader = thread::spawn(move || {
            for _ in 0..2 {
                let snapshot = parent.lock().unwrap().clone();
                let first = read(&snapshot);
                assert_consistent(first);
                thread::yield_now();
                assert_eq!(
                    read(&snapshot),
                    first,
                    "a snapshot changed after it was taken"
                );
                drop(snapshot);
            }
            parent
        });

        writer.join().unwrap();
        let parent = reader.join().unwrap();
        assert_eq!(read(&parent.lock().unwrap()), (Some(1), Some(1)));
    });
}

/// A snapshot taken inside a running context and sent to another thread, while the
/// sending thread keeps rebinding the same vars in its context and the receiver reads and
/// finally drops the snapshot.
///
/// Proves, in every interleaving: the receiver sees exactly the values of the moment the
/// snapshot was taken, however the sender's later sets interleave with its reads, and
/// the sender always reads its own latest values. This races the two ways a set may reuse
/// memory instead of copying it, a binding map or a bound value that looks unshared, with
/// the receiver dropping the last other reference: a reuse is only right if that drop
/// happened before it, which loom's `Arc` checks.
#[test]
fn a_snapshot_sent_to_another_thread_keeps_its_values() {
    check_deep("context_snapshots::sent_snapshot_keeps_values", 3, || {
        let mailbox: Arc<Mutex<Option<Context>>> = Arc::new(Mutex::new(None));
        let outbox = mailbox.clone();
        let sender = thread::spawn(move || {
            Context::new().run(|| {
                X.set(1);
                Y.set(1);
                *outbox.lock().unwrap() = Some(Context::current());
                X.set(2);
                thread::yield_now();
                Y.set(2);
                X.set(3);
                assert_eq!((X.get(), Y.get()), (Some(3), Some(2)));
            });
        });
        let receiver = thread::spawn(move || {
            let snapshot = loop {
                if let Some(snapshot) = mailbox.lock().unwrap().take() {
                    break snapshot;
                }
                thread::yield_now();
            };
            assert_eq!(read(&snapshot), (Some(1), Some(1)));
            thread::yield_now();
            assert_eq!(
                read(&snapshot),
                (Some(1), Some(1)),
                "a later set changed a snapshot"
            );
            drop(snapshot);
        });
        sender.join().unwrap();
        receiver.join().unwrap();
    });
}
