//! `CTXRT_WORKER_THREADS` sets the default worker count of a multi-thread runtime: a
//! valid value starts that many workers; `"0"`, `"abc"` or `"-1"` make `build()` return an
//! `io::ErrorKind::InvalidInput` error naming the variable; an explicit `worker_threads(n)`
//! wins over the variable (even an invalid one); a `current_thread` runtime ignores it.
//!
//! The environment is process-global, so this file holds a single `#[test]` and nothing
//! else in its process reads or writes the variable concurrently.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ctxrt::runtime::Builder;

const VAR: &str = "CTXRT_WORKER_THREADS";

/// The number of worker threads a multi-thread builder starts, counted by its start hook.
fn workers_started(builder: &mut Builder) -> io::Result<usize> {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    let rt = builder
        .on_thread_start(move || {
            let is_worker = std::thread::current()
                .name()
                .is_some_and(|name| name.contains("-worker-"));
            if is_worker {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()?;
    assert_eq!(
        rt.block_on(async { ctxrt::spawn(async { 1 }).await }).ok(),
        Some(1)
    );
    drop(rt); // every worker has run its start hook once it is joined
    Ok(count.load(Ordering::SeqCst))
}

#[test]
fn ctxrt_worker_threads_environment_variable() {
    for bad in ["0", "abc", "-1", ""] {
        std::env::set_var(VAR, bad);
        let err = Builder::new_multi_thread()
            .build()
            .expect_err("an invalid worker count is rejected");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "value {bad:?}");
        let message = err.to_string();
        assert!(
            message.contains(VAR) && message.contains(&format!("{bad:?}")),
            "{message}"
        );
        // An explicit setting wins over the variable, even an invalid one.
        assert_eq!(
            workers_started(Builder::new_multi_thread().worker_threads(2)).expect("explicit"),
            2
        );
        // A current_thread runtime has no workers to count.
        let rt = Builder::new_current_thread()
            .build()
            .expect("current_thread ignores the variable");
        assert_eq!(rt.block_on(async { 7 }), 7);
    }

    std::env::set_var(VAR, "3");
    assert_eq!(
        workers_started(&mut Builder::new_multi_thread()).expect("valid"),
        3
    );
    std::env::set_var(VAR, " 1 ");
    assert_eq!(
        workers_started(&mut Builder::new_multi_thread()).expect("surrounding spaces"),
        1
    );

    std::env::remove_var(VAR);
    let default = workers_started(&mut Builder::new_multi_thread()).expect("unset");
    let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(default, parallelism, "unset: one worker per available CPU");
}
