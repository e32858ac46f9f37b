//! A panicking task or blocking job is contained: its JoinHandle gives a `JoinError` with
//! `is_panic()`, a `Display` that says "panicked" (with the message) and the payload from
//! `into_panic`; the thread that ran it keeps running other work; and it is left in its own
//! context, not the panicked task's: a task that binds nothing afterwards on the same
//! worker sees an empty context, the worker's `on_thread_stop` hook sees an empty context,
//! and on a `current_thread` runtime the `block_on` caller's bindings are intact. A context
//! value whose drop panics when a finished task's context is released does not take the
//! worker down either.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use ctxrt::runtime::Builder;
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};

static VAR: ContextVar<u32> = ContextVar::new("var");
static BOMB: ContextVar<PanicOnDrop> = ContextVar::new("bomb");

/// A context value whose drop panics.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("context value panics in drop");
    }
}

/// What a task that binds nothing sees on its thread.
fn observe() -> (ThreadId, usize, Option<u32>) {
    (thread::current().id(), Context::current().len(), VAR.get())
}

#[test]
fn a_panicking_task_leaves_its_worker_in_an_empty_context() {
    let stop_hook_saw = Arc::new(Mutex::new(Vec::new()));
    let hook_record = stop_hook_saw.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .on_thread_stop(move || {
            hook_record.lock().expect("hook lock").push((
                thread::current().name().map(String::from),
                Context::current().len(),
            ));
        })
        .build()
        .expect("runtime");
    let (panicked_on, err, after) = rt.block_on(async {
        let (thread_tx, thread_rx) = futures_channel::oneshot::channel();
        let err = ctxrt::spawn(async move {
            let _ = VAR.set(7);
            yield_now().await; // the set is stored in the task, then re-entered
            thread_tx.send(thread::current().id()).expect("test waits");
            let _ = VAR.set(8);
            panic!("task panics with VAR bound");
        })
        .await
        .expect_err("the task panicked");
        let panicked_on = thread_rx.await.expect("task reports its thread");
        let after = ctxrt::spawn(async { observe() })
            .await
            .expect("a later task on the same worker runs");
        (panicked_on, err, after)
    });
    assert!(err.is_panic() && !err.is_cancelled());
    let display = err.to_string();
    assert!(
        display.contains("panicked") && display.contains("task panics with VAR bound"),
        "{display}"
    );
    assert_eq!(
        *err.into_panic().downcast::<&str>().expect("a &str payload"),
        "task panics with VAR bound"
    );
    assert_eq!(after, (panicked_on, 0, None), "same worker, empty context");
    drop(rt);
    let stop_hook_saw = stop_hook_saw.lock().expect("hook lock");
    assert_eq!(
        *stop_hook_saw,
        [(Some("ctxrt-worker-0".to_string()), 0)],
        "the worker's own context is empty when it stops"
    );
}

#[test]
fn the_worker_keeps_running_tasks_after_many_panics() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let results = rt.block_on(async {
        let panicking: Vec<_> = (0..20u32)
            .map(|i| {
                ctxrt::spawn(async move {
                    let _ = VAR.set(i);
                    yield_now().await;
                    panic!("panic number {i}");
                })
            })
            .collect();
        let healthy: Vec<_> = (0..20u32)
            .map(|i| {
                ctxrt::spawn(async move {
                    yield_now().await;
                    (i, VAR.get(), Context::current().len())
                })
            })
            .collect();
        let mut errors = Vec::new();
        for handle in panicking {
            errors.push(handle.await.expect_err("panicked").to_string());
        }
        let mut oks = Vec::new();
        for handle in healthy {
            oks.push(handle.await.expect("healthy task completes"));
        }
        (errors, oks)
    });
    let (errors, oks) = results;
    for (i, message) in errors.iter().enumerate() {
        assert!(
            message.contains("panicked") && message.contains(&format!("panic number {i}")),
            "{message}"
        );
    }
    let expected: Vec<_> = (0..20u32).map(|i| (i, None, 0)).collect();
    assert_eq!(oks, expected);
}

#[test]
fn current_thread_caller_context_is_intact_after_tasks_panic() {
    let rt = Builder::new_current_thread().build().expect("runtime");
    Context::new().run(|| {
        let _ = VAR.set(1);
        let before = thread::current().id();
        let (err, after) = rt.block_on(async {
            let err = ctxrt::spawn(async {
                let _ = VAR.set(2);
                yield_now().await;
                panic!("panics on the block_on thread");
            })
            .await
            .expect_err("panicked");
            let after = ctxrt::spawn(async {
                let _ = VAR.set(3); // the task's own set, never the caller's
                observe()
            })
            .await
            .expect("later task runs");
            (err, (after.0, VAR.get()))
        });
        assert!(err.is_panic());
        assert!(err.to_string().contains("panicked"));
        assert_eq!(after, (before, Some(1)), "tasks ran on this thread");
        assert_eq!(VAR.get(), Some(1));
        assert_eq!(Context::current().len(), 1);
    });
}

#[test]
fn a_panicking_blocking_job_is_contained_and_its_thread_reused() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .expect("runtime");
    let (panicked_on, err, after) = rt.block_on(async {
        let (thread_tx, thread_rx) = std::sync::mpsc::channel();
        let err = ctxrt::spawn_blocking(move || {
            let _ = VAR.set(9);
            thread_tx.send(thread::current().id()).expect("test waits");
            std::panic::panic_any(String::from("blocking job panics"));
        })
        .await
        .expect_err("the job panicked");
        let panicked_on = thread_rx.recv().expect("job reports its thread");
        let after = ctxrt::spawn_blocking(observe)
            .await
            .expect("the next job runs");
        (panicked_on, err, after)
    });
    assert!(err.is_panic());
    assert!(
        err.to_string().contains("panicked") && err.to_string().contains("blocking job panics"),
        "{err}"
    );
    assert_eq!(
        *err.into_panic()
            .downcast::<String>()
            .expect("a String payload"),
        "blocking job panics"
    );
    assert_eq!(
        after,
        (panicked_on, 0, None),
        "same pool thread, clean context"
    );
    assert_eq!(rt.handle().num_blocking_threads(), 1);
}

#[test]
fn a_context_value_panicking_in_drop_does_not_kill_the_worker() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let completed = Arc::new(AtomicUsize::new(0));
    let counter = completed.clone();
    let (output, later) = rt.block_on(async move {
        let output = ctxrt::spawn(async move {
            let _ = BOMB.set(PanicOnDrop);
            yield_now().await;
            counter.fetch_add(1, Ordering::SeqCst);
            "finished"
        })
        .await;
        let later = ctxrt::spawn(async { observe() }).await;
        (output, later)
    });
    // The output was produced before the context was released: it is kept.
    assert_eq!(output.expect("the task itself finished"), "finished");
    assert_eq!(completed.load(Ordering::SeqCst), 1);
    let (_, len, var) = later.expect("the worker still runs tasks");
    assert_eq!((len, var), (0, None));
}
