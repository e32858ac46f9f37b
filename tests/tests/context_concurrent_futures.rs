//! Futures run concurrently inside one task share its context unless isolated (issue 12):
//! `join!(handle("alice"), handle("bob"))` where each handler sets `USER` lets alice read
//! "bob"; with `.isolated()` or `USER.scope_future(..)` each future has a context of its
//! own, its sets stay inside it, the task never sees them, `scoped()` guards held across
//! `.await` in joined isolated futures restore correctly, a future dropped by `select!`
//! is dropped in its own context, and tasks spawned from an isolated future inherit its
//! context. Both flavours.

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::{ContextFutureExt, ContextVar};

static USER: ContextVar<&'static str> = ContextVar::new("user");
static PRIVATE: ContextVar<u32> = ContextVar::new("private").task_private();

/// Sets `USER`, lets the other futures run, then reads it back.
async fn handle(name: &'static str) -> Option<&'static str> {
    USER.set(name);
    yield_now().await;
    USER.get()
}

fn joined_futures_share_the_task_context_unless_isolated(rt: Runtime) {
    rt.block_on(rt.spawn(async {
        USER.set("task");
        // The trap: one context for the whole task.
        let shared = ctxrt::join!(handle("alice"), handle("bob"));
        assert_eq!(shared, (Some("bob"), Some("bob")));
        assert_eq!(
            USER.get(),
            Some("bob"),
            "the handlers' sets landed in the task"
        );

        USER.set("task");
        let isolated = ctxrt::join!(handle("alice").isolated(), handle("bob").isolated());
        assert_eq!(isolated, (Some("alice"), Some("bob")));
        assert_eq!(
            USER.get(),
            Some("task"),
            "isolated sets stay in the futures"
        );
    }))
    .expect("task");
}

fn isolated_futures_start_from_the_callers_bindings(rt: Runtime) {
    rt.block_on(rt.spawn(async {
        USER.set("caller");
        PRIVATE.set(7);
        let seen = async { (USER.get(), PRIVATE.get()) }.isolated();
        USER.set("later");
        // The snapshot is taken by `isolated()`, task_private vars included (the future
        // is still part of this task).
        assert_eq!(seen.await, (Some("caller"), Some(7)));
    }))
    .expect("task");
}

fn scope_future_binds_one_value_for_one_future(rt: Runtime) {
    rt.block_on(rt.spawn(async {
        USER.set("task");
        let whoami = || async {
            yield_now().await;
            let seen = USER.get();
            USER.set("overwritten inside"); // stays in this future
            yield_now().await;
            (seen, USER.get())
        };
        let (a, b, c) = ctxrt::join!(
            USER.scope_future("alice", whoami()),
            USER.scope_future("bob", whoami()),
            whoami().isolated(),
        );
        assert_eq!(a, (Some("alice"), Some("overwritten inside")));
        assert_eq!(b, (Some("bob"), Some("overwritten inside")));
        assert_eq!(c, (Some("task"), Some("overwritten inside")));
        assert_eq!(USER.get(), Some("task"));
    }))
    .expect("task");
}

fn scoped_guards_across_await_in_joined_isolated_futures_restore(rt: Runtime) {
    rt.block_on(rt.spawn(async {
        USER.set("outer");
        let guarded = |name: &'static str| {
            async move {
                let before = USER.get();
                let guard = USER.scoped(name);
                yield_now().await; // the other future binds its own name here
                let during = USER.get();
                yield_now().await;
                drop(guard);
                let after = USER.get();
                (before, during, after)
            }
            .isolated()
        };
        let (a, b, c) = ctxrt::join!(guarded("alice"), guarded("bob"), guarded("carol"));
        for (name, got) in [("alice", a), ("bob", b), ("carol", c)] {
            assert_eq!(got, (Some("outer"), Some(name), Some("outer")), "{name}");
        }
        assert_eq!(USER.get(), Some("outer"));
    }))
    .expect("task");
}

fn a_future_dropped_by_select_is_dropped_in_its_own_context(rt: Runtime) {
    rt.block_on(rt.spawn(async {
        USER.set("outer");
        let loser = async {
            let _guard = USER.scoped("loser");
            std::future::pending::<()>().await;
        }
        .isolated();
        let winner = async {
            yield_now().await;
            USER.get()
        }
        .isolated();
        // The loser's guard is dropped with it, inside its context: no foreign-context
        // panic, and nothing leaks into the task.
        let won = ctxrt::select! {
            () = loser => unreachable!("pending"),
            seen = winner => seen,
        };
        assert_eq!(won, Some("outer"));
        assert_eq!(USER.get(), Some("outer"));
    }))
    .expect("task");
}

fn tasks_spawned_from_an_isolated_future_inherit_its_context(rt: Runtime) {
    rt.block_on(rt.spawn(async {
        USER.set("task");
        let (a, b) = ctxrt::join!(
            USER.scope_future("alice", async {
                ctxrt::spawn(async { USER.get() }).await.unwrap()
            }),
            USER.scope_future("bob", async {
                yield_now().await;
                ctxrt::spawn_blocking(|| USER.get()).await.unwrap()
            }),
        );
        assert_eq!((a, b), (Some("alice"), Some("bob")));
    }))
    .expect("task");
}

fn isolation_works_in_block_on_too(rt: Runtime) {
    // `block_on` (so `#[ctxrt::main]`) polls its future in the calling thread's context.
    let got =
        rt.block_on(async { ctxrt::join!(handle("alice").isolated(), handle("bob").isolated()) });
    assert_eq!(got, (Some("alice"), Some("bob")));
    assert_eq!(USER.get(), None, "the thread's context was not touched");
}

ctxrt_tests::on_both_flavors!(
    joined_futures_share_the_task_context_unless_isolated,
    isolated_futures_start_from_the_callers_bindings,
    scope_future_binds_one_value_for_one_future,
    scoped_guards_across_await_in_joined_isolated_futures_restore,
    a_future_dropped_by_select_is_dropped_in_its_own_context,
    tasks_spawned_from_an_isolated_future_inherit_its_context,
    isolation_works_in_block_on_too,
);
