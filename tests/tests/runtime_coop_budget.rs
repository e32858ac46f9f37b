//! Fairness on one thread (a `current_thread` runtime, and a multi-thread one with a single
//! worker): a task that keeps awaiting already-finished `JoinHandle`s, or keeps taking
//! finished tasks from a `JoinSet`, never returns `Pending` by itself, yet the cooperative
//! budget makes it yield so another task gets to run; and two tasks that keep waking each
//! other (each wake lands in the worker's LIFO slot) starve neither a third queued task
//! nor a task that keeps calling `yield_now()`.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use ctxrt::runtime::{Builder, Runtime};
use ctxrt::task::{yield_now, JoinSet};
use ctxrt::JoinHandle;
use ctxrt_tests::wait_until;

/// More finished handles than any budget allows awaiting in one poll.
const HANDLES: usize = 10_000;

fn one_worker() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("multi-thread runtime")
}

fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("current-thread runtime")
}

macro_rules! on_one_thread {
    ($($name:ident),* $(,)?) => {
        mod one_worker {
            $( #[test] fn $name() { super::$name(super::one_worker()); } )*
        }
        mod current_thread {
            $( #[test] fn $name() { super::$name(super::current_thread()); } )*
        }
    };
}

on_one_thread!(
    awaiting_finished_handles_in_a_loop_lets_another_task_run,
    draining_a_join_set_of_finished_tasks_lets_another_task_run,
    two_tasks_waking_each_other_do_not_starve_a_third,
    a_yielding_task_keeps_running_while_two_tasks_wake_each_other,
);

/// Spawns `HANDLES` empty tasks and waits until all have finished.
async fn finished_handles() -> Vec<JoinHandle<()>> {
    let handles: Vec<_> = (0..HANDLES).map(|_| ctxrt::spawn(async {})).collect();
    wait_until("every task finished", || {
        handles.iter().all(|h| h.is_finished())
    })
    .await;
    handles
}

fn awaiting_finished_handles_in_a_loop_lets_another_task_run(rt: Runtime) {
    let (awaited, saw_flag) = rt.block_on(async {
        let handles = finished_handles().await;
        ctxrt::spawn(async move {
            let flag = Arc::new(AtomicBool::new(false));
            let setter_flag = flag.clone();
            // Queued behind this task on the same thread: it runs only if this one yields.
            drop(ctxrt::spawn(async move {
                setter_flag.store(true, Ordering::SeqCst)
            }));
            let mut awaited = 0;
            let mut handles = handles.into_iter();
            while !flag.load(Ordering::SeqCst) {
                let Some(handle) = handles.next() else { break };
                handle.await.expect("finished task");
                awaited += 1;
            }
            (awaited, flag.load(Ordering::SeqCst))
        })
        .await
        .expect("looping task completes")
    });
    assert!(
        saw_flag && awaited < HANDLES,
        "the looping task awaited {awaited} ready handles without letting the setter run"
    );
}

fn draining_a_join_set_of_finished_tasks_lets_another_task_run(rt: Runtime) {
    let (joined, saw_flag) = rt.block_on(async {
        let mut set = JoinSet::new();
        for handle in finished_handles().await {
            set.insert(handle);
        }
        ctxrt::spawn(async move {
            let flag = Arc::new(AtomicBool::new(false));
            let setter_flag = flag.clone();
            drop(ctxrt::spawn(async move {
                setter_flag.store(true, Ordering::SeqCst)
            }));
            let mut joined = 0;
            while !flag.load(Ordering::SeqCst) {
                let Some(result) = set.join_next().await else {
                    break;
                };
                result.expect("finished task");
                joined += 1;
            }
            (joined, flag.load(Ordering::SeqCst))
        })
        .await
        .expect("draining task completes")
    });
    assert!(
        saw_flag && joined < HANDLES,
        "the draining task joined {joined} finished tasks without letting the setter run"
    );
}

/// Two players pass a baton back and forth: each pass wakes the other player.
struct Baton {
    turn: AtomicUsize,
    wakers: Mutex<[Option<Waker>; 2]>,
    stop: AtomicBool,
    deadline: Instant,
}

impl Baton {
    fn wake(&self, player: usize) {
        let waker = self.wakers.lock().expect("lock")[player].take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Passes the baton until `stop`; returns the number of passes, or `None` on timeout.
async fn player(me: usize, baton: Arc<Baton>) -> Option<u64> {
    let other = 1 - me;
    let mut passes = 0;
    poll_fn(|cx| {
        if baton.stop.load(Ordering::SeqCst) {
            baton.wake(other);
            return Poll::Ready(Some(passes));
        }
        if Instant::now() > baton.deadline {
            baton.stop.store(true, Ordering::SeqCst);
            baton.wake(other);
            return Poll::Ready(None);
        }
        baton.wakers.lock().expect("lock")[me] = Some(cx.waker().clone());
        if baton.turn.load(Ordering::SeqCst) == me {
            baton.turn.store(other, Ordering::SeqCst);
            passes += 1;
            baton.wake(other);
        }
        Poll::Pending
    })
    .await
}

fn new_baton() -> Arc<Baton> {
    Arc::new(Baton {
        turn: AtomicUsize::new(0),
        wakers: Mutex::new([None, None]),
        stop: AtomicBool::new(false),
        deadline: Instant::now() + Duration::from_secs(10),
    })
}

fn two_tasks_waking_each_other_do_not_starve_a_third(rt: Runtime) {
    let (a, b, third_ran) = rt.block_on(async {
        ctxrt::spawn(async {
            let baton = new_baton();
            // All three queued in order on this thread; once the players pass the baton,
            // every wake puts the other player in the LIFO slot, ahead of the third.
            let a = ctxrt::spawn(player(0, baton.clone()));
            let b = ctxrt::spawn(player(1, baton.clone()));
            let stopper = baton.clone();
            let third = ctxrt::spawn(async move {
                let ran_before_deadline = Instant::now() <= stopper.deadline;
                stopper.stop.store(true, Ordering::SeqCst);
                ran_before_deadline
            });
            let a = a.await.expect("player a");
            let b = b.await.expect("player b");
            (a, b, third.await.expect("third task"))
        })
        .await
        .expect("driver task")
    });
    assert!(
        third_ran,
        "the third task only ran after the players gave up"
    );
    assert!(
        a.is_some() && b.is_some(),
        "the players timed out: {a:?} {b:?}"
    );
}

fn a_yielding_task_keeps_running_while_two_tasks_wake_each_other(rt: Runtime) {
    const YIELDS: u32 = 20;
    let (a, b, yielded) = rt.block_on(async {
        ctxrt::spawn(async {
            let baton = new_baton();
            let a = ctxrt::spawn(player(0, baton.clone()));
            let b = ctxrt::spawn(player(1, baton.clone()));
            let stopper = baton.clone();
            let yielder = ctxrt::spawn(async move {
                let mut yielded = 0;
                while yielded < YIELDS && Instant::now() <= stopper.deadline {
                    yield_now().await;
                    yielded += 1;
                }
                stopper.stop.store(true, Ordering::SeqCst);
                yielded
            });
            let a = a.await.expect("player a");
            let b = b.await.expect("player b");
            (a, b, yielder.await.expect("yielding task"))
        })
        .await
        .expect("driver task")
    });
    assert_eq!(yielded, YIELDS, "the yielding task was starved");
    assert!(
        a.is_some() && b.is_some(),
        "the players timed out: {a:?} {b:?}"
    );
}
