//! `Builder`: `worker_threads(0)` and `max_blocking_threads(0)` panic with a message that
//! names the setting and what to pass instead; `worker_threads(n)` starts exactly `n`
//! workers named `{prefix}-worker-0..n` (hooks see each once), `thread_name` sets the
//! prefix for workers and pool threads alike; a `current_thread` runtime starts no thread
//! of its own; `thread_stack_size` applies to the runtime's threads.
//!
//! The `CTXRT_WORKER_THREADS` variable is tested in `runtime_builder_env.rs`, alone in its
//! process.

use std::collections::BTreeSet;
use std::panic::catch_unwind;
use std::sync::{Arc, Mutex};
use std::thread;

use ctxrt::runtime::Builder;
use ctxrt_tests::panic_message;

fn thread_name() -> String {
    thread::current().name().unwrap_or("unnamed").to_string()
}

#[test]
fn zero_worker_threads_panics_naming_the_setting() {
    let payload = catch_unwind(|| {
        Builder::new_multi_thread().worker_threads(0);
    })
    .expect_err("worker_threads(0) is rejected");
    let message = panic_message(&*payload);
    assert!(
        message.contains("worker_threads") && message.contains("1 or more"),
        "{message}"
    );
}

#[test]
fn zero_max_blocking_threads_panics_naming_the_setting() {
    let payload = catch_unwind(|| {
        Builder::new_multi_thread().max_blocking_threads(0);
    })
    .expect_err("max_blocking_threads(0) is rejected");
    let message = panic_message(&*payload);
    assert!(
        message.contains("max_blocking_threads") && message.contains("1 or more"),
        "{message}"
    );
}

#[test]
fn worker_threads_and_thread_name_shape_the_threads() {
    let started = Arc::new(Mutex::new(Vec::new()));
    let stopped = Arc::new(Mutex::new(Vec::new()));
    let (on_start, on_stop) = (started.clone(), stopped.clone());
    let rt = Builder::new_multi_thread()
        .worker_threads(3)
        .thread_name("api")
        .on_thread_start(move || on_start.lock().expect("lock").push(thread_name()))
        .on_thread_stop(move || on_stop.lock().expect("lock").push(thread_name()))
        .build()
        .expect("runtime");
    let (task_thread, job_thread) = rt.block_on(async {
        let task = ctxrt::spawn(async { thread_name() }).await.expect("task");
        let job = ctxrt::spawn_blocking(thread_name).await.expect("job");
        (task, job)
    });
    assert!(task_thread.starts_with("api-worker-"), "{task_thread}");
    assert_eq!(job_thread, "api-blocking-0");
    drop(rt);
    let started: BTreeSet<String> = started.lock().expect("lock").iter().cloned().collect();
    let expected: BTreeSet<String> = [
        "api-worker-0",
        "api-worker-1",
        "api-worker-2",
        "api-blocking-0",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(started, expected);
    let mut stopped = stopped.lock().expect("lock").clone();
    stopped.sort();
    assert_eq!(
        stopped,
        expected.into_iter().collect::<Vec<_>>(),
        "each thread stopped exactly once"
    );
}

#[test]
fn a_current_thread_runtime_starts_no_thread_of_its_own() {
    let started = Arc::new(Mutex::new(Vec::new()));
    let on_start = started.clone();
    let rt = Builder::new_current_thread()
        .thread_name("solo")
        .on_thread_start(move || on_start.lock().expect("lock").push(thread_name()))
        .build()
        .expect("runtime");
    let me = thread::current().id();
    let ran_on = rt.block_on(async {
        let mut threads = Vec::new();
        for _ in 0..10 {
            threads.push(
                ctxrt::spawn(async { thread::current().id() })
                    .await
                    .expect("task"),
            );
        }
        threads
    });
    assert!(ran_on.iter().all(|&id| id == me), "tasks ran on the caller");
    drop(rt);
    assert!(started.lock().expect("lock").is_empty());
}

#[test]
fn thread_stack_size_applies_to_the_runtimes_threads() {
    // A 256 KiB frame on top of what the thread already uses; the default 2 MiB stack would
    // do too, so this only shows that a custom size is accepted and the threads run.
    fn deep() -> usize {
        let buffer = std::hint::black_box([1u8; 256 * 1024]);
        buffer.iter().map(|&b| usize::from(b)).sum()
    }
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_stack_size(8 << 20)
        .build()
        .expect("runtime");
    let (task, job) = rt.block_on(async {
        let task = ctxrt::spawn(async { deep() }).await.expect("task");
        let job = ctxrt::spawn_blocking(deep).await.expect("job");
        (task, job)
    });
    assert_eq!((task, job), (256 * 1024, 256 * 1024));
}
