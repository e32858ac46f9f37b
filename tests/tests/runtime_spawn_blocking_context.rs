//! `spawn_blocking(f)` runs `f` in a snapshot of the submitter's context taken at
//! submission, on both flavors and from every place a job can be submitted (inside a task,
//! inside `block_on`, `Runtime::spawn_blocking` from outside): `f` sees the bindings as of
//! the call, not later sets; its own sets never reach the submitter; and nothing of one
//! job's context stays on the pool thread for the next job.

use std::sync::mpsc;
use std::thread::{self, ThreadId};

use ctxrt::runtime::{Builder, Runtime};
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};

static REQUEST: ContextVar<u32> = ContextVar::new("request");
static JOB_ONLY: ContextVar<u32> = ContextVar::new("job_only");

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(1)
        .build()
        .expect("multi-thread runtime")
}

fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .expect("current-thread runtime")
}

macro_rules! on_both_flavors {
    ($($name:ident),* $(,)?) => {
        mod multi_thread {
            $( #[test] fn $name() { super::$name(super::multi_thread()); } )*
        }
        mod current_thread {
            $( #[test] fn $name() { super::$name(super::current_thread()); } )*
        }
    };
}

on_both_flavors!(
    job_sees_the_bindings_at_submission_and_its_sets_stay_inside,
    job_submitted_from_a_task_snapshots_the_tasks_context,
    next_job_on_the_same_thread_starts_clean,
    runtime_spawn_blocking_from_outside_snapshots_the_calling_thread,
);

fn job_sees_the_bindings_at_submission_and_its_sets_stay_inside(rt: Runtime) {
    let (seen, after) = rt.block_on(async {
        let _ = REQUEST.set(1);
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let job = ctxrt::spawn_blocking(move || {
            go_rx.recv().expect("submitter sends go");
            let seen = (REQUEST.get(), JOB_ONLY.get());
            let _ = REQUEST.set(100);
            let _ = JOB_ONLY.set(5);
            (seen, (REQUEST.get(), JOB_ONLY.get()))
        });
        let _ = REQUEST.set(2);
        go_tx.send(()).expect("job waits");
        let seen = job.await.expect("job completes");
        (seen, (REQUEST.get(), JOB_ONLY.get()))
    });
    assert_eq!(seen, ((Some(1), None), (Some(100), Some(5))));
    assert_eq!(after, (Some(2), None));
}

fn job_submitted_from_a_task_snapshots_the_tasks_context(rt: Runtime) {
    let (seen, task_after) = rt.block_on(async {
        let _ = REQUEST.set(1);
        ctxrt::spawn(async {
            let _ = REQUEST.set(10);
            yield_now().await;
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let job = ctxrt::spawn_blocking(move || {
                go_rx.recv().expect("task sends go");
                let seen = REQUEST.get();
                let _ = JOB_ONLY.set(1);
                seen
            });
            let _ = REQUEST.set(11);
            go_tx.send(()).expect("job waits");
            let seen = job.await.expect("job completes");
            (seen, (REQUEST.get(), JOB_ONLY.get()))
        })
        .await
        .expect("task completes")
    });
    assert_eq!(seen, Some(10));
    assert_eq!(task_after, (Some(11), None));
}

fn next_job_on_the_same_thread_starts_clean(rt: Runtime) {
    // max_blocking_threads(1): both jobs run on the pool's one thread, in order.
    let (first, second) = rt.block_on(async {
        let first = ctxrt::spawn_blocking(|| {
            let _ = REQUEST.set(7);
            let _ = JOB_ONLY.set(8);
            thread::current().id()
        })
        .await
        .expect("first job completes");
        let second = ctxrt::spawn_blocking(|| {
            (
                thread::current().id(),
                REQUEST.get(),
                JOB_ONLY.get(),
                Context::current().len(),
            )
        })
        .await
        .expect("second job completes");
        (first, second)
    });
    let same_thread: ThreadId = first;
    assert_eq!(second, (same_thread, None, None, 0));
}

fn runtime_spawn_blocking_from_outside_snapshots_the_calling_thread(rt: Runtime) {
    Context::new().run(|| {
        let _ = REQUEST.set(3);
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let job = rt.spawn_blocking(move || {
            go_rx.recv().expect("test sends go");
            let seen = REQUEST.get();
            let _ = REQUEST.set(30);
            seen
        });
        let _ = REQUEST.set(4);
        go_tx.send(()).expect("job waits");
        assert_eq!(rt.block_on(job).expect("job completes"), Some(3));
        assert_eq!(REQUEST.get(), Some(4));
    });
}
