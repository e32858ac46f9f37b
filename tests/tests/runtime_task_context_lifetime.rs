//! A task's context lives exactly as long as the task, on both flavors: its bindings are
//! released when the task completes (even while its JoinHandle still holds the unread
//! output), when it panics, and when it is aborted; a blocking job's when the job ends.
//! A cancelled future is dropped inside its task's context, so its drop code still sees
//! the task's bindings, whether it was cancelled by `abort` or by runtime shutdown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::ContextVar;
use ctxrt_tests::{on_both_flavors, wait_until, DropCounter};

static HELD: ContextVar<DropCounter> = ContextVar::new("held");
static VAR: ContextVar<u32> = ContextVar::new("var");

on_both_flavors!(
    bindings_are_released_at_completion_before_the_output_is_read,
    bindings_are_released_when_the_task_panics,
    an_aborted_future_is_dropped_inside_its_context,
    a_future_cancelled_by_shutdown_is_dropped_inside_its_context,
    a_blocking_jobs_bindings_are_released_when_it_ends,
);

/// Records what `VAR` is bound to in the context it is dropped in.
struct RecordVarOnDrop(Arc<Mutex<Vec<Option<u32>>>>);

impl Drop for RecordVarOnDrop {
    fn drop(&mut self) {
        self.0.lock().expect("lock").push(VAR.get());
    }
}

fn bindings_are_released_at_completion_before_the_output_is_read(rt: Runtime) {
    let released = Arc::new(AtomicUsize::new(0));
    let counter = released.clone();
    let output = rt.block_on(async move {
        let handle = ctxrt::spawn(async move {
            let _ = HELD.set(DropCounter(counter));
            yield_now().await;
            "output"
        });
        wait_until("the task finished", || handle.is_finished()).await;
        wait_until("the task's context was released", || {
            released.load(Ordering::SeqCst) == 1
        })
        .await;
        handle.await.expect("the output is still there")
    });
    assert_eq!(output, "output");
}

fn bindings_are_released_when_the_task_panics(rt: Runtime) {
    let released = Arc::new(AtomicUsize::new(0));
    let counter = released.clone();
    let err = rt.block_on(async move {
        ctxrt::spawn(async move {
            let _ = HELD.set(DropCounter(counter));
            yield_now().await;
            panic!("expected panic");
        })
        .await
        .expect_err("panicked")
    });
    assert!(err.is_panic());
    assert_eq!(released.load(Ordering::SeqCst), 1);
}

fn an_aborted_future_is_dropped_inside_its_context(rt: Runtime) {
    let released = Arc::new(AtomicUsize::new(0));
    let seen_on_drop = Arc::new(Mutex::new(Vec::new()));
    let (counter, recorder) = (released.clone(), RecordVarOnDrop(seen_on_drop.clone()));
    let err = rt.block_on(async move {
        let (started_tx, started_rx) = futures_channel::oneshot::channel::<()>();
        let handle = ctxrt::spawn(async move {
            let _recorder = recorder;
            let _ = VAR.set(5);
            let _ = HELD.set(DropCounter(counter));
            started_tx.send(()).expect("test waits");
            std::future::pending::<()>().await;
        });
        started_rx.await.expect("task started");
        handle.abort();
        handle.await.expect_err("aborted")
    });
    assert!(err.is_cancelled());
    assert_eq!(*seen_on_drop.lock().expect("lock"), [Some(5)]);
    assert_eq!(released.load(Ordering::SeqCst), 1);
}

fn a_future_cancelled_by_shutdown_is_dropped_inside_its_context(rt: Runtime) {
    let released = Arc::new(AtomicUsize::new(0));
    let seen_on_drop = Arc::new(Mutex::new(Vec::new()));
    let (counter, recorder) = (released.clone(), RecordVarOnDrop(seen_on_drop.clone()));
    let started = Arc::new(AtomicUsize::new(0));
    let task_started = started.clone();
    let handle = rt.spawn(async move {
        let _recorder = recorder;
        let _ = VAR.set(6);
        let _ = HELD.set(DropCounter(counter));
        task_started.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<()>().await;
    });
    rt.block_on(wait_until("the task is waiting", || {
        started.load(Ordering::SeqCst) == 1
    }));
    drop(rt);
    assert_eq!(*seen_on_drop.lock().expect("lock"), [Some(6)]);
    assert_eq!(released.load(Ordering::SeqCst), 1);
    assert!(handle.is_finished());
    // The dropping thread's own context was not touched.
    assert_eq!(VAR.get(), None);
}

fn a_blocking_jobs_bindings_are_released_when_it_ends(rt: Runtime) {
    let released = Arc::new(AtomicUsize::new(0));
    let counter = released.clone();
    rt.block_on(async move {
        ctxrt::spawn_blocking(move || {
            let _ = HELD.set(DropCounter(counter));
        })
        .await
        .expect("job completes");
    });
    assert_eq!(released.load(Ordering::SeqCst), 1);
}
