//! `ctxrt::task::{id, try_id}`: inside a task (each poll, and the drop of its future when
//! aborted) and inside a `spawn_blocking` job they give that task's id, the one its
//! `JoinHandle::id` shows; outside a task (`block_on`, a plain thread) `try_id` is `None`
//! and `id` panics with a message saying what to do. On both flavours.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::{self, Id};
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    a_task_sees_its_own_id_across_awaits,
    a_blocking_job_sees_its_own_id,
    an_aborted_futures_drop_sees_its_tasks_id,
    there_is_no_id_outside_a_task,
);

fn a_task_sees_its_own_id_across_awaits(rt: Runtime) {
    rt.block_on(async {
        let a = ctxrt::spawn(async {
            let before = task::id();
            task::yield_now().await;
            (before, task::try_id())
        });
        let b = ctxrt::spawn(async { task::id() });
        let (a_id, b_id) = (a.id(), b.id());
        assert_ne!(a_id, b_id);
        assert_eq!(a.await.unwrap(), (a_id, Some(a_id)));
        assert_eq!(b.await.unwrap(), b_id);
        // The spawning code (the block_on future) is not a task, and the tasks' ids did
        // not stick to this thread.
        assert_eq!(task::try_id(), None);
    });
}

fn a_blocking_job_sees_its_own_id(rt: Runtime) {
    let job = rt.spawn_blocking(task::id);
    let id = job.id();
    assert_eq!(rt.block_on(job).unwrap(), id);
}

/// Records `try_id` when dropped.
struct RecordId(Arc<Mutex<Option<Option<Id>>>>);

impl Drop for RecordId {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(task::try_id());
    }
}

fn an_aborted_futures_drop_sees_its_tasks_id(rt: Runtime) {
    let seen = Arc::new(Mutex::new(None));
    let recorder = RecordId(seen.clone());
    let id = rt.block_on(async move {
        let (started_tx, started_rx) = oneshot::channel::<()>();
        let handle = ctxrt::spawn(async move {
            let _recorder = recorder;
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        });
        started_rx.await.unwrap();
        handle.abort();
        let id = handle.id();
        assert!(handle.await.unwrap_err().is_cancelled());
        id
    });
    assert_eq!(*seen.lock().unwrap(), Some(Some(id)));
}

fn there_is_no_id_outside_a_task(rt: Runtime) {
    assert_eq!(task::try_id(), None);
    assert_eq!(rt.block_on(async { task::try_id() }), None);
    let panic = catch_unwind(AssertUnwindSafe(|| rt.block_on(async { task::id() })))
        .expect_err("id() outside a task panics");
    let message = ctxrt_tests::panic_message(&*panic);
    assert!(message.contains("outside a task"), "{message}");
    assert!(message.contains("try_id"), "{message}");
    assert_eq!(std::thread::spawn(task::try_id).join().unwrap(), None);
}
