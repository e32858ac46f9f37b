//! A panic inside `block_in_place`'s closure unwinds out of it into the task (its
//! JoinHandle reports the panic, or the task catches it), and the runtime keeps working:
//! every worker still runs tasks and later calls still hand their core over.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use ctxrt::task::block_in_place;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn the_panic_reaches_the_joinhandle_and_the_runtime_keeps_running() {
    let rt = ctxrt_tests::multi_thread();
    rt.block_on(async {
        for _ in 0..4 {
            let err = ctxrt::spawn(async {
                block_in_place(|| -> () {
                    std::thread::sleep(Duration::from_millis(5));
                    panic!("boom in place")
                })
            })
            .await
            .unwrap_err();
            assert!(err.is_panic());
            let payload = err.into_panic();
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in place"));
        }
        let mut tasks = Vec::new();
        for i in 0..32u32 {
            tasks.push(ctxrt::spawn(async move {
                ctxrt::task::yield_now().await;
                i
            }));
        }
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        assert_eq!(sum, (0..32).sum::<u32>());
    });
}

#[test]
fn a_caught_panic_leaves_the_task_running_with_its_worker() {
    let rt = ctxrt_tests::multi_thread();
    rt.block_on(async {
        ctxrt::spawn(async {
            let caught = catch_unwind(AssertUnwindSafe(|| block_in_place(|| panic!("caught"))));
            assert!(caught.is_err());
            // The task goes on: it spawns, awaits and blocks in place again.
            assert_eq!(ctxrt::spawn(async { 1 }).await.unwrap(), 1);
            let (tx, rx) = mpsc::channel();
            let sender = ctxrt::spawn(async move { tx.send(2).unwrap() });
            assert_eq!(block_in_place(|| rx.recv_timeout(LIMIT)), Ok(2));
            sender.await.unwrap();
        })
        .await
        .unwrap();
    });
}
