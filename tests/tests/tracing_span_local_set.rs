//! With the `tracing` feature, a `LocalSet` task (`spawn_local`, which need not be `Send`)
//! inherits its spawner's span like any other task: every poll and its future's drop run
//! inside that span, a local task spawned outside any span runs in none, and nothing
//! stays entered on the thread between polls. On both flavours.

use std::cell::Cell;
use std::rc::Rc;

use ctxrt::runtime::Runtime;
use ctxrt::task::LocalSet;
use ctxrt_tests::EventScopes;
use tracing::{info, info_span};

ctxrt_tests::on_both_flavors!(flag: local_tasks_run_and_drop_inside_the_spawners_span);

/// Emits an event when dropped; `Rc` makes the future holding it `!Send`.
struct LoudDrop(Rc<Cell<bool>>);

impl Drop for LoudDrop {
    fn drop(&mut self) {
        self.0.set(true);
        info!("local future dropped");
    }
}

fn local_tasks_run_and_drop_inside_the_spawners_span(current_thread: bool) {
    let capture = EventScopes::default();
    let dispatch = capture.dispatch();
    let rt: Runtime = ctxrt_tests::runtime_logging_to(current_thread, dispatch.clone());
    let dropped = Rc::new(Cell::new(false));
    tracing::dispatcher::with_default(&dispatch, || {
        let local = LocalSet::new();
        local.block_on(&rt, async {
            let held = LoudDrop(dropped.clone());
            let (spanned, pending) = info_span!("request").in_scope(|| {
                let spanned = ctxrt::task::spawn_local(async move {
                    info!("in local task");
                    ctxrt::task::yield_now().await;
                    info!("in local task after a yield");
                });
                let pending = ctxrt::task::spawn_local(async move {
                    let _held = held;
                    std::future::pending::<()>().await;
                });
                (spanned, pending)
            });
            let plain = ctxrt::task::spawn_local(async { info!("in unspanned local task") });
            spanned.await.unwrap();
            plain.await.unwrap();
            ctxrt::task::yield_now().await;
            pending.abort();
            assert!(pending.await.unwrap_err().is_cancelled());
            info!("back in the LocalSet");
        });
    });
    assert!(
        dropped.get(),
        "the aborted local task's future was not dropped"
    );
    drop(rt);
    let request = vec!["request".to_string()];
    assert_eq!(capture.scope_of("in local task"), request);
    assert_eq!(capture.scope_of("in local task after a yield"), request);
    assert_eq!(capture.scope_of("local future dropped"), request);
    assert!(capture.scope_of("in unspanned local task").is_empty());
    assert!(capture.scope_of("back in the LocalSet").is_empty());
}
