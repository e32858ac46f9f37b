//! `JoinSet::shutdown` aborts every task and waits until they have all finished (their
//! futures dropped) and the set is empty; `JoinSet::spawn` (and `spawn_on`,
//! `spawn_blocking`, `spawn_blocking_on`) return an `AbortHandle` that aborts just that
//! task. On both flavours.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::JoinSet;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    shutdown_aborts_and_waits_for_every_task,
    a_spawns_abort_handle_aborts_only_that_task,
);

struct CountOnDrop(Arc<AtomicUsize>);

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn shutdown_aborts_and_waits_for_every_task(rt: Runtime) {
    let dropped = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..20 {
            let guard = CountOnDrop(dropped.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        set.spawn_blocking(|| ());
        set.shutdown().await;
        assert!(set.is_empty());
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            20,
            "shutdown returned early"
        );
        // The set is usable again.
        set.spawn(async {});
        assert!(set.join_next().await.unwrap().is_ok());
    });
}

fn a_spawns_abort_handle_aborts_only_that_task(rt: Runtime) {
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        let (release, released) = oneshot::channel::<()>();
        let doomed = set.spawn(async {
            std::future::pending::<()>().await;
            0
        });
        let kept = set.spawn_on(
            async move {
                released.await.unwrap();
                1
            },
            &handle,
        );
        let blocking = set.spawn_blocking(|| 2);
        let blocking_on = set.spawn_blocking_on(|| 3, &handle);
        assert_ne!(blocking.id(), blocking_on.id());
        doomed.abort();
        let mut cancelled = Vec::new();
        let mut outputs = Vec::new();
        for _ in 0..3 {
            match set.join_next().await.unwrap() {
                Ok(output) => outputs.push(output),
                Err(err) => {
                    assert!(err.is_cancelled());
                    cancelled.push(err.id());
                }
            }
        }
        assert_eq!(cancelled, [doomed.id()]);
        outputs.sort_unstable();
        assert_eq!(outputs, [2, 3]);
        assert!(!kept.is_finished());
        release.send(()).unwrap();
        assert_eq!(set.join_next().await.unwrap().unwrap(), 1);
        assert!(kept.is_finished());
    });
}
