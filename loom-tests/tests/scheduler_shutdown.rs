//! Model 10, shutdown while tasks wake each other: on a whole 2-worker runtime, two tasks
//! ping-pong (each poll wakes the other through a waker it published, a few times over,
//! then completes), each holding a drop-counted value, while the main thread drops the
//! runtime.
//!
//! Proves, in every interleaving: every task's future is dropped exactly once, by its
//! completion or by shutdown's cancellation, whichever comes first, even as a wake from
//! the other task re-queues it during shutdown; both JoinHandles resolve (finished or
//! cancelled); no worker hangs (the runtime's drop joins both workers, and a worker asleep
//! forever would leave loom with every thread blocked: a deadlock it reports); and no task
//! cell outlives the runtime (loom reports the leaked `Arc`).
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use ctxrt::runtime::Builder;
use ctxrt_loom_tests::{check, DropCounter, Tracked};
use loom::sync::{Arc, Mutex};

/// Each task's published waker, by task index.
type Wakers = Arc<Mutex<[Option<Waker>; 2]>>;

/// Wakes the other task on each poll; completes after `rounds` polls.
struct PingPong {
    me: usize,
    rounds: u32,
    wakers: Wakers,
    _drop: Tracked,
}

impl Future for PingPong {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let other = {
            let mut wakers = self.wakers.lock().unwrap();
            wakers[self.me] = Some(cx.waker().clone());
            wakers[1 - self.me].take()
        };
        if let Some(other) = other {
            other.wake();
        }
        if self.rounds == 0 {
            return Poll::Ready(());
        }
        self.rounds -= 1;
        Poll::Pending
    }
}

#[test]
fn shutdown_while_tasks_wake_each_other() {
    check("scheduler_shutdown::tasks_waking_each_other", || {
        let futures = DropCounter::new();
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let wakers: Wakers = Arc::new(Mutex::new([None, None]));
        let handles: Vec<_> = (0..2)
            .map(|me| {
                rt.spawn(PingPong {
                    me,
                    rounds: 1,
                    wakers: wakers.clone(),
                    _drop: futures.track(),
                })
            })
            .collect();
        drop(rt);
        for handle in &handles {
            assert!(handle.is_finished(), "shutdown left a task unfinished");
        }
        drop(handles);
        futures.assert_all_dropped_once("a task's future", 2);
        // The published wakers were the last references to the tasks.
        drop(wakers);
    });
}
