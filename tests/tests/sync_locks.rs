//! `ctxrt::sync`'s locks and signals (tokio's, re-exported) work between ctxrt tasks on
//! both flavours: `Mutex` held across `.await` excludes, `RwLock` admits readers together
//! and a writer alone, `Semaphore` bounds concurrency, `Notify` wakes a waiter, `Barrier`
//! releases all at once with one leader; and a task waiting on a lock keeps its context.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ctxrt::runtime::Runtime;
use ctxrt::sync::{Barrier, Mutex, Notify, RwLock, Semaphore};
use ctxrt::task::yield_now;
use ctxrt::ContextVar;

static NAME: ContextVar<u32> = ContextVar::new("name");

fn mutex_held_across_await_excludes(rt: Runtime) {
    let (total, max_inside) = rt.block_on(async {
        let state = Arc::new(Mutex::new(0u64));
        let inside = Arc::new(AtomicUsize::new(0));
        let max_inside = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..20u64 {
            let (state, inside, max_inside) = (state.clone(), inside.clone(), max_inside.clone());
            tasks.push(ctxrt::spawn(async move {
                let mut guard = state.lock().await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max_inside.fetch_max(now, Ordering::SeqCst);
                yield_now().await;
                *guard += i;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let total = *state.lock().await;
        (total, max_inside.load(Ordering::SeqCst))
    });
    assert_eq!(total, (0..20).sum::<u64>());
    assert_eq!(max_inside, 1, "one holder at a time");
}

fn rwlock_readers_share_writers_exclude(rt: Runtime) {
    rt.block_on(async {
        let lock = Arc::new(RwLock::new(vec![1]));
        let r1 = lock.read().await;
        let r2 = lock.read().await;
        assert_eq!((r1.len(), r2.len()), (1, 1));
        assert!(lock.try_write().is_err(), "no writer while readers hold it");
        drop((r1, r2));
        let writer = {
            let lock = lock.clone();
            ctxrt::spawn(async move { lock.write().await.push(2) })
        };
        writer.await.unwrap();
        assert_eq!(*lock.read().await, vec![1, 2]);
    });
}

fn semaphore_bounds_concurrency(rt: Runtime) {
    let max = rt.block_on(async {
        let permits = Arc::new(Semaphore::new(3));
        let inside = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let (permits, inside, max) = (permits.clone(), inside.clone(), max.clone());
            tasks.push(ctxrt::spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                for _ in 0..3 {
                    yield_now().await;
                }
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        permits.close();
        assert!(
            permits.acquire().await.is_err(),
            "a closed semaphore refuses"
        );
        max.load(Ordering::SeqCst)
    });
    assert!((1..=3).contains(&max), "at most 3 at once, saw {max}");
}

fn notify_wakes_a_waiter(rt: Runtime) {
    rt.block_on(async {
        let notify = Arc::new(Notify::new());
        let ready = Arc::new(AtomicUsize::new(0));
        let waiter = {
            let (notify, ready) = (notify.clone(), ready.clone());
            ctxrt::spawn(async move {
                notify.notified().await;
                ready.load(Ordering::SeqCst)
            })
        };
        ready.store(7, Ordering::SeqCst);
        // notify_one stores a permit if the waiter has not registered yet.
        notify.notify_one();
        assert_eq!(waiter.await.unwrap(), 7);
    });
}

fn barrier_releases_all_with_one_leader(rt: Runtime) {
    let leaders = rt.block_on(async {
        let barrier = Arc::new(Barrier::new(4));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let barrier = barrier.clone();
            tasks.push(ctxrt::spawn(
                async move { barrier.wait().await.is_leader() },
            ));
        }
        let mut leaders = 0;
        for t in tasks {
            leaders += usize::from(t.await.unwrap());
        }
        leaders
    });
    assert_eq!(leaders, 1);
}

fn a_task_waiting_on_a_lock_keeps_its_context(rt: Runtime) {
    rt.block_on(async {
        let lock = Arc::new(Mutex::new(Vec::new()));
        let held = lock.clone().lock_owned().await;
        let mut tasks = Vec::new();
        for n in 0..5 {
            let lock = lock.clone();
            NAME.set(n);
            tasks.push(ctxrt::spawn(async move {
                let mut seen = lock.lock().await;
                // Woken by whoever released the lock, polled in this task's context.
                seen.push((n, NAME.get()));
                NAME.set(100 + n);
                drop(seen);
                yield_now().await;
                NAME.get()
            }));
        }
        yield_now().await;
        drop(held);
        for (n, t) in (0..5).zip(tasks) {
            assert_eq!(t.await.unwrap(), Some(100 + n));
        }
        let seen = lock.lock().await;
        assert_eq!(seen.len(), 5);
        for (n, name) in seen.iter() {
            assert_eq!(*name, Some(*n), "task {n} saw another task's context");
        }
        assert_eq!(NAME.get(), Some(4), "the tasks' sets stay in the tasks");
    });
}

ctxrt_tests::on_both_flavors!(
    mutex_held_across_await_excludes,
    rwlock_readers_share_writers_exclude,
    semaphore_bounds_concurrency,
    notify_wakes_a_waiter,
    barrier_releases_all_with_one_leader,
    a_task_waiting_on_a_lock_keeps_its_context,
);
