//! Bound values are shared, not deep-copied: a snapshot, a clone, a child thread's copy and
//! `Context::get` all hold the same allocation (`Arc::ptr_eq`), and taking a snapshot does
//! not clone the value (`Arc::strong_count` does not move).

use std::sync::Arc;

use ctxrt_context::{thread, Context, ContextVar};

#[test]
fn a_snapshot_holds_the_same_arc_without_cloning_it() {
    static V: ContextVar<Arc<Vec<u8>>> = ContextVar::new("v");
    Context::new().run(|| {
        let value = Arc::new(vec![1, 2, 3]);
        let _t = V.set(value.clone());
        assert_eq!(Arc::strong_count(&value), 2, "ours and the binding's");

        let snapshot = Context::current();
        let clone = snapshot.clone();
        assert_eq!(
            Arc::strong_count(&value),
            2,
            "snapshots share the binding, they do not clone the value"
        );
        let from_snapshot = snapshot.get(&V).unwrap();
        assert!(Arc::ptr_eq(&from_snapshot, &value));
        assert!(Arc::ptr_eq(&clone.get(&V).unwrap(), &value));
        assert!(Arc::ptr_eq(&V.get().unwrap(), &value));
        drop(from_snapshot);

        // Replacing the binding in the current context copies the binding map, not the
        // value: the snapshots and the token's old value share the one allocation.
        let t2 = V.set(Arc::new(vec![9]));
        assert!(Arc::ptr_eq(t2.old_value().unwrap(), &value));
        assert_eq!(Arc::strong_count(&value), 2);
        drop(snapshot);
        drop(clone);
        assert_eq!(
            Arc::strong_count(&value),
            2,
            "the token's old value still holds it"
        );
        drop(t2);
        assert_eq!(
            Arc::strong_count(&value),
            1,
            "no context or token holds it any more"
        );
    });
}

#[test]
fn with_borrows_the_bound_value_itself() {
    static V: ContextVar<Arc<str>> = ContextVar::new("v");
    let value: Arc<str> = Arc::from("shared");
    let mut ctx = Context::new().with_value(&V, value.clone());
    ctx.run(|| {
        V.with(|bound| {
            assert!(Arc::ptr_eq(bound.unwrap(), &value));
            assert_eq!(Arc::strong_count(&value), 2, "with did not clone the value");
        });
    });
}

#[test]
fn iterated_binding_values_are_the_bound_allocation() {
    static V: ContextVar<Arc<u64>> = ContextVar::new("v");
    let value = Arc::new(7u64);
    let ctx = Context::new().with_value(&V, value.clone());
    let binding = ctx.iter().next().unwrap();
    let seen = binding.value().downcast_ref::<Arc<u64>>().unwrap();
    assert!(Arc::ptr_eq(seen, &value));
}

#[test]
fn a_spawned_thread_sees_the_same_allocation() {
    static V: ContextVar<Arc<String>> = ContextVar::new("v");
    Context::new().run(|| {
        let value = Arc::new("payload".to_string());
        let _t = V.set(value.clone());
        let theirs = thread::spawn(|| V.get().unwrap()).join().unwrap();
        assert!(Arc::ptr_eq(&theirs, &value));
    });
}

#[test]
fn a_value_is_dropped_once_the_last_context_holding_it_is_gone() {
    static V: ContextVar<Arc<()>> = ContextVar::new("v");
    let value = Arc::new(());
    let ctx = Context::new().with_value(&V, value.clone());
    let snapshots: Vec<Context> = (0..10).map(|_| ctx.clone()).collect();
    assert_eq!(Arc::strong_count(&value), 2);
    drop(ctx);
    assert_eq!(Arc::strong_count(&value), 2);
    drop(snapshots);
    assert_eq!(Arc::strong_count(&value), 1);
}
