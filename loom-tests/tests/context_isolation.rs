//! Model 1, context isolation: two threads start from one parent snapshot (one through
//! `ctxrt_context::thread::spawn`, which inherits the spawner's current context; one
//! through `Context::run` on a clone of the snapshot) and each sets, yields, reads and
//! resets the same var.
//!
//! Proves, in every interleaving: neither thread ever sees the other's value; a reset
//! restores the inherited value; the parent snapshot and the spawner's own current context
//! keep the parent's value throughout, though all of them start out sharing one binding
//! map (copy-on-write through loom's `Arc::get_mut`). A spare copy of the snapshot is
//! dropped by the main thread mid-run, so a copy's map may become unique while a sibling
//! is writing to it.
#![cfg(loom)]

use ctxrt_context::{Context, ContextVar};
use ctxrt_loom_tests::check_deep;
use loom::thread;

static REQUEST: ContextVar<u32> = ContextVar::new("request");
static TENANT: ContextVar<&'static str> = ContextVar::new("tenant");

/// What one sibling does inside its own copy: set, yield, read, reset, yield, read.
fn set_yield_read_reset(own: u32) {
    assert_eq!(
        REQUEST.get(),
        Some(0),
        "a copy must start with the parent's value"
    );
    let token = REQUEST.set(own);
    thread::yield_now();
    assert_eq!(
        REQUEST.get(),
        Some(own),
        "a sibling's set leaked into this copy"
    );
    assert_eq!(TENANT.get(), Some("acme"));
    REQUEST
        .reset(token)
        .expect("the token was made in this very context");
    thread::yield_now();
    assert_eq!(
        REQUEST.get(),
        Some(0),
        "reset must restore the inherited value"
    );
}

#[test]
fn sibling_copies_of_one_snapshot_never_see_each_other() {
    check_deep("context_isolation::sibling_copies", 3, || {
        let _request = REQUEST.scoped(0);
        let _tenant = TENANT.scoped("acme");
        let parent = Context::current();
        let spare = parent.clone();

        let inherited = ctxrt_context::thread::spawn(|| set_yield_read_reset(1));
        let mut copy = parent.clone();
        let explicit = thread::spawn(move || {
            copy.run(|| set_yield_read_reset(2));
            copy
        });

        assert_eq!(parent.get(&REQUEST), Some(0));
        drop(spare);
        thread::yield_now();
        assert_eq!(parent.get(&REQUEST), Some(0));
        assert_eq!(REQUEST.get(), Some(0));

        inherited.join().unwrap();
        let copy = explicit.join().unwrap();
        assert_eq!(
            copy.get(&REQUEST),
            Some(0),
            "the copy's own reset stayed in it"
        );
        assert_eq!(parent.get(&REQUEST), Some(0));
        assert_eq!(parent.get(&TENANT), Some("acme"));
        assert_eq!(REQUEST.get(), Some(0));
    });
}
