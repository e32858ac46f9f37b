//! A task's context is its own for its whole life: the sets it makes persist across its
//! awaits (yields, wakes from other tasks or threads, a `scoped()` guard held across an
//! await), also when it resumes on another worker thread than the one it set them on.
//! Awaiting a future inside a task runs it in the task's context (sets made inside an
//! awaited `async fn` are visible afterwards), while a spawned child never shares it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::{multi_thread, on_both_flavors};

static VALUE: ContextVar<u32> = ContextVar::new("value");
static OTHER: ContextVar<&'static str> = ContextVar::new("other");

on_both_flavors!(
    sets_persist_across_every_kind_of_await,
    awaited_async_fn_shares_the_task_context_but_a_spawned_one_does_not,
    scoped_guard_held_across_awaits_restores_the_prior_binding,
);

fn sets_persist_across_every_kind_of_await(rt: Runtime) {
    let seen = rt.block_on(async {
        let (wake_tx, wake_rx) = oneshot::channel::<u32>();
        let (thread_tx, thread_rx) = oneshot::channel::<u32>();
        let task = ctxrt::spawn(async move {
            let mut seen = Vec::new();
            let _ = VALUE.set(1);
            yield_now().await;
            seen.push(VALUE.get());
            // Woken by another task.
            let _ = VALUE.set(2);
            let got = wake_rx.await.expect("waker task sends");
            seen.push(VALUE.get().map(|v| v + got));
            // Woken by a plain OS thread (a foreign waker).
            let _ = VALUE.set(3);
            let got = thread_rx.await.expect("thread sends");
            seen.push(VALUE.get().map(|v| v + got));
            for _ in 0..10 {
                yield_now().await;
            }
            seen.push(VALUE.get());
            seen
        });
        ctxrt::spawn(async move {
            yield_now().await;
            let _ = VALUE.set(999); // the waker's own set, never seen by the task
            wake_tx.send(0).expect("task waits");
        })
        .await
        .expect("waker task completes");
        let sender = thread::spawn(move || thread_tx.send(0).expect("task waits"));
        let seen = task.await.expect("task completes");
        sender.join().expect("sender thread");
        seen
    });
    assert_eq!(seen, [Some(1), Some(2), Some(3), Some(3)]);
}

async fn set_in_callee(value: u32) -> Option<u32> {
    let before = VALUE.get();
    let _ = VALUE.set(value);
    let _ = OTHER.set("callee");
    yield_now().await;
    before
}

fn awaited_async_fn_shares_the_task_context_but_a_spawned_one_does_not(rt: Runtime) {
    let seen = rt.block_on(async {
        ctxrt::spawn(async {
            let _ = VALUE.set(1);
            let callee_saw = set_in_callee(2).await;
            let after_await = (VALUE.get(), OTHER.get());
            let spawned_saw = ctxrt::spawn(set_in_callee(3))
                .await
                .expect("spawned callee completes");
            let after_spawn = (VALUE.get(), OTHER.get());
            (callee_saw, after_await, spawned_saw, after_spawn)
        })
        .await
        .expect("task completes")
    });
    let (callee_saw, after_await, spawned_saw, after_spawn) = seen;
    assert_eq!(callee_saw, Some(1), "the callee reads the caller's set");
    assert_eq!(after_await, (Some(2), Some("callee")), "and its sets stay");
    assert_eq!(
        spawned_saw,
        Some(2),
        "a spawned callee inherits the task's value"
    );
    assert_eq!(
        after_spawn,
        (Some(2), Some("callee")),
        "but its sets never reach the task"
    );
}

fn scoped_guard_held_across_awaits_restores_the_prior_binding(rt: Runtime) {
    let seen = rt.block_on(async {
        ctxrt::spawn(async {
            let _ = VALUE.set(1);
            let inside = {
                let _guard = VALUE.scoped(5);
                for _ in 0..5 {
                    yield_now().await;
                }
                VALUE.get()
            };
            (inside, VALUE.get())
        })
        .await
        .expect("a guard dropped in the task's own context does not panic")
    });
    assert_eq!(seen, (Some(5), Some(1)));
}

/// Deterministic migration: the task sets a value on worker A and goes idle; a hog task is
/// parked on worker A (retrying until one lands there), then the task is woken from the
/// test thread, so worker B must resume it.
#[test]
fn a_task_resumed_by_another_worker_keeps_its_values() {
    let rt = multi_thread();
    rt.block_on(async {
        let (wake_tx, wake_rx) = oneshot::channel::<()>();
        let (first_tx, first_rx) = oneshot::channel::<ThreadId>();
        let task = ctxrt::spawn(async move {
            let _ = VALUE.set(42);
            let _ = OTHER.set("mine");
            first_tx.send(thread::current().id()).expect("test waits");
            wake_rx.await.expect("test wakes the task");
            (VALUE.get(), OTHER.get(), thread::current().id())
        });
        let first_thread = first_rx.await.expect("task reports its thread");
        let mut wake_tx = Some(wake_tx);
        let mut task = Some(task);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            assert!(
                Instant::now() < deadline,
                "no hog task ever landed on the task's worker"
            );
            let (hog_tx, hog_rx) = oneshot::channel::<ThreadId>();
            let release = Arc::new(AtomicBool::new(false));
            let hog_release = release.clone();
            let hog = ctxrt::spawn(async move {
                hog_tx.send(thread::current().id()).expect("test waits");
                // Blocks this worker thread until released.
                while !hog_release.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(1));
                }
            });
            let hog_thread = hog_rx.await.expect("hog reports its thread");
            if hog_thread == first_thread {
                wake_tx
                    .take()
                    .expect("woken once")
                    .send(())
                    .expect("task waits");
                let (value, other, resumed_on) = task
                    .take()
                    .expect("awaited once")
                    .await
                    .expect("task completes");
                release.store(true, Ordering::SeqCst);
                hog.await.expect("hog completes");
                assert_ne!(resumed_on, first_thread, "the other worker resumed it");
                assert_eq!((value, other), (Some(42), Some("mine")));
                break;
            }
            release.store(true, Ordering::SeqCst);
            hog.await.expect("hog completes");
        }
    });
}

/// Statistical migration: many yielding tasks on two workers, some of which block their
/// worker briefly so the other steals. Every task checks its values after every await, and
/// rounds repeat until at least one task was seen changing thread.
#[test]
fn many_yielding_tasks_keep_their_values_while_moving_between_workers() {
    const TASKS: u32 = 64;
    const STEPS: u32 = 40;
    let rt = multi_thread();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut migrated = 0;
    while migrated == 0 {
        assert!(Instant::now() < deadline, "no task ever changed worker");
        let runs = rt.block_on(async {
            let handles: Vec<_> = (0..TASKS)
                .map(|task| {
                    ctxrt::spawn(async move {
                        let _ = VALUE.set(task);
                        let mut polls = vec![(thread::current().id(), VALUE.get())];
                        for step in 0..STEPS {
                            if task % 8 == 0 && step % 10 == 0 {
                                // Keep this worker busy so the other one steals.
                                thread::sleep(Duration::from_millis(1));
                            }
                            yield_now().await;
                            polls.push((thread::current().id(), VALUE.get()));
                        }
                        polls
                    })
                })
                .collect();
            let mut runs = Vec::new();
            for handle in handles {
                runs.push(handle.await.expect("task completes"));
            }
            runs
        });
        for (task, polls) in runs.iter().enumerate() {
            let expected = Some(task as u32);
            assert!(
                polls.iter().all(|&(_, value)| value == expected),
                "task {task} lost its value: {polls:?}"
            );
        }
        migrated = runs
            .iter()
            .filter(|polls| polls.windows(2).any(|pair| pair[0].0 != pair[1].0))
            .count();
    }
    // Nothing leaked into the test thread either.
    assert_eq!(VALUE.get(), None);
    assert!(Context::current().is_empty());
}
