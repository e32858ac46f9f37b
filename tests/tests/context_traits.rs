//! The public types' trait surface: `Debug` of `Context` lists the bound names (task-private
//! ones included) and of `ContextVar`/`Token`/`ContextScope` names the var; `ResetError`
//! implements `Display` (saying what to do instead) and `std::error::Error`, and works
//! with `?` into `Box<dyn Error>`; `Token`, `Context` and `ContextScope` (of a `Send`
//! future) are `Send`, and `ContextVar` is `Sync` so it can be a `static`.

use std::error::Error;

use ctxrt_context::{Context, ContextScope, ContextVar, ResetError, Token};

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}

#[test]
fn types_are_send_and_sync_where_promised() {
    assert_send::<Token<u64>>();
    assert_send::<Token<String>>();
    assert_send::<Token<std::sync::Arc<Vec<u8>>>>();
    assert_send::<Context>();
    assert_sync::<Context>();
    assert_send::<ContextScope<std::future::Ready<u32>>>();
    assert_send::<ContextScope<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>>();
    assert_sync::<ContextVar<String>>();
    assert_send::<ContextVar<String>>();
    assert_send::<ResetError>();
    assert_sync::<ResetError>();
}

#[test]
fn context_debug_lists_bound_names_only() {
    static ALPHA: ContextVar<u8> = ContextVar::new("alpha");
    static BETA: ContextVar<u8> = ContextVar::with_default("beta", || 1);
    static GAMMA: ContextVar<u8> = ContextVar::new("gamma").task_private();
    assert_eq!(format!("{:?}", Context::new()), "Context { bindings: [] }");
    // BETA's default is not a binding, so it is not listed.
    let ctx = Context::new().with_value(&GAMMA, 3).with_value(&ALPHA, 1);
    let _ = BETA.get();
    assert_eq!(
        format!("{ctx:?}"),
        r#"Context { bindings: ["alpha", "gamma"] }"#
    );
    let ctx = ctx.with_value(&BETA, 2);
    let debug = format!("{ctx:?}");
    for name in ["alpha", "beta", "gamma"] {
        assert!(debug.contains(&format!("{name:?}")), "{debug}");
    }
}

#[test]
fn context_debug_does_not_print_values() {
    static SECRET: ContextVar<&'static str> = ContextVar::new("secret");
    let ctx = Context::new().with_value(&SECRET, "hunter2");
    let debug = format!("{ctx:?}");
    assert!(debug.contains("secret"));
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn var_token_and_scope_debug_name_the_var() {
    static V: ContextVar<u8> = ContextVar::with_default("shown", || 0);
    assert_eq!(
        format!("{V:?}"),
        r#"ContextVar { name: "shown", has_default: true, task_private: false }"#
    );
    let mut ctx = Context::new();
    let token = ctx.run(|| V.set(1));
    assert_eq!(
        format!("{token:?}"),
        r#"Token { var: "shown", had_old_value: false }"#
    );
    let scope = ctx.scope(async {});
    assert!(format!("{scope:?}").contains(r#"bindings: ["shown"]"#));
    let binding_debug = format!(
        "{:?}",
        Context::new().with_value(&V, 1).iter().next().unwrap()
    );
    assert!(
        binding_debug.contains(r#"name: "shown""#),
        "{binding_debug}"
    );
}

#[test]
fn reset_error_is_a_std_error_with_helpful_display() {
    fn as_error<E: Error + Send + Sync + 'static>(e: E) -> Box<dyn Error + Send + Sync> {
        Box::new(e)
    }
    let var = ResetError::DifferentVar.to_string();
    assert!(var.contains("different ContextVar"), "{var}");
    assert!(
        var.contains("reset it with the var whose set() returned it"),
        "{var}"
    );
    let ctx = ResetError::DifferentContext.to_string();
    assert!(ctx.contains("different Context"), "{ctx}");
    assert!(
        ctx.contains("reset it in the context where set() was called"),
        "{ctx}"
    );
    let boxed = as_error(ResetError::DifferentContext);
    assert_eq!(boxed.to_string(), ctx);
    assert!(boxed.source().is_none());
    assert_eq!(
        boxed.downcast_ref::<ResetError>(),
        Some(&ResetError::DifferentContext)
    );
}

#[test]
fn reset_error_converts_through_question_mark() {
    static A: ContextVar<u8> = ContextVar::new("a");
    static B: ContextVar<u8> = ContextVar::new("b");
    fn undo_with_wrong_var() -> Result<(), Box<dyn Error>> {
        let token = B.set(1);
        A.reset(token)?;
        Ok(())
    }
    let err = Context::new().run(undo_with_wrong_var).unwrap_err();
    assert_eq!(
        err.downcast_ref::<ResetError>(),
        Some(&ResetError::DifferentVar)
    );
}

#[test]
fn reset_error_is_copy_eq_and_debug() {
    let e = ResetError::DifferentVar;
    let copy = e;
    assert_eq!(e, copy);
    assert_ne!(ResetError::DifferentVar, ResetError::DifferentContext);
    assert_eq!(format!("{e:?}"), "DifferentVar");
    assert_eq!(
        format!("{:?}", ResetError::DifferentContext),
        "DifferentContext"
    );
}

#[test]
fn default_context_is_new_context() {
    static V: ContextVar<u8> = ContextVar::new("v");
    let ctx = Context::default();
    assert!(ctx.is_empty());
    assert_eq!(ctx.get(&V), None);
    assert_eq!(format!("{ctx:?}"), format!("{:?}", Context::new()));
}
