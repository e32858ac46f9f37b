//! `Context::run`: sets made inside land in the context object (visible through
//! `Context::get` afterwards); the previous context is restored when the closure returns or
//! panics; and runs of different contexts nest as a stack.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ctxrt_context::{Context, ContextVar};

#[test]
fn sets_inside_land_in_the_context_object() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::with_default("b", || 9);
    let mut ctx = Context::new();
    let returned = ctx.run(|| {
        let _a = A.set(1);
        let _b = B.set(2);
        "done"
    });
    assert_eq!(returned, "done");
    assert_eq!(ctx.get(&A), Some(1));
    assert_eq!(ctx.get(&B), Some(2));
    assert_eq!(ctx.len(), 2);
}

#[test]
fn sets_inside_do_not_reach_the_caller() {
    static A: ContextVar<u32> = ContextVar::new("a");
    Context::new().run(|| {
        let _outer = A.set(1);
        let mut ctx = Context::new();
        ctx.run(|| {
            assert!(
                !A.is_set(),
                "a new context does not see the caller's bindings"
            );
            let _inner = A.set(2);
        });
        assert_eq!(A.get(), Some(1));
        assert_eq!(ctx.get(&A), Some(2));
    });
}

#[test]
fn bindings_persist_across_runs_of_the_same_context() {
    static A: ContextVar<u32> = ContextVar::new("a");
    let mut ctx = Context::new();
    ctx.run(|| drop(A.set(1)));
    let seen = ctx.run(|| {
        let seen = A.get();
        let _t = A.set(2);
        seen
    });
    assert_eq!(seen, Some(1));
    assert_eq!(ctx.run(|| A.get()), Some(2));
}

#[test]
fn resets_inside_run_update_the_context_object() {
    static A: ContextVar<u32> = ContextVar::new("a");
    let mut ctx = Context::new().with_value(&A, 1);
    ctx.run(|| {
        let token = A.set(2);
        A.reset(token).unwrap();
    });
    assert_eq!(ctx.get(&A), Some(1));
    let token = ctx.run(|| A.set(3));
    ctx.run(|| A.reset(token)).unwrap();
    assert_eq!(ctx.get(&A), Some(1));
}

#[test]
fn previous_context_is_restored_when_the_closure_panics() {
    static A: ContextVar<u32> = ContextVar::new("a");
    Context::new().run(|| {
        let _outer = A.set(1);
        let mut ctx = Context::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            ctx.run(|| {
                let _inner = A.set(2);
                assert_eq!(A.get(), Some(2));
                panic!("boom inside run");
            })
        }));
        let payload = result.expect_err("the closure panicked");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom inside run"));
        assert_eq!(A.get(), Some(1), "the caller's context is back");
        assert_eq!(Context::current().len(), 1);
        assert_eq!(ctx.get(&A), Some(2), "sets before the panic stayed in ctx");
    });
}

#[test]
fn nested_panic_restores_every_level() {
    static A: ContextVar<&'static str> = ContextVar::new("a");
    Context::new().run(|| {
        let _base = A.set("base");
        let mut outer = Context::new().with_value(&A, "outer");
        let mut inner = Context::new().with_value(&A, "inner");
        let result = catch_unwind(AssertUnwindSafe(|| {
            outer.run(|| {
                assert_eq!(A.get(), Some("outer"));
                inner.run(|| {
                    assert_eq!(A.get(), Some("inner"));
                    panic!("deep");
                })
            })
        }));
        assert!(result.is_err());
        assert_eq!(A.get(), Some("base"));
        assert_eq!(outer.get(&A), Some("outer"));
        assert_eq!(inner.get(&A), Some("inner"));
        // Both contexts are still usable after the panic.
        assert_eq!(outer.run(|| A.get()), Some("outer"));
        assert_eq!(inner.run(|| A.get()), Some("inner"));
    });
}

#[test]
fn nested_runs_of_different_contexts_form_a_stack() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::new("b");
    let mut base = Context::new().with_value(&A, 0);
    let mut first = Context::new().with_value(&A, 1);
    let mut second = Context::new().with_value(&A, 2);
    let mut trace = Vec::new();
    base.run(|| {
        trace.push(A.get());
        first.run(|| {
            trace.push(A.get());
            let _b = B.set(10);
            second.run(|| {
                trace.push(A.get());
                assert!(!B.is_set(), "the outer run's sets do not leak inward");
                let _b = B.set(20);
            });
            trace.push(A.get());
            assert_eq!(B.get(), Some(10));
        });
        trace.push(A.get());
        assert!(!B.is_set());
    });
    assert_eq!(trace, [Some(0), Some(1), Some(2), Some(1), Some(0)]);
    assert_eq!(first.get(&B), Some(10));
    assert_eq!(second.get(&B), Some(20));
    assert!(!base.contains(&B));
}

#[test]
fn a_snapshot_taken_inside_run_sees_that_context() {
    static A: ContextVar<u32> = ContextVar::new("a");
    let mut ctx = Context::new().with_value(&A, 5);
    let snapshot = ctx.run(Context::current);
    assert_eq!(snapshot.get(&A), Some(5));
    let mut snapshot = snapshot;
    snapshot.run(|| drop(A.set(6)));
    assert_eq!(ctx.get(&A), Some(5), "the snapshot is its own object");
}

#[test]
fn run_returns_the_closures_value() {
    static A: ContextVar<String> = ContextVar::new("a");
    let mut ctx = Context::new().with_value(&A, "x".to_string());
    let value: Option<String> = ctx.run(|| A.get());
    assert_eq!(value.as_deref(), Some("x"));
}
