//! A local task owns a context snapshot taken at its spawn, like every ctxrt task: it
//! inherits the spawner's bindings as of the spawn, and its sets stay inside it (not in
//! the spawner, its siblings or tasks spawned before the set).

use std::rc::Rc;

use ctxrt::runtime::Runtime;
use ctxrt::task::{spawn_local, LocalSet};
use ctxrt::ContextVar;

static USER: ContextVar<&'static str> = ContextVar::new("user");
static STEP: ContextVar<u32> = ContextVar::new("step");

ctxrt_tests::on_both_flavors!(
    inherits_at_spawn_and_sets_stay_inside,
    siblings_do_not_see_each_others_sets,
    spawned_on_the_set_before_running_snapshots_the_caller,
);

fn inherits_at_spawn_and_sets_stay_inside(rt: Runtime) {
    LocalSet::new().block_on(&rt, async {
        USER.set("parent");
        let task = spawn_local(async {
            let inherited = USER.get();
            USER.set("child");
            STEP.set(1);
            ctxrt::task::yield_now().await;
            let kept = (USER.get(), STEP.get());
            let grandchild = spawn_local(async { (USER.get(), STEP.get()) });
            (inherited, kept, grandchild.await.unwrap(), Rc::new(()))
        });
        // A later set in the spawner is not seen by the already spawned task.
        USER.set("parent, later");
        let (inherited, kept, grandchild, _rc) = task.await.unwrap();
        assert_eq!(inherited, Some("parent"));
        assert_eq!(kept, (Some("child"), Some(1)));
        assert_eq!(grandchild, (Some("child"), Some(1)));
        assert_eq!((USER.get(), STEP.get()), (Some("parent, later"), None));
    });
}

fn siblings_do_not_see_each_others_sets(rt: Runtime) {
    LocalSet::new().block_on(&rt, async {
        let mut tasks = Vec::new();
        for n in 0..4u32 {
            tasks.push(spawn_local(async move {
                STEP.set(n);
                for _ in 0..3 {
                    ctxrt::task::yield_now().await;
                    assert_eq!(STEP.get(), Some(n));
                }
                STEP.get()
            }));
        }
        for (n, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), Some(n as u32));
        }
        assert_eq!(STEP.get(), None);
    });
}

fn spawned_on_the_set_before_running_snapshots_the_caller(rt: Runtime) {
    let local = LocalSet::new();
    USER.set("outside");
    let task = local.spawn_local(async {
        let seen = USER.get();
        USER.set("inside");
        seen
    });
    USER.set("changed after spawn");
    let seen = local.block_on(&rt, task).unwrap();
    assert_eq!(seen, Some("outside"));
    assert_eq!(USER.get(), Some("changed after spawn"));
}
