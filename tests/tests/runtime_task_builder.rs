//! `ctxrt::task::Builder`: named tasks through `.name(..).spawn(..)`, `spawn_on`,
//! `spawn_blocking` and `spawn_blocking_on`; the name shows in `JoinHandle::name` and in
//! the `Debug` of the JoinHandle and its AbortHandle; a built task inherits the spawner's
//! context like any other. On both flavours.

use ctxrt::runtime::Runtime;
use ctxrt::task::Builder;
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    a_named_task_shows_its_name,
    spawn_on_and_blocking_variants_name_their_tasks,
    a_built_task_inherits_the_context,
);

static USER: ContextVar<&'static str> = ContextVar::new("user");

fn a_named_task_shows_its_name(rt: Runtime) {
    rt.block_on(async {
        let handle = Builder::new().name("flusher").spawn(async { 1 }).unwrap();
        assert_eq!(handle.name(), Some("flusher"));
        assert!(format!("{handle:?}").contains("\"flusher\""), "{handle:?}");
        let abort = handle.abort_handle();
        assert!(format!("{abort:?}").contains("\"flusher\""), "{abort:?}");
        assert_eq!(handle.await.unwrap(), 1);
        let unnamed = Builder::new().spawn(async { 2 }).unwrap();
        assert_eq!(unnamed.name(), None);
        assert_eq!(ctxrt::spawn(async {}).name(), None);
        assert_eq!(unnamed.await.unwrap(), 2);
    });
}

fn spawn_on_and_blocking_variants_name_their_tasks(rt: Runtime) {
    let on = Builder::new()
        .name("on")
        .spawn_on(async { ctxrt::task::id() }, rt.handle())
        .unwrap();
    assert_eq!(on.name(), Some("on"));
    let id = on.id();
    assert_eq!(rt.block_on(on).unwrap(), id);

    let blocking_on = Builder::new()
        .name("blocking-on")
        .spawn_blocking_on(|| 5, rt.handle())
        .unwrap();
    assert_eq!(blocking_on.name(), Some("blocking-on"));
    assert_eq!(rt.block_on(blocking_on).unwrap(), 5);

    let out = rt.block_on(async {
        let job = Builder::new()
            .name("blocking")
            .spawn_blocking(|| "ran")
            .unwrap();
        assert_eq!(job.name(), Some("blocking"));
        job.await.unwrap()
    });
    assert_eq!(out, "ran");
}

fn a_built_task_inherits_the_context(rt: Runtime) {
    rt.block_on(async {
        let _ = USER.set("ada");
        let seen = Builder::new()
            .name("reader")
            .spawn(async { USER.get() })
            .unwrap()
            .await
            .unwrap();
        assert_eq!(seen, Some("ada"));
        let seen = Builder::new()
            .spawn_blocking(|| USER.get())
            .unwrap()
            .await
            .unwrap();
        assert_eq!(seen, Some("ada"));
    });
}
