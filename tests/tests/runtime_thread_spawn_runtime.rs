//! `ctxrt::thread::spawn` starts the thread in a copy of the spawner's context *and* inside
//! the spawner's runtime, so `ctxrt::spawn` and `ctxrt::spawn_blocking` work there, as a
//! tokio user expects of a thread started from async code with the handle at hand; outside
//! a runtime it is a plain context-carrying thread. `ctxrt::spawn_blocking` outside any
//! runtime panics with a message that names `spawn_blocking`. On both flavours.

use std::panic::catch_unwind;

use ctxrt::runtime::{Handle, Runtime};
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(a_thread_spawned_in_a_runtime_can_spawn_onto_it);

static TRACE: ContextVar<u32> = ContextVar::new("trace");

fn a_thread_spawned_in_a_runtime_can_spawn_onto_it(rt: Runtime) {
    let (task, job) = rt.block_on(async {
        TRACE.set(3);
        ctxrt::thread::spawn(|| {
            assert!(Handle::try_current().is_ok(), "the runtime is current here");
            let task = ctxrt::spawn(async { TRACE.get() });
            let job = ctxrt::spawn_blocking(|| TRACE.get());
            (task, job)
        })
        .join()
        .unwrap()
    });
    assert_eq!(rt.block_on(task).unwrap(), Some(3));
    assert_eq!(rt.block_on(job).unwrap(), Some(3));
}

#[test]
fn outside_a_runtime_the_thread_has_no_runtime() {
    TRACE.set(9);
    let (seen, runtime) = ctxrt::thread::spawn(|| (TRACE.get(), Handle::try_current().is_ok()))
        .join()
        .unwrap();
    assert_eq!(seen, Some(9));
    assert!(!runtime);
}

#[test]
fn spawn_blocking_outside_a_runtime_names_spawn_blocking() {
    let payload = catch_unwind(|| drop(ctxrt::spawn_blocking(|| ()))).expect_err("it panics");
    let message = ctxrt_tests::panic_message(&*payload);
    assert!(message.contains("spawn_blocking"), "{message}");
    assert!(message.contains("outside a ctxrt runtime"), "{message}");
}
