//! Context and threads: `ctxrt_context::thread::spawn` runs its closure in a copy of the
//! spawner's context taken at the call (later sets on either side are not seen by the
//! other); `std::thread::spawn` starts in an empty context; a `task_private()` var is
//! never copied into a spawned thread, though `Context::current()` snapshots carry it and
//! `Context::iter` marks it `is_task_private`.

use ctxrt_context::{thread, Context, ContextVar};

static SHARED: ContextVar<u32> = ContextVar::new("shared");
static OTHER: ContextVar<u32> = ContextVar::with_default("other", || 50);
static PRIVATE: ContextVar<u32> = ContextVar::new("private").task_private();

#[test]
fn ctxrt_spawn_runs_in_a_copy_of_the_spawners_context() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let _o = OTHER.set(2);
        let seen = thread::spawn(|| {
            let seen = (SHARED.get(), OTHER.get(), Context::current().len());
            let _s = SHARED.set(10); // stays in the thread
            let _n = OTHER.set(20);
            (seen, SHARED.get(), OTHER.get())
        })
        .join()
        .unwrap();
        assert_eq!(seen, ((Some(1), Some(2), 2), Some(10), Some(20)));
        assert_eq!((SHARED.get(), OTHER.get()), (Some(1), Some(2)));
    });
}

#[test]
fn ctxrt_spawn_copies_at_the_call_not_later() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let handle = thread::spawn(move || {
            go_rx.recv().unwrap();
            SHARED.get()
        });
        let _s2 = SHARED.set(2); // after the spawn: not seen by the thread
        go_tx.send(()).unwrap();
        assert_eq!(handle.join().unwrap(), Some(1));
    });
}

#[test]
fn ctxrt_spawn_from_an_empty_context_starts_empty() {
    Context::new().run(|| {
        let (len, other) = thread::spawn(|| (Context::current().len(), OTHER.get()))
            .join()
            .unwrap();
        assert_eq!(len, 0);
        assert_eq!(other, Some(50), "unbound: the default");
    });
}

#[test]
fn ctxrt_spawn_inside_run_copies_that_context() {
    let mut ctx = Context::new().with_value(&SHARED, 5);
    let seen = ctx.run(|| thread::spawn(|| SHARED.get()).join().unwrap());
    assert_eq!(seen, Some(5));
}

#[test]
fn nested_ctxrt_spawns_keep_inheriting() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let seen = thread::spawn(|| {
            let _o = OTHER.set(2);
            thread::spawn(|| (SHARED.get(), OTHER.get()))
                .join()
                .unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(seen, (Some(1), Some(2)));
        assert!(
            !OTHER.is_set(),
            "the child's set never reached the grandparent"
        );
    });
}

#[test]
fn std_spawn_starts_in_an_empty_context() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let _p = PRIVATE.set(2);
        let seen = std::thread::spawn(|| {
            (
                SHARED.get(),
                PRIVATE.get(),
                OTHER.get(),
                Context::current().is_empty(),
            )
        })
        .join()
        .unwrap();
        assert_eq!(seen, (None, None, Some(50), true));
    });
}

#[test]
fn task_private_var_is_never_copied_into_a_spawned_thread() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let _p = PRIVATE.set(2);
        let seen = thread::spawn(|| {
            let current = Context::current();
            (
                PRIVATE.get(),
                PRIVATE.is_set(),
                current.contains(&PRIVATE),
                current.len(),
                SHARED.get(),
            )
        })
        .join()
        .unwrap();
        assert_eq!(seen, (None, false, false, 1, Some(1)));
        assert_eq!(PRIVATE.get(), Some(2), "the spawner keeps it");
    });
}

#[test]
fn task_private_var_set_in_a_thread_stays_there() {
    Context::new().run(|| {
        let seen = thread::spawn(|| {
            let _p = PRIVATE.set(3);
            thread::spawn(|| PRIVATE.get()).join().unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(seen, None);
        assert!(!PRIVATE.is_set());
    });
}

#[test]
fn task_private_var_is_in_current_snapshots_and_marked_by_iter() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let _p = PRIVATE.set(2);
        let snapshot = Context::current();
        assert_eq!(snapshot.get(&PRIVATE), Some(2));
        assert!(snapshot.contains(&PRIVATE));
        assert_eq!(snapshot.len(), 2);
        let marks: Vec<(&str, bool)> = snapshot
            .iter()
            .map(|b| (b.name(), b.is_task_private()))
            .collect();
        assert_eq!(marks, [("shared", false), ("private", true)]);
        let mut snapshot = snapshot;
        assert_eq!(
            snapshot.run(|| PRIVATE.get()),
            Some(2),
            "entering the snapshot sees it"
        );
        assert_eq!(snapshot.clone().get(&PRIVATE), Some(2), "clones carry it");
    });
}

#[test]
fn inherited_snapshot_leaves_task_private_vars_out() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let _p = PRIVATE.set(2);
        let inherited = Context::inherited();
        assert_eq!(inherited.get(&SHARED), Some(1));
        assert_eq!(inherited.get(&PRIVATE), None);
        assert_eq!(inherited.len(), 1);
        assert!(inherited.iter().all(|b| !b.is_task_private()));
        assert_eq!(PRIVATE.get(), Some(2), "taking it changed nothing here");
    });
}

#[test]
fn a_snapshot_carrying_a_task_private_var_can_be_entered_on_another_thread() {
    Context::new().run(|| {
        let _p = PRIVATE.set(4);
        let mut snapshot = Context::current();
        let seen = std::thread::spawn(move || snapshot.run(|| PRIVATE.get()))
            .join()
            .unwrap();
        assert_eq!(
            seen,
            Some(4),
            "explicitly moving a snapshot is not inheriting"
        );
    });
}

#[test]
fn a_spawned_threads_panic_leaves_the_spawner_untouched() {
    Context::new().run(|| {
        let _s = SHARED.set(1);
        let result = thread::spawn(|| {
            let _s = SHARED.set(2);
            panic!("child panics");
        })
        .join();
        assert!(result.is_err());
        assert_eq!(SHARED.get(), Some(1));
    });
}
