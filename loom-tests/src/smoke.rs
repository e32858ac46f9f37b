//! The smoke test this crate runs without `--cfg loom`: the scenarios the models check,
//! each run once on real threads, so a plain `cargo test --workspace` exercises the same
//! paths (and catches a model scenario that no longer compiles or makes sense).

use ctxrt::runtime::Builder;
use ctxrt::{Context, ContextVar};
use ctxrt_context::ResetError;

static REQUEST: ContextVar<u32> = ContextVar::new("request");

#[test]
fn model_scenarios_once_on_real_threads() {
    // Context: sibling copies are isolated and a token is bound to its context object.
    let _parent = REQUEST.scoped(0);
    let snapshot = Context::current();
    let token = Context::current().run(|| REQUEST.set(1));
    let sibling = ctxrt_context::thread::spawn(move || {
        let own = REQUEST.set(2);
        let refused = REQUEST.reset(token);
        REQUEST.reset(own).unwrap();
        (refused.err(), REQUEST.get())
    });
    assert_eq!(
        sibling.join().unwrap(),
        (Some(ResetError::DifferentContext), Some(0))
    );
    assert_eq!(snapshot.get(&REQUEST), Some(0));

    // Scheduler: a task keeps its sets across a yield on any worker, a child sees the
    // value as of its spawn, and a blocking job sees the spawner's context.
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let seen = rt.block_on(async {
        let task = ctxrt::spawn(async {
            REQUEST.set(4);
            let child = ctxrt::spawn(async { REQUEST.get() });
            REQUEST.set(5);
            ctxrt::task::yield_now().await;
            (child.await.unwrap(), REQUEST.get())
        });
        let blocking = ctxrt::spawn_blocking(|| REQUEST.get());
        (task.await.unwrap(), blocking.await.unwrap())
    });
    assert_eq!(seen, ((Some(4), Some(5)), Some(0)));
    assert_eq!(REQUEST.get(), Some(0));
}
