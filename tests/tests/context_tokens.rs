//! `ContextVar::set` tokens and `ContextVar::reset`: a token's `old_value` is the binding
//! before the set (`None` when there was none, defaults notwithstanding), and `reset`
//! restores exactly that binding — the old value or no binding at all — in any order, as
//! Python's `ContextVar.reset` does: a reset always restores the token's recorded old
//! binding, whatever was set after it.
//!
//! A token can be used once: `reset` takes it by value, so a second `reset(token)` is a
//! compile error ("use of moved value"). That is checked by the `compile_fail` doctest on
//! `Token` in `context/src/var.rs`, not here.

use ctxrt_context::{Context, ContextVar};

/// Runs `f` in a new, empty context object so the test starts from no bindings.
fn in_empty_context<R>(f: impl FnOnce() -> R) -> R {
    Context::new().run(f)
}

#[test]
fn first_set_has_no_old_value_even_with_a_default() {
    static PLAIN: ContextVar<u32> = ContextVar::new("plain");
    static DEFAULTED: ContextVar<u32> = ContextVar::with_default("defaulted", || 5);
    in_empty_context(|| {
        let plain = PLAIN.set(1);
        assert_eq!(plain.old_value(), None);
        assert_eq!(plain.var_name(), "plain");
        let defaulted = DEFAULTED.set(1);
        assert_eq!(defaulted.old_value(), None, "a default is not a binding");
        assert_eq!(defaulted.var_name(), "defaulted");
    });
}

#[test]
fn later_sets_record_the_previous_binding() {
    static V: ContextVar<String> = ContextVar::new("v");
    in_empty_context(|| {
        let t1 = V.set("a".to_string());
        let t2 = V.set("b".to_string());
        let t3 = V.set("c".to_string());
        assert_eq!(t1.old_value(), None);
        assert_eq!(t2.old_value().map(String::as_str), Some("a"));
        assert_eq!(t3.old_value().map(String::as_str), Some("b"));
        assert_eq!(V.get().as_deref(), Some("c"));
    });
}

#[test]
fn reset_of_a_first_set_removes_the_binding() {
    static DEFAULTED: ContextVar<u32> = ContextVar::with_default("defaulted", || 5);
    in_empty_context(|| {
        let token = DEFAULTED.set(1);
        assert_eq!(DEFAULTED.reset(token), Ok(()));
        assert!(
            !DEFAULTED.is_set(),
            "restored to no binding, not to the default"
        );
        assert_eq!(DEFAULTED.get(), Some(5));
        assert_eq!(DEFAULTED.get_or(0), 0);
        assert!(Context::current().is_empty());
    });
}

#[test]
fn reset_restores_the_old_value() {
    static V: ContextVar<u32> = ContextVar::new("v");
    in_empty_context(|| {
        let _t1 = V.set(1);
        let t2 = V.set(2);
        assert_eq!(V.reset(t2), Ok(()));
        assert_eq!(V.get(), Some(1));
        assert!(V.is_set());
    });
}

#[test]
fn lifo_resets_unwind_every_set() {
    static V: ContextVar<u32> = ContextVar::new("v");
    in_empty_context(|| {
        let tokens: Vec<_> = (1..6).map(|n| V.set(n)).collect();
        for (n, token) in (1..6u32).zip(tokens).rev() {
            assert_eq!(V.get(), Some(n));
            V.reset(token).unwrap();
        }
        assert!(!V.is_set());
    });
}

#[test]
fn out_of_order_resets_restore_each_tokens_recorded_binding() {
    static V: ContextVar<u32> = ContextVar::new("v");
    in_empty_context(|| {
        let t1 = V.set(1); // old: unbound
        let t2 = V.set(2); // old: 1
        let t3 = V.set(3); // old: 2

        // Python: resetting t1 first restores "unbound", whatever came after.
        V.reset(t1).unwrap();
        assert!(!V.is_set());
        // t3 recorded 2: resetting it brings back 2 even though 3 is no longer current.
        V.reset(t3).unwrap();
        assert_eq!(V.get(), Some(2));
        // t2 recorded 1.
        V.reset(t2).unwrap();
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn reset_after_an_intervening_set_restores_the_older_binding() {
    static V: ContextVar<u32> = ContextVar::with_default("v", || 0);
    in_empty_context(|| {
        let _t1 = V.set(10);
        let t2 = V.set(20);
        let _t3 = V.set(30);
        V.reset(t2).unwrap(); // recorded old value: 10
        assert_eq!(V.get(), Some(10));
        assert_eq!(V.get_or(0), 10);
    });
}

#[test]
fn resets_of_different_vars_are_independent() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::new("b");
    in_empty_context(|| {
        let ta = A.set(1);
        let tb = B.set(2);
        A.reset(ta).unwrap();
        assert!(!A.is_set());
        assert_eq!(B.get(), Some(2));
        B.reset(tb).unwrap();
        assert!(Context::current().is_empty());
    });
}

#[test]
fn reset_of_a_task_private_var_restores_its_binding() {
    static P: ContextVar<u32> = ContextVar::new("p").task_private();
    in_empty_context(|| {
        let t1 = P.set(1);
        let t2 = P.set(2);
        assert_eq!(t2.old_value(), Some(&1));
        P.reset(t2).unwrap();
        assert_eq!(P.get(), Some(1));
        P.reset(t1).unwrap();
        assert!(!P.is_set());
        assert!(Context::current().is_empty());
    });
}

#[test]
fn old_value_is_the_same_allocation_as_the_replaced_binding() {
    use std::sync::Arc;
    static V: ContextVar<Arc<str>> = ContextVar::new("v");
    in_empty_context(|| {
        let first: Arc<str> = Arc::from("first");
        let _t1 = V.set(first.clone());
        let t2 = V.set(Arc::from("second"));
        assert!(Arc::ptr_eq(t2.old_value().unwrap(), &first));
        V.reset(t2).unwrap();
        assert!(Arc::ptr_eq(&V.get().unwrap(), &first));
    });
}

#[test]
fn a_token_reset_in_a_later_run_of_the_same_context_object_works() {
    static V: ContextVar<u32> = ContextVar::new("v");
    let mut ctx = Context::new();
    let token = ctx.run(|| V.set(1));
    assert_eq!(ctx.get(&V), Some(1));
    assert_eq!(ctx.run(|| V.reset(token)), Ok(()));
    assert!(!ctx.contains(&V));
}
