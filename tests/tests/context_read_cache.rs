//! The per-thread read cache behind `ContextVar::get` never answers with a stale or freed
//! value: every set, reset, guard drop and context switch is seen by the next read, a
//! value's `Clone` run from a cached read still cannot change the context, and a read from
//! a thread-local destructor after the context is gone finds nothing.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ctxrt::{Context, ContextVar};

/// More vars than the cache has slots, so that vars share slots.
static VARS: [ContextVar<u64>; 40] = [const { ContextVar::new("cache.var") }; 40];
static DEFAULTED: ContextVar<u64> = ContextVar::with_default("cache.defaulted", || 7);
static PRIVATE: ContextVar<u64> = ContextVar::new("cache.private").task_private();

fn read_all() -> Vec<Option<u64>> {
    VARS.iter().map(|var| var.get()).collect()
}

#[test]
fn reads_follow_every_change_and_switch() {
    let mut expected = vec![None; VARS.len()];
    Context::new().run(|| {
        for round in 0..3u64 {
            for (i, var) in VARS.iter().enumerate() {
                assert_eq!(read_all(), expected, "round {round}, before var {i}");
                let value = round * 100 + i as u64;
                drop(var.set(value));
                expected[i] = Some(value);
                assert_eq!(var.get(), Some(value));
            }
        }
        // A guard's restore and a reset are seen by the next (cached) read.
        assert_eq!(VARS[3].get(), Some(203));
        VARS[3].scope(9, || assert_eq!(VARS[3].get(), Some(9)));
        assert_eq!(VARS[3].get(), Some(203));
        let token = VARS[5].set(55);
        assert_eq!(VARS[5].get(), Some(55));
        VARS[5].reset(token).unwrap();
        assert_eq!(VARS[5].get(), Some(205));
        // Entering another context and leaving it again.
        let outer = read_all();
        let mut other = Context::new();
        other.run(|| {
            assert_eq!(read_all(), vec![None; VARS.len()]);
            drop(VARS[0].set(1));
            assert_eq!(VARS[0].get(), Some(1));
        });
        assert_eq!(read_all(), outer);
        // A snapshot followed by a set: the set copies the map, reads see the new value,
        // the snapshot the old one.
        let snapshot = Context::current();
        drop(VARS[7].set(77));
        assert_eq!(VARS[7].get(), Some(77));
        assert_eq!(snapshot.get(&VARS[7]), Some(207));
    });
    assert_eq!(read_all(), vec![None; VARS.len()]);
}

#[test]
fn defaults_and_private_vars_are_read_through_the_cache_too() {
    Context::new().run(|| {
        assert_eq!(DEFAULTED.get(), Some(7));
        assert_eq!(DEFAULTED.get(), Some(7), "a remembered unbound var");
        assert!(!DEFAULTED.is_set());
        assert_eq!(DEFAULTED.get_or(1), 1, "get_or ignores the default");
        DEFAULTED.scope(8, || {
            assert_eq!(DEFAULTED.get(), Some(8));
            assert!(DEFAULTED.is_set());
        });
        assert_eq!(DEFAULTED.get(), Some(7));
        drop(PRIVATE.set(3));
        assert_eq!(PRIVATE.get(), Some(3));
        let child = Context::inherited();
        let mut child = child;
        child.run(|| assert_eq!(PRIVATE.get(), None));
        assert_eq!(PRIVATE.get(), Some(3));
    });
}

/// A value whose `Clone` tries to change the context.
#[derive(Debug)]
struct SetsOnClone;

static OTHER: ContextVar<u64> = ContextVar::new("cache.other");
static MEDDLER: ContextVar<SetsOnClone> = ContextVar::new("cache.meddler");

impl Clone for SetsOnClone {
    fn clone(&self) -> Self {
        assert_eq!(OTHER.get(), Some(1), "reads are allowed inside Clone");
        drop(OTHER.set(2));
        SetsOnClone
    }
}

#[test]
fn a_clone_run_by_a_cached_read_still_cannot_change_the_context() {
    Context::new().run(|| {
        drop(OTHER.set(1));
        drop(MEDDLER.set(SetsOnClone));
        for attempt in 0..2 {
            // The first read fills the cache (slow path), the second hits it.
            let refused = catch_unwind(AssertUnwindSafe(|| MEDDLER.get()));
            let message = *refused.unwrap_err().downcast::<String>().unwrap();
            assert!(
                message
                    .contains("ContextVar::set was called while the current context is borrowed"),
                "attempt {attempt}: {message}"
            );
            assert_eq!(OTHER.get(), Some(1), "the refused set changed nothing");
        }
        // After the panics the context can change again.
        drop(OTHER.set(3));
        assert_eq!(OTHER.get(), Some(3));
    });
}

#[test]
fn a_read_from_a_tls_destructor_after_the_context_is_gone_finds_nothing() {
    use std::cell::RefCell;
    static HELD_VAR: ContextVar<Vec<u64>> = ContextVar::new("cache.held");
    /// Reads `HELD_VAR` when dropped and reports what it saw.
    struct ReadsOnDrop(std::sync::mpsc::Sender<Option<usize>>);
    impl Drop for ReadsOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(HELD_VAR.get().map(|v| v.len()));
        }
    }
    thread_local! {
        static LATE: RefCell<Option<ReadsOnDrop>> = const { RefCell::new(None) };
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Registered before the context slot's destructor, so it runs after it.
        LATE.with(|late| *late.borrow_mut() = Some(ReadsOnDrop(tx)));
        drop(HELD_VAR.set(vec![1, 2, 3]));
        assert_eq!(HELD_VAR.get().map(|v| v.len()), Some(3));
        assert_eq!(HELD_VAR.get().map(|v| v.len()), Some(3), "cached");
    })
    .join()
    .unwrap();
    assert_eq!(rx.recv(), Ok(None));
}
