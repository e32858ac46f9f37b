//! `JoinError`'s `Debug` names the task id as tokio does, `Id(N)` (issue 12, behaviour 8):
//! `JoinError::Cancelled(Id(7))` and `JoinError::Panic(Id(7), "message", ...)`. Checked on
//! errors from real tasks, on both flavours.

use std::future::pending;

use ctxrt::runtime::Runtime;

fn debug_of_a_panicked_task(rt: Runtime) {
    let handle = rt.spawn(async { panic!("boom") });
    let id = handle.id();
    let err = rt.block_on(handle).unwrap_err();
    let want = format!("JoinError::Panic(Id({id}), \"boom\", ...)");
    assert_eq!(format!("{err:?}"), want);
}

fn debug_of_a_panic_with_a_non_string_payload(rt: Runtime) {
    let handle = rt.spawn(async { std::panic::panic_any(3u8) });
    let id = handle.id();
    let err = rt.block_on(handle).unwrap_err();
    assert_eq!(
        format!("{err:?}"),
        format!("JoinError::Panic(Id({id}), ...)")
    );
}

fn debug_of_a_cancelled_task(rt: Runtime) {
    let handle = rt.spawn(pending::<()>());
    let id = handle.id();
    handle.abort();
    let err = rt.block_on(handle).unwrap_err();
    assert_eq!(
        format!("{err:?}"),
        format!("JoinError::Cancelled(Id({id}))")
    );
    assert_eq!(format!("{id:?}"), format!("Id({id})"));
}

ctxrt_tests::on_both_flavors!(
    debug_of_a_panicked_task,
    debug_of_a_panic_with_a_non_string_payload,
    debug_of_a_cancelled_task
);
