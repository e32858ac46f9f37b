//! `block_in_place` where no core is there to hand over just runs its closure: outside a
//! runtime, nested in another `block_in_place`, in a multi-thread runtime's `block_on`,
//! in a blocking job. Inside its closure the thread may `block_on` a runtime.

use ctxrt::task::block_in_place;
use ctxrt::ContextVar;

static USER: ContextVar<&'static str> = ContextVar::new("user");

#[test]
fn outside_a_runtime_it_calls_the_closure() {
    USER.set("main");
    assert_eq!(block_in_place(|| USER.get()), Some("main"));
    assert_eq!(block_in_place(|| 5), 5);
}

#[test]
fn nested_calls_run_inside_each_other() {
    let rt = ctxrt_tests::multi_thread();
    let got = rt.block_on(async {
        ctxrt::spawn(async {
            USER.set("task");
            block_in_place(|| block_in_place(|| block_in_place(|| USER.get())))
        })
        .await
        .unwrap()
    });
    assert_eq!(got, Some("task"));
}

#[test]
fn in_a_multi_thread_block_on_it_runs_the_closure() {
    let rt = ctxrt_tests::multi_thread();
    let got = rt.block_on(async {
        USER.set("block_on");
        let spawned = ctxrt::spawn(async { 2 });
        let inside = block_in_place(|| USER.get());
        (inside, spawned.await.unwrap())
    });
    assert_eq!(got, (Some("block_on"), 2));
}

#[test]
fn in_a_blocking_job_it_runs_the_closure() {
    for rt in [ctxrt_tests::multi_thread(), ctxrt_tests::current_thread()] {
        let got = rt.block_on(async {
            USER.set("job");
            ctxrt::spawn_blocking(|| block_in_place(|| USER.get()))
                .await
                .unwrap()
        });
        assert_eq!(got, Some("job"));
    }
}

#[test]
fn the_closure_may_block_on_a_runtime() {
    let rt = ctxrt_tests::multi_thread();
    let other = ctxrt_tests::current_thread();
    let other_handle = other.handle().clone();
    let got = rt.block_on(async move {
        ctxrt::spawn(async move {
            USER.set("task");
            block_in_place(|| {
                // The same runtime: its tasks run meanwhile on the handed-off core.
                let same = ctxrt::runtime::Handle::current()
                    .block_on(async { ctxrt::spawn(async { USER.get() }).await.unwrap() });
                let other = other_handle.block_on(async { USER.get() });
                (same, other)
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(got, (Some("task"), Some("task")));
    drop(other);
}
