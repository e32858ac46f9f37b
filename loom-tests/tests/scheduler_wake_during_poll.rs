//! Model 5, a wake that arrives while the task is being polled: a whole 2-worker runtime
//! (`runtime::Builder`, worker threads, parking and all) runs one task whose first poll
//! publishes its waker, yields the loom thread (so the main thread's `wake` can land while
//! the poll is still running), sets a var, and returns `Pending`.
//!
//! Proves, in every interleaving: the task is polled again exactly once, and that second
//! poll sees the value the first poll set *after* publishing its waker, i.e. the context
//! the first poll wrote back. So the task is never re-queued (and stolen by the other
//! worker) before its context is stored: that would show as a second poll seeing the
//! earlier value, or as loom's report of two threads in the task's `UnsafeCell`s. The
//! second poll returns `Pending` without a waker, so a duplicate queue entry would poll it
//! a third time before shutdown; the future panics if it is. No wake is lost either: the
//! main thread waits for the second poll, and a lost wake leaves every thread asleep,
//! which loom reports as a deadlock.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use ctxrt::runtime::Builder;
use ctxrt::ContextVar;
use ctxrt_loom_tests::{check, DropCounter, Outcomes, Tracked};
use loom::sync::{Arc, Mutex};
use loom::thread;

static STEP: ContextVar<u32> = ContextVar::new("step");

/// What the task and the main thread share.
#[derive(Default)]
struct Mailbox {
    /// The first poll's waker, for the main thread to wake.
    waker: Option<Waker>,
    /// Set by the main thread once its `wake` returned.
    woken: bool,
    /// Set by the second poll.
    polled_again: bool,
}

struct WakeDuringPoll {
    polls: u32,
    /// Records whether the wake landed during the first poll.
    outcomes: Outcomes,
    mailbox: Arc<Mutex<Mailbox>>,
    _drop: Tracked,
}

impl Future for WakeDuringPoll {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        self.polls += 1;
        match self.polls {
            1 => {
                STEP.set(1);
                self.mailbox.lock().unwrap().waker = Some(cx.waker().clone());
                thread::yield_now();
                if self.mailbox.lock().unwrap().woken {
                    self.outcomes.hit("woken during the first poll");
                } else {
                    self.outcomes.hit("not yet woken when the first poll ends");
                }
                STEP.set(2);
                Poll::Pending
            }
            2 => {
                assert_eq!(
                    STEP.get(),
                    Some(2),
                    "the second poll did not see the context the first poll wrote back"
                );
                self.mailbox.lock().unwrap().polled_again = true;
                Poll::Pending
            }
            n => panic!("polled {n} times: one wake must cause exactly one more poll"),
        }
    }
}

#[test]
fn a_wake_during_the_poll_causes_exactly_one_more_poll_in_the_stored_context() {
    let outcomes = Outcomes::new();
    let seen = outcomes.clone();
    check("scheduler_wake_during_poll::one_more_poll", move || {
        let futures = DropCounter::new();
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let mailbox = Arc::new(Mutex::new(Mailbox::default()));
        let task = rt.spawn(WakeDuringPoll {
            polls: 0,
            outcomes: seen.clone(),
            mailbox: mailbox.clone(),
            _drop: futures.track(),
        });
        let waker = loop {
            if let Some(waker) = mailbox.lock().unwrap().waker.take() {
                break waker;
            }
            thread::yield_now();
        };
        waker.wake();
        mailbox.lock().unwrap().woken = true;
        while !mailbox.lock().unwrap().polled_again {
            thread::yield_now();
        }
        drop(rt);
        assert!(task.is_finished(), "shutdown cancels the idle task");
        drop(task);
        futures.assert_all_dropped_once("the task's future", 1);
    });
    outcomes.assert_seen(
        "scheduler_wake_during_poll::one_more_poll",
        &[
            "woken during the first poll",
            "not yet woken when the first poll ends",
        ],
    );
}
