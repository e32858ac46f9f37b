//! Model 9, the run queues lose and duplicate no task: two workers (the real `Core`s,
//! driven a turn at a time through `ctxrt::loom_internals`, one loom thread each) take
//! tasks from every queue the scheduler has, while the tasks are pushed, popped and stolen
//! concurrently.
//!
//! - `injector_batches_and_steals`: three tasks spawned from outside go to the injector; a
//!   worker takes one plus a batch of the rest into its local queue, and the other worker
//!   takes from the injector or steals half of that local queue.
//! - `spawned_children_and_join_wakes`: a task spawns two children onto its worker's local
//!   queue and awaits them; the other worker may steal them, and each child's completion
//!   wakes the parent into the LIFO slot of the worker that ran the child.
//! - `lifo_slot_overflows_into_the_local_queue`: two waiting tasks are woken by one poll
//!   of a third; the first wake fills that worker's LIFO slot and the second pushes the
//!   first out into the local queue, where the other worker may steal it.
//!
//! Proves, in every interleaving: every task is polled until it completes and never after
//! (each child exactly once), every JoinHandle resolves (a lost queue entry leaves its
//! task unfinished once no worker finds more work), and every task cell is freed once (a
//! duplicated entry would poll a finished task or unbalance its reference count, and a
//! leaked cell leaks a loom `Arc`). The local queue itself is unbounded, so there is no
//! overflow from it to the injector; the LIFO slot's overflow into the local queue and the
//! injector's batch moves into a local queue are the spills there are, and both run here.
//! Under loom the queues are the `Mutex<VecDeque>` stand-ins from `runtime/src/sync`; what
//! is checked is the scheduler's use of them, not crossbeam-deque's internals.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::task::{Context as TaskContext, Poll, Waker};

use ctxrt::loom_internals::ModelScheduler;
use ctxrt::Context;
use ctxrt_loom_tests::{check_deep, current_turn, drive, Outcomes, TurnOf};
use loom::sync::{Arc, Mutex};

/// A future that counts its polls, completes on the first, and returns the worker turn
/// it ran in.
fn counted(polls: &StdArc<AtomicUsize>) -> impl std::future::Future<Output = TurnOf> + Send {
    let polls = polls.clone();
    async move {
        let before = polls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(before, 0, "a task was polled again after it completed");
        current_turn().expect("tasks run in worker turns")
    }
}

/// Labels where a set of tasks ran: on one worker's thread, on both, or partly left for
/// the drain after the concurrent phase.
fn spread(turns: &[TurnOf]) -> &'static str {
    if turns.iter().any(|turn| !turn.own_thread) {
        "some left for the drain"
    } else if turns.iter().all(|turn| turn.worker == turns[0].worker) {
        "all on one worker"
    } else {
        "spread over both workers"
    }
}

#[test]
fn injector_batches_and_steals() {
    let outcomes = Outcomes::new();
    let seen = outcomes.clone();
    check_deep(
        "scheduler_run_queue::injector_batches_and_steals",
        3,
        move || {
            let (scheduler, workers) = ModelScheduler::new(2, 1);
            let polls: Vec<_> = (0..3).map(|_| StdArc::new(AtomicUsize::new(0))).collect();
            let handles: Vec<_> = polls
                .iter()
                .map(|polls| scheduler.spawn(Context::new(), counted(polls)))
                .collect();
            let workers = drive(workers, 2);
            let mut turns = Vec::new();
            for (handle, polls) in handles.into_iter().zip(&polls) {
                assert!(handle.is_finished(), "a queued task was lost");
                turns.push(scheduler.handle().block_on(handle).unwrap());
                assert_eq!(polls.load(Ordering::SeqCst), 1);
            }
            seen.hit(spread(&turns));
            assert_eq!(scheduler.alive_tasks(), 0);
            scheduler.shutdown();
            drop(workers);
        },
    );
    outcomes.assert_seen(
        "scheduler_run_queue::injector_batches_and_steals",
        &["spread over both workers"],
    );
}

#[test]
fn spawned_children_and_join_wakes() {
    let outcomes = Outcomes::new();
    let seen = outcomes.clone();
    check_deep(
        "scheduler_run_queue::spawned_children_and_join_wakes",
        3,
        move || {
            let (scheduler, workers) = ModelScheduler::new(2, 1);
            let children: Vec<_> = (0..2).map(|_| StdArc::new(AtomicUsize::new(0))).collect();
            let spawned = children.clone();
            let parent = scheduler.spawn(Context::new(), async move {
                let handles: Vec<_> = spawned
                    .iter()
                    .map(|polls| ctxrt::spawn(counted(polls)))
                    .collect();
                let mut turns = vec![current_turn().expect("tasks run in worker turns")];
                for handle in handles {
                    turns.push(handle.await.expect("a child completes"));
                }
                turns.push(current_turn().expect("tasks run in worker turns"));
                turns
            });
            let workers = drive(workers, 3);
            assert!(parent.is_finished(), "a queued task was lost");
            let turns = scheduler.handle().block_on(parent).unwrap();
            seen.hit(spread(&turns));
            for polls in &children {
                assert_eq!(polls.load(Ordering::SeqCst), 1);
            }
            assert_eq!(scheduler.alive_tasks(), 0);
            scheduler.shutdown();
            drop(workers);
        },
    );
    outcomes.assert_seen(
        "scheduler_run_queue::spawned_children_and_join_wakes",
        &["spread over both workers"],
    );
}

/// What the waiters and the waking task share.
#[derive(Default)]
struct Signal {
    raised: bool,
    waiters: [Option<Waker>; 2],
}

/// Completes once the signal is raised, publishing its waker until then.
struct Waiter {
    me: usize,
    signal: Arc<Mutex<Signal>>,
    polls: u32,
}

impl Future for Waiter {
    type Output = TurnOf;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<TurnOf> {
        self.polls += 1;
        assert!(self.polls <= 2, "a waiter was polled without a wake");
        let mut signal = self.signal.lock().unwrap();
        if signal.raised {
            return Poll::Ready(current_turn().expect("tasks run in worker turns"));
        }
        signal.waiters[self.me] = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn lifo_slot_overflows_into_the_local_queue() {
    let outcomes = Outcomes::new();
    let seen = outcomes.clone();
    check_deep("scheduler_run_queue::lifo_slot_overflow", 3, move || {
        let (scheduler, workers) = ModelScheduler::new(2, 1);
        let signal = Arc::new(Mutex::new(Signal::default()));
        let waiters: Vec<_> = (0..2)
            .map(|me| {
                let signal = signal.clone();
                scheduler.spawn(
                    Context::new(),
                    Waiter {
                        me,
                        signal,
                        polls: 0,
                    },
                )
            })
            .collect();
        let raiser = scheduler.spawn(Context::new(), async move {
            let woken: Vec<Waker> = {
                let mut signal = signal.lock().unwrap();
                signal.raised = true;
                signal.waiters.iter_mut().filter_map(Option::take).collect()
            };
            let count = woken.len();
            // The first wake fills this worker's LIFO slot; the second moves that task
            // to the local queue, where the other worker may steal it.
            for waker in woken {
                waker.wake();
            }
            count
        });
        let workers = drive(workers, 3);
        let mut turns = Vec::new();
        for waiter in waiters {
            assert!(waiter.is_finished(), "a queued task was lost");
            turns.push(scheduler.handle().block_on(waiter).unwrap());
        }
        match scheduler.handle().block_on(raiser).unwrap() {
            2 => seen.hit("one poll woke both waiters"),
            _ => seen.hit("fewer waiters to wake"),
        }
        seen.hit(spread(&turns));
        assert_eq!(scheduler.alive_tasks(), 0);
        scheduler.shutdown();
        drop(workers);
    });
    outcomes.assert_seen(
        "scheduler_run_queue::lifo_slot_overflow",
        &["one poll woke both waiters", "spread over both workers"],
    );
}
