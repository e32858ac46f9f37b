//! Local tasks have the whole task API: JoinHandle (output, `is_finished`, `abort`, from
//! this thread and through an AbortHandle on another thread), panics reported as
//! `JoinError`s, `JoinSet::{spawn_local, spawn_local_on}` and `task::Builder::spawn_local`.

use std::rc::Rc;
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::task::{spawn_local, Builder, JoinSet, LocalSet};
use ctxrt_tests::within;

const LIMIT: Duration = Duration::from_secs(20);

ctxrt_tests::on_both_flavors!(
    abort_cancels_a_pending_local_task,
    abort_from_another_thread,
    a_panic_becomes_a_join_error,
    join_set_spawn_local_and_spawn_local_on,
    builder_names_local_tasks,
);

fn abort_cancels_a_pending_local_task(rt: Runtime) {
    LocalSet::new().block_on(&rt, async {
        let task = spawn_local(async {
            let _rc = Rc::new(());
            std::future::pending::<()>().await
        });
        ctxrt::task::yield_now().await;
        assert!(!task.is_finished());
        task.abort();
        let err = within(LIMIT, "the aborted task", task).await.unwrap_err();
        assert!(err.is_cancelled());
    });
}

fn abort_from_another_thread(rt: Runtime) {
    LocalSet::new().block_on(&rt, async {
        let task = spawn_local(std::future::pending::<()>());
        let abort = task.abort_handle();
        std::thread::spawn(move || abort.abort()).join().unwrap();
        let err = within(LIMIT, "the aborted task", task).await.unwrap_err();
        assert!(err.is_cancelled());
    });
}

fn a_panic_becomes_a_join_error(rt: Runtime) {
    LocalSet::new().block_on(&rt, async {
        let task = spawn_local(async {
            let _rc = Rc::new(());
            panic!("local boom")
        });
        let err: ctxrt::task::JoinError = task.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"local boom"));
        // The set goes on.
        assert_eq!(spawn_local(async { 1 }).await.unwrap(), 1);
    });
}

fn join_set_spawn_local_and_spawn_local_on(rt: Runtime) {
    let local = LocalSet::new();
    let mut set = JoinSet::new();
    set.spawn_local_on(async { Rc::new(1) }, &local);
    let total = local.block_on(&rt, async move {
        set.spawn_local(async { Rc::new(2) });
        let pending = set.spawn_local(async {
            std::future::pending::<()>().await;
            Rc::new(100)
        });
        pending.abort();
        let mut total = 0;
        let mut cancelled = 0;
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(n) => total += *n,
                Err(err) if err.is_cancelled() => cancelled += 1,
                Err(err) => panic!("{err}"),
            }
        }
        (total, cancelled)
    });
    assert_eq!(total, (3, 1));
}

fn builder_names_local_tasks(rt: Runtime) {
    let local = LocalSet::new();
    let on_set = Builder::new()
        .name("on-set")
        .spawn_local_on(async { Rc::new("a") }, &local)
        .unwrap();
    assert_eq!(on_set.name(), Some("on-set"));
    let out = local.block_on(&rt, async move {
        let inside = Builder::new()
            .name("inside")
            .spawn_local(async { Rc::new("b") })
            .unwrap();
        assert_eq!(inside.name(), Some("inside"));
        (*on_set.await.unwrap(), *inside.await.unwrap())
    });
    assert_eq!(out, ("a", "b"));
}
