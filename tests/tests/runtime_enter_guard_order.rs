//! `EnterGuard`s must be dropped in the reverse order they were made. A guard that escapes
//! the `block_on` that made it (`let g = rt.block_on(async { rt.enter() })`) used to
//! restore, when dropped, a pointer to that `block_on`'s scheduler core on a stack frame
//! that was gone, and the next spawn pushed through it (a stack-use-after-return from
//! safe code on `current_thread`). Now any out-of-order drop panics with a message that
//! says what to do, as tokio does, and the runtime keeps working afterwards. On both
//! flavours.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ctxrt::runtime::{Handle, Runtime};
use ctxrt_tests::{current_thread, multi_thread, on_both_flavors, panic_message};

on_both_flavors!(
    a_guard_escaping_block_on_panics_and_the_runtime_still_works,
    guards_dropped_out_of_order_panic_with_a_message,
    guards_dropped_in_order_restore_each_runtime,
);

fn a_guard_escaping_block_on_panics_and_the_runtime_still_works(rt: Runtime) {
    let escaped = catch_unwind(AssertUnwindSafe(|| {
        let guard = rt.block_on(async { rt.enter() });
        drop(guard);
    }));
    let message = panic_message(&*escaped.expect_err("an escaped EnterGuard must panic"));
    assert!(message.contains("dropped out of order"), "{message}");
    // The unwind dropped the escaped guard and block_on's own, in order: nothing stale
    // is left current (a leaked guard would also leak the runtime; LSan checks that).
    assert!(Handle::try_current().is_err(), "a runtime was left current");
    // What the escaped guard used to reach through a dangling pointer.
    let task = rt.spawn(async { 1 });
    assert_eq!(rt.block_on(task).unwrap(), 1);
    for _ in 0..100 {
        drop(rt.spawn(async {}));
    }
    assert_eq!(
        rt.block_on(async { ctxrt::spawn(async { 2 }).await.unwrap() }),
        2
    );
}

fn guards_dropped_out_of_order_panic_with_a_message(rt: Runtime) {
    let other = current_thread();
    let outer = rt.enter();
    let inner = other.enter();
    let result = catch_unwind(AssertUnwindSafe(move || drop(outer)));
    let message = panic_message(&*result.expect_err("dropping the outer guard first panics"));
    assert!(message.contains("reverse order"), "{message}");
    drop(inner);
    // The runtimes still work, from inside and outside.
    assert_eq!(
        rt.block_on(async { ctxrt::spawn(async { 3 }).await.unwrap() }),
        3
    );
    assert_eq!(other.block_on(async { 4 }), 4);
}

fn guards_dropped_in_order_restore_each_runtime(rt: Runtime) {
    let other = multi_thread();
    let outer = rt.enter();
    {
        let _inner = other.enter();
        let handle = ctxrt::spawn(async { "other" });
        assert_eq!(other.block_on(handle).unwrap(), "other");
    }
    let handle = ctxrt::spawn(async { "outer" });
    drop(outer);
    assert!(Handle::try_current().is_err());
    assert_eq!(rt.block_on(handle).unwrap(), "outer");
}
