//! `futures_task::Spawn` for `Handle`: futures' `SpawnExt` spawns ctxrt tasks that inherit
//! the caller's context, and spawning after shutdown is `SpawnError::shutdown()`.

use futures::task::{Spawn, SpawnExt};

use ctxrt::runtime::Runtime;
use ctxrt::{Context, ContextVar};

static TENANT: ContextVar<&'static str> = ContextVar::new("tenant");

fn spawned_tasks_inherit_the_callers_context(rt: Runtime) {
    let handle = rt.handle().clone();
    let (inside, detached) = Context::new().run(|| {
        let _ = TENANT.set("acme");
        let joined = handle
            .spawn_with_handle(async {
                // The task's own sets stay inside it.
                let seen = TENANT.get();
                let _ = TENANT.set("changed inside");
                seen
            })
            .unwrap();
        let (tx, rx) = futures::channel::oneshot::channel();
        // `SpawnExt::spawn` (a detached task), not the inherent `Handle::spawn`.
        SpawnExt::spawn(&handle, async move {
            let _ = tx.send(TENANT.get());
        })
        .unwrap();
        assert_eq!(TENANT.get(), Some("acme"));
        rt.block_on(async { (joined.await, rx.await.unwrap()) })
    });
    assert_eq!(inside, Some("acme"));
    assert_eq!(detached, Some("acme"));
    // Outside the context the var is unbound, and a task spawned here sees that.
    let unbound = rt.block_on(handle.spawn_with_handle(async { TENANT.get() }).unwrap());
    assert_eq!(unbound, None);
}

fn spawning_after_shutdown_is_a_shutdown_error(rt: Runtime) {
    let handle = rt.handle().clone();
    assert!(handle.status().is_ok());
    drop(rt);
    assert!(handle.status().unwrap_err().is_shutdown());
    let err = SpawnExt::spawn(&handle, async {}).unwrap_err();
    assert!(err.is_shutdown());
}

ctxrt_tests::on_both_flavors!(
    spawned_tasks_inherit_the_callers_context,
    spawning_after_shutdown_is_a_shutdown_error,
);
