//! `block_in_place(f)` keeps the task's context: `f` sees the task's bindings, its sets
//! stay in the task (seen after it returns, across later awaits, inherited by children)
//! and reach neither the spawner nor sibling tasks nor the thread afterwards.

use std::time::Duration;

use ctxrt::task::block_in_place;
use ctxrt::ContextVar;

static USER: ContextVar<&'static str> = ContextVar::new("user");
static STEP: ContextVar<u32> = ContextVar::new("step");

#[test]
fn the_closure_sees_and_sets_the_tasks_context() {
    let rt = ctxrt_tests::multi_thread();
    rt.block_on(async {
        USER.set("parent");
        let task = ctxrt::spawn(async {
            USER.set("task");
            let seen = block_in_place(|| {
                // Blocks for real, long enough for the core to move to a pool thread.
                std::thread::sleep(Duration::from_millis(20));
                let seen = USER.get();
                STEP.set(1);
                USER.set("set in place");
                seen
            });
            // Later in the same poll, and after awaits (possibly on another thread).
            let same_poll = (USER.get(), STEP.get());
            ctxrt::task::yield_now().await;
            ctxrt::time::sleep(Duration::from_millis(1)).await;
            let after_awaits = (USER.get(), STEP.get());
            let child = ctxrt::spawn(async { (USER.get(), STEP.get()) })
                .await
                .unwrap();
            (seen, same_poll, after_awaits, child)
        });
        let sibling = ctxrt::spawn(async {
            ctxrt::time::sleep(Duration::from_millis(40)).await;
            (USER.get(), STEP.get())
        });
        let (seen, same_poll, after_awaits, child) = task.await.unwrap();
        assert_eq!(seen, Some("task"));
        assert_eq!(same_poll, (Some("set in place"), Some(1)));
        assert_eq!(after_awaits, (Some("set in place"), Some(1)));
        assert_eq!(child, (Some("set in place"), Some(1)));
        assert_eq!(sibling.await.unwrap(), (Some("parent"), None));
        assert_eq!((USER.get(), STEP.get()), (Some("parent"), None));
    });
}

#[test]
fn nothing_stays_on_the_worker_threads_after_the_task() {
    let rt = ctxrt_tests::multi_thread();
    rt.block_on(async {
        ctxrt::spawn(async {
            block_in_place(|| {
                std::thread::sleep(Duration::from_millis(20));
                STEP.set(7);
            });
            assert_eq!(STEP.get(), Some(7));
        })
        .await
        .unwrap();
        // Later tasks, wherever they run (the thread that blocked, the pool thread that
        // took its core over, the other worker), start from their spawner's context.
        let mut later = Vec::new();
        for _ in 0..16 {
            later.push(ctxrt::spawn(async {
                ctxrt::task::yield_now().await;
                STEP.get()
            }));
        }
        for task in later {
            assert_eq!(task.await.unwrap(), None);
        }
    });
}
