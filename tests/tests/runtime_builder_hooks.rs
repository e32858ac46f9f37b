//! `Builder::{on_thread_park, on_thread_unpark, on_task_spawn, on_task_terminate}`: the
//! park hooks run around every park of a worker (or a `current_thread` `block_on`
//! thread), in pairs; the task hooks run once per task and blocking job, with its id,
//! the spawn hook before the task can run and the terminate hook once it has finished,
//! aborted tasks included. On both flavours.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::task::Id;
use ctxrt_tests::{builder, on_both_flavors};

on_both_flavors!(flag: park_hooks_run_in_pairs, task_hooks_see_every_task_once);

fn park_hooks_run_in_pairs(current_thread: bool) {
    let parks = Arc::new(AtomicUsize::new(0));
    let unparks = Arc::new(AtomicUsize::new(0));
    let (p, u) = (parks.clone(), unparks.clone());
    let rt = builder(current_thread)
        .on_thread_park(move || {
            p.fetch_add(1, Ordering::SeqCst);
        })
        .on_thread_unpark(move || {
            u.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    // A blocking job that takes a while: the workers (or the block_on thread) park.
    let job = rt.spawn_blocking(|| std::thread::sleep(Duration::from_millis(50)));
    rt.block_on(job).unwrap();
    drop(rt);
    let (parks, unparks) = (parks.load(Ordering::SeqCst), unparks.load(Ordering::SeqCst));
    assert!(parks >= 1, "never parked");
    assert_eq!(parks, unparks, "every park is followed by an unpark");
}

fn task_hooks_see_every_task_once(current_thread: bool) {
    let spawned: Arc<Mutex<Vec<Id>>> = Arc::default();
    let terminated: Arc<Mutex<Vec<Id>>> = Arc::default();
    let (s, t) = (spawned.clone(), terminated.clone());
    let rt: Runtime = builder(current_thread)
        .on_task_spawn(move |meta| s.lock().unwrap().push(meta.id()))
        .on_task_terminate(move |meta| t.lock().unwrap().push(meta.id()))
        .build()
        .unwrap();
    let mut ids = rt.block_on(async {
        let a = ctxrt::spawn(async { ctxrt::task::id() });
        let b = ctxrt::spawn_blocking(|| 2);
        let c = ctxrt::spawn(std::future::pending::<()>());
        let ids = vec![a.id(), b.id(), c.id()];
        assert_eq!(a.await.unwrap(), ids[0]);
        b.await.unwrap();
        c.abort();
        assert!(c.await.unwrap_err().is_cancelled());
        ids
    });
    drop(rt);
    ids.sort();
    let mut spawned = spawned.lock().unwrap().clone();
    let mut terminated = terminated.lock().unwrap().clone();
    spawned.sort();
    terminated.sort();
    assert_eq!(spawned, ids);
    assert_eq!(terminated, ids);
}
