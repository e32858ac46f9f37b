//! `ContextVar::reset` refusals: a token from another var's `set` gives
//! `ResetError::DifferentVar`; a token made in another context object — a different
//! `Context`, a clone or `Context::current()` copy of the one it was made in, or another
//! thread — gives `ResetError::DifferentContext`. A refused reset changes nothing: the
//! value and `is_set` are the same afterwards.

use ctxrt_context::{thread, Context, ContextVar, ResetError};

#[test]
fn another_vars_token_is_refused_and_changes_nothing() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::new("b");
    let mut ctx = Context::new();
    ctx.run(|| {
        let _ta = A.set(1);
        let tb = B.set(2);
        assert_eq!(A.reset(tb), Err(ResetError::DifferentVar));
        assert_eq!(A.get(), Some(1));
        assert!(A.is_set());
        assert_eq!(B.get(), Some(2));
        assert!(B.is_set());
    });
    assert_eq!(ctx.get(&A), Some(1));
    assert_eq!(ctx.get(&B), Some(2));
}

#[test]
fn another_vars_token_is_refused_even_when_the_var_is_unbound() {
    static A: ContextVar<u32> = ContextVar::with_default("a", || 4);
    static B: ContextVar<u32> = ContextVar::new("b");
    Context::new().run(|| {
        let tb = B.set(2);
        assert_eq!(A.reset(tb), Err(ResetError::DifferentVar));
        assert!(!A.is_set());
        assert_eq!(A.get(), Some(4));
        assert_eq!(B.get(), Some(2));
    });
}

#[test]
fn wrong_var_is_reported_before_wrong_context() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::new("b");
    let tb = Context::new().run(|| B.set(1));
    assert_eq!(A.reset(tb), Err(ResetError::DifferentVar));
}

#[test]
fn token_from_a_different_context_is_refused_and_changes_nothing() {
    static V: ContextVar<u32> = ContextVar::new("v");
    let mut made_in = Context::new();
    let mut other = Context::new().with_value(&V, 7);
    let token = made_in.run(|| V.set(1));
    other.run(|| {
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(V.get(), Some(7));
        assert!(V.is_set());
    });
    assert_eq!(other.get(&V), Some(7));
    assert_eq!(made_in.get(&V), Some(1));
}

#[test]
fn token_from_a_run_context_is_refused_outside_it() {
    static V: ContextVar<u32> = ContextVar::with_default("v", || 3);
    Context::new().run(|| {
        let mut inner = Context::new();
        let token = inner.run(|| V.set(1));
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert!(!V.is_set(), "the failed reset bound nothing");
        assert_eq!(V.get(), Some(3));
        assert_eq!(
            inner.get(&V),
            Some(1),
            "the failed reset left the token's context alone"
        );
    });
}

#[test]
fn token_is_refused_in_a_clone_of_the_context_it_was_made_in() {
    static V: ContextVar<u32> = ContextVar::new("v");
    let mut original = Context::new();
    let token = original.run(|| {
        let _first = V.set(1);
        V.set(2)
    });
    let mut copy = original.clone();
    copy.run(|| {
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(V.get(), Some(2));
        assert!(V.is_set());
    });
    assert_eq!(copy.get(&V), Some(2));
    assert_eq!(original.get(&V), Some(2));
}

#[test]
fn token_is_refused_in_a_clone_even_when_it_recorded_no_binding() {
    static V: ContextVar<u32> = ContextVar::new("v");
    let mut original = Context::new();
    let token = original.run(|| V.set(1));
    let mut copy = original.clone();
    copy.run(|| {
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(V.get(), Some(1), "the failed reset did not unbind the var");
    });
}

#[test]
fn token_is_refused_in_a_current_snapshot_of_the_context_it_was_made_in() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let token = V.set(1);
        let mut snapshot = Context::current();
        let token = snapshot.run(|| {
            assert_eq!(V.get(), Some(1));
            let err = V.reset(token);
            assert_eq!(err, Err(ResetError::DifferentContext));
            assert_eq!(V.get(), Some(1));
            V.set(9) // a token of the snapshot, used below
        });
        assert_eq!(
            V.get(),
            Some(1),
            "the snapshot's set stayed in the snapshot"
        );
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(V.get(), Some(1));
        assert_eq!(snapshot.get(&V), Some(9));
    });
}

#[test]
fn token_is_refused_in_the_original_after_being_made_in_its_snapshot() {
    static V: ContextVar<u32> = ContextVar::new("v");
    let mut original = Context::new().with_value(&V, 1);
    let mut snapshot = original.clone();
    let token = snapshot.run(|| V.set(2));
    original.run(|| {
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn token_made_in_another_thread_is_refused() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let _mine = V.set(1);
        let token = std::thread::spawn(|| V.set(2)).join().unwrap();
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn token_made_in_the_spawner_is_refused_in_an_inheriting_thread() {
    static V: ContextVar<u32> = ContextVar::new("v");
    Context::new().run(|| {
        let token = V.set(1);
        let (result, after) = thread::spawn(move || {
            let result = V.reset(token);
            (result, V.get())
        })
        .join()
        .unwrap();
        assert_eq!(result, Err(ResetError::DifferentContext));
        assert_eq!(after, Some(1), "the inherited copy kept its binding");
        assert_eq!(V.get(), Some(1));
    });
}

#[test]
fn token_is_refused_in_a_context_that_has_never_been_set_in() {
    static V: ContextVar<u32> = ContextVar::new("v");
    let token = Context::new().run(|| V.set(1));
    let mut untouched = Context::new();
    untouched.run(|| {
        assert_eq!(V.reset(token), Err(ResetError::DifferentContext));
        assert!(!V.is_set());
    });
    assert!(untouched.is_empty());
}

#[test]
fn token_of_a_task_private_var_is_refused_in_a_snapshot() {
    static P: ContextVar<u32> = ContextVar::new("p").task_private();
    let mut original = Context::new();
    let token = original.run(|| P.set(1));
    let mut snapshot = original.clone();
    snapshot.run(|| {
        assert_eq!(P.get(), Some(1), "snapshots carry task-private bindings");
        assert_eq!(P.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(P.get(), Some(1));
    });
}
