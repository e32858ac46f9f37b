//! `ContextVar::scope` and `ContextVar::scoped`: the prior binding (a value, or none at
//! all) is restored on every exit path — normal return, early return, `?`, and panics —
//! and a `BindingGuard` dropped in a context other than the one it was made in panics with
//! a message naming the var and the misuse.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ctxrt_context::{Context, ContextVar};
use ctxrt_tests::panic_message;

#[test]
fn scope_restores_no_binding_after_return() {
    static V: ContextVar<u32> = ContextVar::with_default("v", || 0);
    Context::new().run(|| {
        let inside = V.scope(5, || (V.get(), V.is_set()));
        assert_eq!(inside, (Some(5), true));
        assert!(!V.is_set(), "restored to unbound, not to the default");
        assert_eq!(V.get(), Some(0));
        assert!(Context::current().is_empty());
    });
}

#[test]
fn scope_restores_the_prior_value_after_return() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let _t = V.set(1);
        assert_eq!(V.scope(2, || V.get()), Some(2));
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn nested_scopes_unwind_one_level_at_a_time() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let seen = V.scope(1, || {
            let inner = V.scope(2, || V.scope(3, || V.get()));
            (inner, V.get())
        });
        assert_eq!(seen, (Some(3), Some(1)));
        assert!(!V.is_set());
    });
}

#[test]
fn scope_restores_the_prior_binding_after_a_panic() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let _t = V.set(1);
        let result = catch_unwind(|| {
            V.scope(2, || {
                assert_eq!(V.get(), Some(2));
                panic!("inside scope");
            })
        });
        let payload = result.expect_err("the closure panicked");
        assert_eq!(panic_message(&*payload), "inside scope");
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn scope_restores_no_binding_after_a_panic() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let result = catch_unwind(|| V.scope(2, || panic!("inside scope")));
        assert!(result.is_err());
        assert!(!V.is_set());
        assert!(Context::current().is_empty());
    });
}

#[test]
fn scope_restores_the_prior_binding_on_an_early_error_return() {
    static V: ContextVar<u32> = ContextVar::new("v");
    fn fallible() -> Result<u32, String> {
        V.scope(9, || -> Result<u32, String> {
            let parsed: u32 = "not a number".parse().map_err(|_| "bad".to_string())?;
            Ok(parsed)
        })
    }
    Context::new().run(|| {
        let _t = V.set(1);
        assert_eq!(fallible(), Err("bad".to_string()));
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn scope_undoes_an_unreset_set_made_inside() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let _t = V.set(1);
        V.scope(2, || {
            let _leaked = V.set(3);
            assert_eq!(V.get(), Some(3));
        });
        assert_eq!(V.get(), Some(1), "the guard restores what it recorded");
    });
}

#[test]
fn scoped_guard_restores_on_drop() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let _t = V.set(1);
        {
            let _guard = V.scoped(2);
            assert_eq!(V.get(), Some(2));
            {
                let _inner = V.scoped(3);
                assert_eq!(V.get(), Some(3));
            }
            assert_eq!(V.get(), Some(2));
        }
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn scoped_guard_restores_when_unwinding() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let result = catch_unwind(|| {
            let _guard = V.scoped(2);
            panic!("unwinding through a guard");
        });
        assert!(result.is_err());
        assert!(!V.is_set());
    });
}

#[test]
fn scoped_guard_restores_on_an_early_return() {
    static V: ContextVar<u32> = ContextVar::new("v");
    fn early(stop: bool) -> Option<u32> {
        let _guard = V.scoped(7);
        if stop {
            return V.get();
        }
        None
    }
    Context::new().run(|| {
        assert_eq!(early(true), Some(7));
        assert!(!V.is_set());
        assert_eq!(early(false), None);
        assert!(!V.is_set());
    });
}

#[test]
fn scoped_guard_of_a_task_private_var_restores_it() {
    static P: ContextVar<u32> = ContextVar::new("p").task_private();
    Context::new().run(|| {
        let _t = P.set(1);
        P.scope(2, || assert_eq!(P.get(), Some(2)));
        assert_eq!(P.get(), Some(1));
    });
}

#[test]
fn scope_inside_run_is_undone_inside_that_context() {
    static V: ContextVar<u32> = ContextVar::new("v");
    let mut ctx = Context::new().with_value(&V, 1);
    ctx.run(|| V.scope(2, || assert_eq!(V.get(), Some(2))));
    assert_eq!(ctx.get(&V), Some(1));
}

#[test]
#[should_panic(
    expected = "the guard from ContextVar `misplaced`.scoped() was dropped in another context"
)]
fn guard_dropped_in_another_context_panics() {
    static V: ContextVar<u32> = ContextVar::new("misplaced");
    let mut ctx = Context::new();
    let guard = ctx.run(|| V.scoped(1));
    drop(guard);
}

#[test]
fn guard_dropped_in_another_context_explains_the_misuse_and_changes_nothing() {
    static V: ContextVar<u32> = ContextVar::new("misplaced_guard");
    Context::new().run(|| {
        let _mine = V.set(10);
        let mut ctx = Context::new();
        let guard = ctx.run(|| V.scoped(1));
        let result = catch_unwind(AssertUnwindSafe(move || drop(guard)));
        let message = panic_message(&*result.expect_err("dropping it here must panic"));
        assert!(
            message.contains("`misplaced_guard`"),
            "names the var: {message}"
        );
        assert!(
            message.contains("dropped in another context"),
            "says what went wrong: {message}"
        );
        assert!(
            message.contains("reset it in the context where set() was called"),
            "says what to do instead: {message}"
        );
        assert_eq!(V.get(), Some(10), "the current context is untouched");
        assert_eq!(ctx.get(&V), Some(1), "the guard's context is untouched");
    });
}

#[test]
fn guard_dropped_in_another_context_while_unwinding_does_not_double_panic() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let mut ctx = Context::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let _guard = ctx.run(|| V.scoped(1));
            panic!("the original panic");
        }));
        let message = panic_message(&*result.expect_err("the closure panicked"));
        assert_eq!(
            message, "the original panic",
            "the first panic is the one reported"
        );
        assert!(!V.is_set());
    });
}

#[test]
fn guard_debug_names_its_var() {
    static V: ContextVar<u32> = ContextVar::new("debugged");
    Context::new().run(|| {
        let guard = V.scoped(1);
        assert_eq!(format!("{guard:?}"), r#"BindingGuard { var: "debugged" }"#);
    });
}
