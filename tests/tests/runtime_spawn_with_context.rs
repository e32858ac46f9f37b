//! `task::spawn_with_context(ctx, fut)` runs `fut` in `ctx` instead of a snapshot of the
//! caller's context, on both flavors: the task sees exactly `ctx`'s bindings (not the
//! caller's), its sets land in its own copy (neither the caller nor the `ctx` value the
//! caller kept sees them), its children inherit from it, and outside a runtime the call
//! panics with a message that says where it may be called.

use std::panic::catch_unwind;

use ctxrt::runtime::Runtime;
use ctxrt::task::{spawn_with_context, yield_now};
use ctxrt::{Context, ContextVar};
use ctxrt_tests::on_both_flavors;

static TENANT: ContextVar<&'static str> = ContextVar::new("tenant");
static REQUEST: ContextVar<u32> = ContextVar::new("request");

on_both_flavors!(
    task_runs_in_the_given_context_not_the_callers,
    sets_land_in_the_tasks_own_copy,
    children_inherit_from_the_given_context,
    an_empty_context_hides_the_callers_bindings,
);

fn task_runs_in_the_given_context_not_the_callers(rt: Runtime) {
    let seen = rt.block_on(async {
        let _ = TENANT.set("caller");
        let _ = REQUEST.set(1);
        let ctx = Context::new().with_value(&TENANT, "acme");
        spawn_with_context(ctx, async { (TENANT.get(), REQUEST.get()) })
            .await
            .expect("task completes")
    });
    assert_eq!(seen, (Some("acme"), None));
}

fn sets_land_in_the_tasks_own_copy(rt: Runtime) {
    let (task, caller, kept) = rt.block_on(async {
        let _ = TENANT.set("caller");
        let ctx = Context::new().with_value(&TENANT, "acme");
        let kept = ctx.clone();
        let task = spawn_with_context(ctx, async {
            let _ = TENANT.set("changed by the task");
            let _ = REQUEST.set(7);
            yield_now().await;
            (TENANT.get(), REQUEST.get())
        })
        .await
        .expect("task completes");
        (task, (TENANT.get(), REQUEST.get()), kept)
    });
    assert_eq!(task, (Some("changed by the task"), Some(7)));
    assert_eq!(caller, (Some("caller"), None));
    assert_eq!(kept.get(&TENANT), Some("acme"));
    assert_eq!(kept.get(&REQUEST), None);
}

fn children_inherit_from_the_given_context(rt: Runtime) {
    let seen = rt.block_on(async {
        let ctx = Context::new().with_value(&TENANT, "acme");
        spawn_with_context(ctx, async {
            let _ = REQUEST.set(3);
            ctxrt::spawn(async { (TENANT.get(), REQUEST.get()) })
                .await
                .expect("child completes")
        })
        .await
        .expect("task completes")
    });
    assert_eq!(seen, (Some("acme"), Some(3)));
}

fn an_empty_context_hides_the_callers_bindings(rt: Runtime) {
    let seen = rt.block_on(async {
        let _ = TENANT.set("caller");
        spawn_with_context(Context::new(), async { Context::current().len() })
            .await
            .expect("task completes")
    });
    assert_eq!(seen, 0);
}

#[test]
fn outside_a_runtime_it_panics_with_a_clear_message() {
    let payload = catch_unwind(|| {
        drop(spawn_with_context(Context::new(), async {}));
    })
    .expect_err("no runtime here");
    let message = ctxrt_tests::panic_message(&*payload);
    assert!(
        message.contains("no ctxrt runtime") && message.contains("block_on"),
        "unclear message: {message}"
    );
}
