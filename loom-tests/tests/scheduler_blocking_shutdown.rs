//! Model 8, `spawn_blocking` racing with runtime shutdown: a `current_thread` runtime (so
//! the only threads are the model's and the blocking pool's) gets a blocking job, with a
//! drop-counted value captured in it, while the runtime is being dropped: submitted just
//! before the drop from the main thread, or from another thread at the same time as it.
//!
//! Proves, in every interleaving: a job submitted before the drop began always runs (as
//! in tokio, shutdown runs and waits for the jobs already submitted); one submitted from
//! another thread during the drop either runs, in the context copied at its spawn (not
//! the spawner's later set), or is refused without running; its closure is dropped
//! exactly once either way; and its JoinHandle resolves either way, with the job's result
//! or with a cancelled `JoinError` (a handle that never resolved would leave the main
//! thread asleep forever, which loom reports as a deadlock). Shutdown waits for the
//! blocking thread, so no thread or task cell outlives the runtime.
#![cfg(loom)]

use ctxrt::runtime::Builder;
use ctxrt::task::{JoinError, JoinHandle};
use ctxrt::{Context, ContextVar};
use ctxrt_loom_tests::{check_deep, DropCounter, Outcomes};
use loom::thread;

static JOB: ContextVar<u32> = ContextVar::new("job");

/// Checks a resolved job: it ran in its spawn-time context or was cancelled.
fn check_outcome(result: Result<Option<u32>, JoinError>, ran: &DropCounter, outcomes: &Outcomes) {
    match result {
        Ok(seen) => {
            assert_eq!(seen, Some(5), "the job ran outside its copied context");
            outcomes.hit("ran");
        }
        Err(err) => {
            assert!(err.is_cancelled(), "a job is only ever cancelled: {err}");
            assert_eq!(ran.made(), 0, "a cancelled job ran");
            outcomes.hit("cancelled");
        }
    }
}

/// A blocking job that records that it ran and returns what it sees of `JOB`.
fn job(captured: DropCounter, ran: DropCounter) -> impl FnOnce() -> Option<u32> + Send {
    let held = captured.track();
    move || {
        let _held = held;
        drop(ran.track());
        JOB.get()
    }
}

#[test]
fn a_job_submitted_just_before_shutdown_runs() {
    let outcomes = Outcomes::new();
    let seen = outcomes.clone();
    check_deep(
        "scheduler_blocking_shutdown::submitted_before_drop",
        3,
        move || {
            let (captured, ran) = (DropCounter::new(), DropCounter::new());
            let rt = Builder::new_current_thread().build().unwrap();
            let _job = JOB.scoped(5);
            let handle = rt.spawn_blocking(job(captured.clone(), ran.clone()));
            JOB.set(6);
            drop(rt);
            let result = resolve(handle);
            assert!(
                result.is_ok(),
                "a job submitted before shutdown was refused"
            );
            check_outcome(result, &ran, &seen);
            captured.assert_all_dropped_once("the job's closure", 1);
        },
    );
    outcomes.assert_seen(
        "scheduler_blocking_shutdown::submitted_before_drop",
        &["ran"],
    );
}

#[test]
fn a_job_submitted_from_another_thread_during_shutdown_runs_or_is_dropped() {
    let outcomes = Outcomes::new();
    let seen = outcomes.clone();
    check_deep(
        "scheduler_blocking_shutdown::submitted_during_drop",
        3,
        move || {
            let (captured, ran) = (DropCounter::new(), DropCounter::new());
            let rt = Builder::new_current_thread().build().unwrap();
            let handle = rt.handle().clone();
            let (job_captured, job_ran) = (captured.clone(), ran.clone());
            let submitter = thread::spawn(move || {
                let mut context = Context::new().with_value(&JOB, 5);
                let job = context.run(|| handle.spawn_blocking(job(job_captured, job_ran)));
                context.run(|| JOB.set(6));
                (job, handle)
            });
            drop(rt);
            let (job, handle) = submitter.join().unwrap();
            check_outcome(resolve(job), &ran, &seen);
            drop(handle);
            captured.assert_all_dropped_once("the job's closure", 1);
        },
    );
    outcomes.assert_seen(
        "scheduler_blocking_shutdown::submitted_during_drop",
        &["ran", "cancelled"],
    );
}

/// Awaits a JoinHandle after its runtime is gone, on a fresh current-thread runtime.
fn resolve(handle: JoinHandle<Option<u32>>) -> Result<Option<u32>, JoinError> {
    Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(handle)
}
