//! While a task blocks in `block_in_place`, the other tasks of its worker keep running:
//! its core (local queue included) is handed to another thread. With every worker
//! blocked in `block_in_place`, a task spawned afterwards still runs and unblocks them;
//! without the hand-off nothing could run it and the waits would time out.

use std::sync::mpsc;
use std::time::Duration;

use ctxrt::runtime::{Builder, Runtime};

/// Far beyond what the hand-off needs; only reached if tasks stop making progress.
const LIMIT: Duration = Duration::from_secs(20);

fn runtime(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("multi-thread runtime")
}

/// Every worker blocks in `block_in_place` until a task spawned after they blocked sends.
fn all_workers_block_and_a_later_task_unblocks_them(workers: usize) {
    let rt = runtime(workers);
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let mut releases = Vec::new();
    let mut blocked = Vec::new();
    for _ in 0..workers {
        let (release_tx, release_rx) = mpsc::channel::<u32>();
        releases.push(release_tx);
        let entered = entered_tx.clone();
        blocked.push(rt.spawn(async move {
            ctxrt::task::block_in_place(move || {
                entered.send(()).unwrap();
                release_rx.recv_timeout(LIMIT)
            })
        }));
    }
    // Each blocked task occupies a worker thread: wait until all of them are in.
    for _ in 0..workers {
        entered_rx
            .recv_timeout(LIMIT)
            .expect("a task entered block_in_place");
    }
    let releaser = rt.spawn(async move {
        for (n, release) in releases.into_iter().enumerate() {
            release.send(n as u32).unwrap();
        }
        "released"
    });
    rt.block_on(async move {
        assert_eq!(releaser.await.unwrap(), "released");
        let mut got = Vec::new();
        for task in blocked {
            got.push(task.await.unwrap().expect("released before the limit"));
        }
        got.sort_unstable();
        assert_eq!(got, (0..workers as u32).collect::<Vec<_>>());
    });
}

#[test]
fn one_worker_blocked_in_place_keeps_running_tasks() {
    all_workers_block_and_a_later_task_unblocks_them(1);
}

#[test]
fn two_workers_blocked_in_place_keep_running_tasks() {
    all_workers_block_and_a_later_task_unblocks_them(2);
}

/// A task spawned by the blocking task itself sits in that worker's own local queue when
/// the worker blocks: it is among what the handed-off core carries, and it runs.
#[test]
fn tasks_queued_on_the_blocking_worker_run_while_it_blocks() {
    let rt = runtime(1);
    let outcome = rt.block_on(async {
        ctxrt::spawn(async {
            let (tx, rx) = mpsc::channel::<&'static str>();
            // Queued on this worker's local queue (a spawn from a worker).
            let child = ctxrt::spawn(async move { tx.send("child ran").unwrap() });
            let got = ctxrt::task::block_in_place(|| rx.recv_timeout(LIMIT));
            child.await.unwrap();
            got
        })
        .await
        .unwrap()
    });
    assert_eq!(outcome, Ok("child ran"));
}

/// Repeated calls keep working (the core comes back, or moves on to another thread).
#[test]
fn many_calls_in_a_row_and_from_many_tasks() {
    let rt = runtime(2);
    let total = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..8u64 {
            tasks.push(ctxrt::spawn(async move {
                let mut sum = 0;
                for j in 0..10u64 {
                    sum += ctxrt::task::block_in_place(|| i * 10 + j);
                    ctxrt::task::yield_now().await;
                }
                sum
            }));
        }
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..80u64).sum::<u64>());
}
