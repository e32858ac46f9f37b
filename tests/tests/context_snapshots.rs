//! `Context::current()` (and `copy_context()`) and `Clone` are snapshots: later sets in the
//! current context do not show in a snapshot, sets made inside `snapshot.run(..)` do not
//! show outside it, and taking a snapshot never changes the current context.

use ctxrt_context::{copy_context, Context, ContextVar};

#[test]
fn later_sets_do_not_show_in_a_snapshot() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::new("b");
    Context::new().run(|| {
        let _a = A.set(1);
        let snapshot = Context::current();
        let _a2 = A.set(2);
        let _b = B.set(3);
        assert_eq!(snapshot.get(&A), Some(1));
        assert_eq!(snapshot.get(&B), None);
        assert!(!snapshot.contains(&B));
        assert_eq!(snapshot.len(), 1);
        assert_eq!((A.get(), B.get()), (Some(2), Some(3)));
    });
}

#[test]
fn later_resets_do_not_show_in_a_snapshot() {
    static A: ContextVar<u32> = ContextVar::new("a");
    Context::new().run(|| {
        let token = A.set(1);
        let snapshot = Context::current();
        A.reset(token).unwrap();
        assert!(!A.is_set());
        assert_eq!(snapshot.get(&A), Some(1));
        assert_eq!(snapshot.len(), 1);
    });
}

#[test]
fn sets_inside_a_snapshots_run_do_not_show_outside() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::new("b");
    Context::new().run(|| {
        let _a = A.set(1);
        let mut snapshot = Context::current();
        snapshot.run(|| {
            assert_eq!(A.get(), Some(1), "the snapshot holds the binding taken");
            let _a = A.set(10);
            let _b = B.set(20);
            assert_eq!((A.get(), B.get()), (Some(10), Some(20)));
        });
        assert_eq!(A.get(), Some(1));
        assert!(!B.is_set());
        assert_eq!(Context::current().len(), 1);
        assert_eq!(snapshot.get(&A), Some(10));
        assert_eq!(snapshot.get(&B), Some(20));
    });
}

#[test]
fn copy_context_is_a_snapshot_too() {
    static A: ContextVar<u32> = ContextVar::new("a");
    Context::new().run(|| {
        let _a = A.set(1);
        let mut copy = copy_context();
        let _a2 = A.set(2);
        assert_eq!(copy.get(&A), Some(1));
        copy.run(|| drop(A.set(3)));
        assert_eq!(A.get(), Some(2));
        assert_eq!(copy.get(&A), Some(3));
    });
}

#[test]
fn clone_is_a_snapshot() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static B: ContextVar<u32> = ContextVar::new("b");
    let mut original = Context::new().with_value(&A, 1);
    let mut copy = original.clone();
    copy.run(|| {
        let _a = A.set(2);
        let _b = B.set(3);
    });
    assert_eq!(original.get(&A), Some(1));
    assert!(!original.contains(&B));
    assert_eq!(copy.get(&A), Some(2));
    assert_eq!(copy.get(&B), Some(3));

    original.run(|| drop(A.set(4)));
    assert_eq!(original.get(&A), Some(4));
    assert_eq!(
        copy.get(&A),
        Some(2),
        "sets in the original do not reach the clone"
    );
}

#[test]
fn with_value_does_not_change_the_context_it_was_cloned_from() {
    static A: ContextVar<u32> = ContextVar::new("a");
    let original = Context::new().with_value(&A, 1);
    let changed = original.clone().with_value(&A, 2);
    assert_eq!(original.get(&A), Some(1));
    assert_eq!(changed.get(&A), Some(2));
}

#[test]
fn taking_a_snapshot_never_changes_the_current_context() {
    static A: ContextVar<u32> = ContextVar::new("a");
    static P: ContextVar<u32> = ContextVar::new("p").task_private();
    Context::new().run(|| {
        let _a = A.set(1);
        let _p = P.set(2);
        let before: Vec<&str> = Context::current().iter().map(|b| b.name()).collect();
        let snapshots = [
            Context::current(),
            copy_context(),
            Context::inherited(),
            Context::current().clone(),
        ];
        drop(snapshots);
        assert_eq!((A.get(), P.get()), (Some(1), Some(2)));
        assert_eq!(Context::current().len(), 2);
        let after: Vec<&str> = Context::current().iter().map(|b| b.name()).collect();
        assert_eq!(before, after);
    });
}

#[test]
fn snapshot_of_an_empty_context_stays_empty() {
    static A: ContextVar<u32> = ContextVar::with_default("a", || 1);
    Context::new().run(|| {
        let snapshot = Context::current();
        let _a = A.set(2);
        assert!(snapshot.is_empty());
        assert_eq!(snapshot.get(&A), None);
    });
}

#[test]
fn snapshots_of_snapshots_are_independent() {
    static A: ContextVar<u32> = ContextVar::new("a");
    let mut first = Context::new().with_value(&A, 1);
    let mut second = first.run(Context::current);
    let mut third = second.clone();
    first.run(|| drop(A.set(10)));
    second.run(|| drop(A.set(20)));
    third.run(|| drop(A.set(30)));
    assert_eq!(
        (first.get(&A), second.get(&A), third.get(&A)),
        (Some(10), Some(20), Some(30))
    );
}

#[test]
fn many_snapshots_each_keep_their_moment() {
    static A: ContextVar<usize> = ContextVar::new("a");
    Context::new().run(|| {
        let snapshots: Vec<Context> = (0..50)
            .map(|n| {
                let _t = A.set(n);
                Context::current()
            })
            .collect();
        for (n, snapshot) in snapshots.iter().enumerate() {
            assert_eq!(snapshot.get(&A), Some(n));
        }
        assert_eq!(A.get(), Some(49));
    });
}
