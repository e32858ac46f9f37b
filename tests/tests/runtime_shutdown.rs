//! Dropping a runtime cancels every unfinished task, on both flavors: queued ones (never
//! polled), idle ones (awaiting a wake that never comes: `std::future::pending`, or a
//! oneshot whose sender is held elsewhere) and running ones (at their next yield). Their
//! futures and their contexts are dropped by the time the drop returns, and their
//! JoinHandles then report cancelled, whether polled by hand or awaited on another runtime.
//! Code in those drops may still spawn (the spawn is cancelled at once). `on_thread_stop`
//! has run for every thread when the drop returns; `shutdown_timeout` returns after its
//! timeout while a blocking job is still running, and the running job and the one queued
//! behind it still run and deliver their outputs later (as tokio: jobs submitted before
//! shutdown are not lost; see `runtime_blocking_shutdown_drain.rs`). A kept `Handle` spawns only cancelled tasks afterwards,
//! and a runtime dropped on one of its own workers panics with what to do instead.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{self, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use futures_channel::oneshot;

use ctxrt::runtime::{Builder, Handle, Runtime};
use ctxrt::task::{spawn_with_context, yield_now};
use ctxrt::{Context, ContextVar, JoinHandle};
use ctxrt_tests::{current_thread, on_both_flavors, wait_until, wait_until_blocking, DropCounter};

static GUARD: ContextVar<DropCounter> = ContextVar::new("guard");

on_both_flavors!(
    drop_cancels_idle_tasks_and_drops_their_futures_and_contexts,
    drop_cancels_a_running_task_at_its_next_yield,
    a_cancelled_futures_drop_may_spawn,
    a_kept_handle_spawns_only_cancelled_work_after_shutdown,
    waking_a_task_after_its_runtime_is_gone_is_harmless,
);

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let mut cx = task::Context::from_waker(Waker::noop());
    Pin::new(fut).poll(&mut cx)
}

/// Asserts that a handle reports cancellation, polled by hand (no runtime needed).
fn assert_cancelled<T>(mut handle: JoinHandle<T>, what: &str) {
    match poll_once(&mut handle) {
        Poll::Ready(Err(err)) => assert!(err.is_cancelled(), "{what}: {err}"),
        Poll::Ready(Ok(_)) => panic!("{what}: completed instead of being cancelled"),
        Poll::Pending => panic!("{what}: still pending after the runtime was dropped"),
    }
}

fn drop_cancels_idle_tasks_and_drops_their_futures_and_contexts(rt: Runtime) {
    const TASKS: usize = 20;
    let futures_dropped = counter();
    let contexts_dropped = counter();
    let started = counter();
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let future_guard = DropCounter(futures_dropped.clone());
        let context_guard = DropCounter(contexts_dropped.clone());
        let started = started.clone();
        let (tx, rx) = oneshot::channel::<()>();
        senders.push(tx);
        handles.push(rt.spawn(async move {
            let _future_guard = future_guard;
            let _ = GUARD.set(context_guard); // only this task's context holds it
            started.fetch_add(1, Ordering::SeqCst);
            if i % 2 == 0 {
                std::future::pending::<()>().await;
            } else {
                rx.await.expect("the sender is held by the test");
            }
        }));
    }
    rt.block_on(wait_until("every task is waiting", || {
        started.load(Ordering::SeqCst) == TASKS
    }));
    assert_eq!(futures_dropped.load(Ordering::SeqCst), 0);
    drop(rt);
    assert_eq!(futures_dropped.load(Ordering::SeqCst), TASKS);
    assert_eq!(contexts_dropped.load(Ordering::SeqCst), TASKS);
    for tx in senders.into_iter().skip(1).step_by(2) {
        assert!(tx.send(()).is_err(), "the receiver went with the future");
    }
    // Half polled by hand, half awaited on another runtime.
    let other = current_thread();
    for (i, handle) in handles.into_iter().enumerate() {
        if i % 2 == 0 {
            assert_cancelled(handle, "polled by hand");
        } else {
            let err = other.block_on(handle).expect_err("cancelled");
            assert!(err.is_cancelled(), "{err}");
        }
    }
}

/// Spawns `count` tasks that are queued but never polled, each in its own context holding
/// a `DropCounter`; returns their handles and whether any was polled.
fn spawn_never_polled(
    rt: &Runtime,
    count: usize,
    futures_dropped: &Arc<AtomicUsize>,
    contexts_dropped: &Arc<AtomicUsize>,
) -> (Vec<JoinHandle<()>>, Arc<AtomicBool>) {
    let polled = Arc::new(AtomicBool::new(false));
    let _enter = rt.enter();
    let handles = (0..count)
        .map(|_| {
            let guard = DropCounter(futures_dropped.clone());
            let polled = polled.clone();
            let context = Context::new().with_value(&GUARD, DropCounter(contexts_dropped.clone()));
            spawn_with_context(context, async move {
                let _guard = guard;
                polled.store(true, Ordering::SeqCst);
            })
        })
        .collect();
    (handles, polled)
}

#[test]
fn drop_cancels_queued_tasks_on_a_current_thread_runtime() {
    let rt = current_thread();
    let futures_dropped = counter();
    let contexts_dropped = counter();
    // Nothing drives a current_thread runtime outside block_on: they stay queued.
    let (handles, polled) = spawn_never_polled(&rt, 10, &futures_dropped, &contexts_dropped);
    assert_eq!(rt.handle().num_alive_tasks(), 10);
    drop(rt);
    assert!(!polled.load(Ordering::SeqCst), "no queued task was polled");
    assert_eq!(futures_dropped.load(Ordering::SeqCst), 10);
    assert_eq!(contexts_dropped.load(Ordering::SeqCst), 10);
    for handle in handles {
        assert_cancelled(handle, "queued task");
    }
}

#[test]
fn drop_cancels_queued_tasks_on_a_multi_thread_runtime() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let futures_dropped = counter();
    let contexts_dropped = counter();
    // The only worker is held by a hog until the queued tasks' futures are dropped, which
    // only shutdown does; so they are still queued when the runtime drops.
    let (hog_started_tx, hog_started_rx) = mpsc::channel();
    let seen_by_hog = futures_dropped.clone();
    let hog = rt.spawn(async move {
        hog_started_tx.send(()).expect("test waits");
        wait_until_blocking("shutdown dropped the queued futures", || {
            seen_by_hog.load(Ordering::SeqCst) == 10
        });
    });
    hog_started_rx.recv().expect("hog started");
    let (handles, polled) = spawn_never_polled(&rt, 10, &futures_dropped, &contexts_dropped);
    drop(rt);
    assert!(!polled.load(Ordering::SeqCst), "no queued task was polled");
    assert_eq!(futures_dropped.load(Ordering::SeqCst), 10);
    assert_eq!(contexts_dropped.load(Ordering::SeqCst), 10);
    for handle in handles {
        assert_cancelled(handle, "queued task");
    }
    // The hog was running at shutdown: it finished its poll (it never yields).
    let mut hog = hog;
    assert!(matches!(poll_once(&mut hog), Poll::Ready(Ok(()))));
}

fn drop_cancels_a_running_task_at_its_next_yield(rt: Runtime) {
    let dropped = counter();
    let guard = DropCounter(dropped.clone());
    let (started_tx, started_rx) = mpsc::channel();
    let handle = rt.spawn(async move {
        let _guard = guard;
        started_tx.send(()).expect("test waits");
        loop {
            thread::sleep(Duration::from_millis(1));
            yield_now().await;
        }
    });
    // A current_thread runtime runs it only inside block_on: let it start there.
    rt.block_on(async {
        while started_rx.try_recv().is_err() {
            yield_now().await;
        }
    });
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_cancelled(handle, "running task");
}

/// Spawns (with `ctxrt::spawn`, through the current runtime) from its drop.
struct SpawnOnDrop {
    spawned: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let handle = ctxrt::spawn(async {});
        *self.spawned.lock().expect("lock") = Some(handle);
    }
}

fn a_cancelled_futures_drop_may_spawn(rt: Runtime) {
    let spawned = Arc::new(Mutex::new(None));
    let on_drop = SpawnOnDrop {
        spawned: spawned.clone(),
    };
    let started = counter();
    let task_started = started.clone();
    let handle = rt.spawn(async move {
        let _on_drop = on_drop;
        task_started.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<()>().await;
    });
    rt.block_on(wait_until("the task is waiting", || {
        started.load(Ordering::SeqCst) == 1
    }));
    drop(rt);
    // The task was cancelled, not failed by a panic in its drop.
    assert_cancelled(handle, "task whose drop spawns");
    let spawned = spawned
        .lock()
        .expect("lock")
        .take()
        .expect("the drop ran and spawned");
    assert_cancelled(spawned, "task spawned during shutdown");
}

fn a_kept_handle_spawns_only_cancelled_work_after_shutdown(rt: Runtime) {
    let handle: Handle = rt.handle().clone();
    drop(rt);
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let task = handle.spawn(async move { flag.store(true, Ordering::SeqCst) });
    assert_cancelled(task, "task spawned after shutdown");
    let flag = ran.clone();
    let job = handle.spawn_blocking(move || flag.store(true, Ordering::SeqCst));
    assert_cancelled(job, "job submitted after shutdown");
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(handle.num_alive_tasks(), 0);
}

/// A future that stores its waker where the test can reach it, then waits forever.
struct StashWaker(Arc<Mutex<Option<Waker>>>);

impl Future for StashWaker {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<()> {
        *self.0.lock().expect("lock") = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn waking_a_task_after_its_runtime_is_gone_is_harmless(rt: Runtime) {
    let stash = Arc::new(Mutex::new(None));
    let handle = rt.spawn(StashWaker(stash.clone()));
    rt.block_on(wait_until("the task stored its waker", || {
        stash.lock().expect("lock").is_some()
    }));
    drop(rt);
    let waker = stash.lock().expect("lock").take().expect("stored");
    waker.wake_by_ref();
    let clone = waker.clone();
    waker.wake();
    drop(clone);
    assert_cancelled(handle, "task woken after shutdown");
}

#[test]
fn on_thread_stop_ran_for_every_thread_when_drop_returns() {
    let starts = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let stops = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let (on_start, on_stop) = (starts.clone(), stops.clone());
    let record = |map: &Mutex<BTreeMap<String, usize>>| {
        let name = thread::current().name().unwrap_or("unnamed").to_string();
        *map.lock().expect("lock").entry(name).or_default() += 1;
    };
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || record(&on_start))
        .on_thread_stop(move || record(&on_stop))
        .build()
        .expect("runtime");
    rt.block_on(async {
        // Two concurrent blocking jobs: at least one, at most two pool threads.
        let a = ctxrt::spawn_blocking(|| thread::sleep(Duration::from_millis(20)));
        let b = ctxrt::spawn_blocking(|| thread::sleep(Duration::from_millis(20)));
        a.await.expect("job");
        b.await.expect("job");
    });
    drop(rt);
    let starts = starts.lock().expect("lock").clone();
    let stops = stops.lock().expect("lock").clone();
    assert_eq!(starts, stops, "every started thread ran its stop hook");
    assert_eq!(starts.get("ctxrt-worker-0"), Some(&1));
    assert_eq!(starts.get("ctxrt-worker-1"), Some(&1));
    let blocking = starts
        .keys()
        .filter(|name| name.starts_with("ctxrt-blocking-"))
        .count();
    assert!((1..=2).contains(&blocking), "{starts:?}");
    assert_eq!(starts.len(), 2 + blocking, "{starts:?}");
}

#[test]
fn shutdown_timeout_returns_while_a_blocking_job_still_runs() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .expect("runtime");
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // Blocks for up to 10 s unless released.
    let running = rt.spawn_blocking(move || {
        started_tx.send(()).expect("test waits");
        release_rx.recv_timeout(Duration::from_secs(10)).is_ok()
    });
    started_rx.recv().expect("the job started");
    let queued_ran = Arc::new(AtomicBool::new(false));
    let flag = queued_ran.clone();
    // The pool's only thread is busy: this one waits in the queue.
    let queued = rt.spawn_blocking(move || flag.store(true, Ordering::SeqCst));
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_secs(2),
        "shutdown took {elapsed:?}"
    );
    assert!(
        !queued_ran.load(Ordering::SeqCst),
        "it waits behind the running job"
    );
    // The job that outlived the timeout still completes and delivers its output, and the
    // queued one (submitted before shutdown) then runs too.
    release_tx.send(()).expect("the job waits");
    let mut running = running;
    wait_until_blocking("the detached job finished", || running.is_finished());
    assert!(matches!(poll_once(&mut running), Poll::Ready(Ok(true))));
    let mut queued = queued;
    wait_until_blocking("the queued job finished", || queued.is_finished());
    assert!(matches!(poll_once(&mut queued), Poll::Ready(Ok(()))));
    assert!(queued_ran.load(Ordering::SeqCst));
}

#[test]
fn dropping_a_runtime_on_its_own_worker_panics_with_advice() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let handle = rt.handle().clone();
    let task = handle.spawn(async move { drop(rt) });
    let err = handle.block_on(task).expect_err("the drop panicked");
    let message = err.to_string();
    assert!(
        message.contains("own worker threads") && message.contains("drop it outside"),
        "{message}"
    );
}
