//! Dropping (or shutting down) a runtime inside one of its own `spawn_blocking` jobs
//! panics with guidance, as it does on a worker thread: shutdown waits for the pool's
//! running jobs, this one included, so it used to wait forever. Bounded: a hang fails in
//! seconds. On both flavours.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(dropping_a_runtime_in_its_own_blocking_job_panics_with_guidance);

fn dropping_a_runtime_in_its_own_blocking_job_panics_with_guidance(rt: Runtime) {
    let handle = rt.handle().clone();
    let (done, finished) = mpsc::channel();
    drop(handle.spawn_blocking(move || {
        let result = catch_unwind(AssertUnwindSafe(move || drop(rt)));
        let message = result
            .err()
            .map(|payload| ctxrt_tests::panic_message(&*payload));
        done.send(message).unwrap();
    }));
    let message = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("dropping the runtime inside its own blocking job hung")
        .expect("it panics");
    assert!(message.contains("spawn_blocking"), "{message}");
    assert!(message.contains("outside the runtime"), "{message}");
}
