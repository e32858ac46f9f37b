//! `task_private()` vars are seen where they are set but never inherited: not by `spawn`,
//! `Runtime::spawn`, `Handle::spawn`, `JoinSet::spawn`, `spawn_blocking` or
//! `ctxrt::thread::spawn`, while ordinary vars set alongside them are. A task's own
//! private binding persists across its awaits; `block_on` (a snapshot of the caller, not a
//! child) and an explicit `spawn_with_context` context carry private bindings as given.

use ctxrt::runtime::Runtime;
use ctxrt::task::{yield_now, JoinSet};
use ctxrt::{Context, ContextVar};
use ctxrt_tests::on_both_flavors;

static SHARED: ContextVar<u32> = ContextVar::new("shared");
static PRIVATE: ContextVar<u32> = ContextVar::new("private").task_private();
static PRIVATE_WITH_DEFAULT: ContextVar<u32> =
    ContextVar::with_default("private_with_default", || 99).task_private();

on_both_flavors!(
    no_child_of_a_task_inherits_private_vars,
    no_child_of_block_on_inherits_private_vars,
    spawns_from_outside_the_runtime_do_not_inherit_private_vars,
    a_tasks_own_private_binding_persists_across_awaits,
    block_on_and_an_explicit_context_carry_private_bindings,
);

type Seen = (Option<u32>, Option<u32>, Option<u32>);

fn seen() -> Seen {
    (SHARED.get(), PRIVATE.get(), PRIVATE_WITH_DEFAULT.get())
}

/// What a child must see: the shared var, no private binding (only the default).
const INHERITED: Seen = (Some(1), None, Some(99));

/// Every kind of child, spawned from the current context; returns what each saw.
async fn children() -> Vec<(&'static str, Seen)> {
    let mut out = vec![
        ("spawn", ctxrt::spawn(async { seen() }).await.expect("task")),
        (
            "Handle::spawn",
            ctxrt::runtime::Handle::current()
                .spawn(async { seen() })
                .await
                .expect("task"),
        ),
        (
            "spawn_blocking",
            ctxrt::spawn_blocking(seen).await.expect("job"),
        ),
        (
            "thread::spawn",
            ctxrt::thread::spawn(seen).join().expect("thread"),
        ),
    ];
    let mut set = JoinSet::new();
    set.spawn(async { seen() });
    let joined = set.join_next().await.expect("one task").expect("task");
    out.push(("JoinSet::spawn", joined));
    out
}

fn no_child_of_a_task_inherits_private_vars(rt: Runtime) {
    let (seen_by_children, own) = rt.block_on(async {
        ctxrt::spawn(async {
            let _ = SHARED.set(1);
            let _ = PRIVATE.set(2);
            let _ = PRIVATE_WITH_DEFAULT.set(3);
            (children().await, seen())
        })
        .await
        .expect("task completes")
    });
    for (how, seen) in seen_by_children {
        assert_eq!(seen, INHERITED, "child made by {how}");
    }
    assert_eq!(own, (Some(1), Some(2), Some(3)), "the task keeps its own");
}

fn no_child_of_block_on_inherits_private_vars(rt: Runtime) {
    let seen_by_children = rt.block_on(async {
        let _ = SHARED.set(1);
        let _ = PRIVATE.set(2);
        let _ = PRIVATE_WITH_DEFAULT.set(3);
        children().await
    });
    for (how, seen) in seen_by_children {
        assert_eq!(seen, INHERITED, "child made by {how} inside block_on");
    }
}

fn spawns_from_outside_the_runtime_do_not_inherit_private_vars(rt: Runtime) {
    Context::new().run(|| {
        let _ = SHARED.set(1);
        let _ = PRIVATE.set(2);
        let _ = PRIVATE_WITH_DEFAULT.set(3);
        let task = rt.spawn(async { seen() });
        let from_handle = rt.handle().spawn(async { seen() });
        let job = rt.spawn_blocking(seen);
        assert_eq!(rt.block_on(task).expect("task"), INHERITED);
        assert_eq!(rt.block_on(from_handle).expect("task"), INHERITED);
        assert_eq!(rt.block_on(job).expect("job"), INHERITED);
    });
}

fn a_tasks_own_private_binding_persists_across_awaits(rt: Runtime) {
    let seen = rt.block_on(async {
        ctxrt::spawn(async {
            let _ = PRIVATE.set(5);
            for _ in 0..10 {
                yield_now().await;
            }
            let child = ctxrt::spawn(async { PRIVATE.get() }).await.expect("child");
            (PRIVATE.get(), child)
        })
        .await
        .expect("task completes")
    });
    assert_eq!(seen, (Some(5), None));
}

fn block_on_and_an_explicit_context_carry_private_bindings(rt: Runtime) {
    Context::new().run(|| {
        let _ = SHARED.set(1);
        let _ = PRIVATE.set(2);
        // block_on runs the caller's own code on a snapshot of its context: nothing is
        // inherited by a child here, so private bindings are there.
        assert_eq!(rt.block_on(async { seen() }), (Some(1), Some(2), Some(99)));
        let explicit = Context::current().with_value(&PRIVATE_WITH_DEFAULT, 3);
        let in_explicit = rt.block_on(async {
            ctxrt::task::spawn_with_context(explicit, async { seen() })
                .await
                .expect("task")
        });
        assert_eq!(in_explicit, (Some(1), Some(2), Some(3)));
    });
}
