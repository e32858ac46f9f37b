//! Vars need not be statics: a `Vec<ContextVar<u64>>` built at run time works, every var
//! in it is a distinct key, and there is no fixed limit on bindings — a thousand vars can
//! be bound in one context at once, snapshotted, inherited and reset.

use ctxrt_context::{thread, Context, ContextVar, ResetError};

/// The names of the 20 vars in `iter_yields_every_binding_once_in_creation_order`.
const VAR_NAMES: [&str; 20] = [
    "var00", "var01", "var02", "var03", "var04", "var05", "var06", "var07", "var08", "var09",
    "var10", "var11", "var12", "var13", "var14", "var15", "var16", "var17", "var18", "var19",
];

fn make_vars(n: usize) -> Vec<ContextVar<u64>> {
    (0..n).map(|_| ContextVar::new("dynamic")).collect()
}

#[test]
fn a_hundred_runtime_vars_are_distinct_keys() {
    let vars = make_vars(100);
    Context::new().run(|| {
        for (i, var) in vars.iter().enumerate() {
            let _t = var.set(i as u64);
        }
        for (i, var) in vars.iter().enumerate() {
            assert_eq!(var.get(), Some(i as u64), "var {i}");
        }
        assert_eq!(Context::current().len(), 100);
    });
}

#[test]
fn a_thousand_vars_bound_at_once() {
    const N: usize = 1000;
    let vars = make_vars(N);
    let mut ctx = Context::new();
    let tokens: Vec<_> = ctx.run(|| {
        vars.iter()
            .enumerate()
            .map(|(i, var)| var.set(i as u64 * 3))
            .collect()
    });
    assert_eq!(ctx.len(), N);
    for (i, var) in vars.iter().enumerate() {
        assert_eq!(ctx.get(var), Some(i as u64 * 3), "var {i}");
        assert!(ctx.contains(var));
    }
    ctx.run(|| {
        for (i, var) in vars.iter().enumerate() {
            assert_eq!(var.get(), Some(i as u64 * 3));
        }
    });

    // A snapshot and an inheriting thread see all of them.
    let snapshot = ctx.clone();
    assert_eq!(snapshot.len(), N);
    let vars = std::sync::Arc::new(vars);
    let in_thread = {
        let vars = vars.clone();
        ctx.run(|| {
            thread::spawn(move || vars.iter().map(|var| var.get()).collect::<Vec<_>>())
                .join()
                .unwrap()
        })
    };
    let expected: Vec<_> = (0..N as u64).map(|i| Some(i * 3)).collect();
    assert_eq!(in_thread, expected);

    // Reset every other one, out of order (from the back); the snapshot keeps them all.
    ctx.run(|| {
        for (i, token) in tokens.into_iter().enumerate().rev() {
            if i % 2 == 1 {
                vars[i].reset(token).unwrap();
            }
        }
    });
    assert_eq!(ctx.len(), N / 2);
    for (i, var) in vars.iter().enumerate() {
        let expected = (i % 2 == 0).then_some(i as u64 * 3);
        assert_eq!(ctx.get(var), expected, "var {i}");
        assert_eq!(snapshot.get(var), Some(i as u64 * 3));
    }
    assert_eq!(snapshot.len(), N);
}

#[test]
fn iter_yields_every_binding_once_in_creation_order() {
    // Names are `&'static str`: a static table rather than leaked strings, so this
    // binary stays clean under LeakSanitizer (the ASan step in `.ci/run`).
    let names: Vec<&'static str> = VAR_NAMES.to_vec();
    let vars: Vec<ContextVar<u64>> = names.iter().map(|n| ContextVar::new(n)).collect();
    // Give each var its identity in creation order before binding them in reverse.
    Context::new().run(|| vars.iter().for_each(|v| assert!(!v.is_set())));
    let mut ctx = Context::new();
    ctx.run(|| {
        for (i, var) in vars.iter().enumerate().rev() {
            let _t = var.set(i as u64);
        }
    });
    let seen: Vec<(&str, u64)> = ctx
        .iter()
        .map(|b| (b.name(), *b.value().downcast_ref::<u64>().unwrap()))
        .collect();
    let expected: Vec<(&str, u64)> = names.iter().copied().zip(0..).collect();
    assert_eq!(seen, expected);
}

#[test]
fn runtime_vars_with_the_same_name_and_type_are_still_different_vars() {
    let a = ContextVar::<u64>::new("same");
    let b = ContextVar::<u64>::new("same");
    Context::new().run(|| {
        let tb = b.set(2);
        assert!(!a.is_set());
        assert_eq!(a.reset(tb), Err(ResetError::DifferentVar));
        assert_eq!(b.get(), Some(2));
    });
}

#[test]
fn a_dropped_runtime_var_does_not_alias_a_new_one() {
    let mut ctx = Context::new();
    {
        let old = ContextVar::<u64>::new("short-lived");
        ctx.run(|| drop(old.set(1)));
    }
    let fresh = make_vars(10);
    assert!(fresh.iter().all(|v| !ctx.contains(v)));
    assert!(ctx.run(|| fresh.iter().all(|v| v.get().is_none())));
    assert_eq!(
        ctx.len(),
        1,
        "the old binding is still there, under its own key"
    );
}

#[test]
fn runtime_vars_can_have_defaults_and_be_task_private() {
    fn seven() -> u64 {
        7
    }
    let vars: Vec<ContextVar<u64>> = (0..10)
        .map(|i| {
            let var = ContextVar::with_default("dyn", seven);
            if i % 2 == 0 {
                var.task_private()
            } else {
                var
            }
        })
        .collect();
    Context::new().run(|| {
        assert!(vars.iter().all(|v| v.get() == Some(7) && !v.is_set()));
        for var in &vars {
            let _t = var.set(1);
        }
        let inherited = Context::inherited();
        for (i, var) in vars.iter().enumerate() {
            assert_eq!(var.is_task_private(), i % 2 == 0);
            assert_eq!(inherited.contains(var), i % 2 == 1, "var {i}");
        }
        assert_eq!(Context::current().len(), 10);
        assert_eq!(inherited.len(), 5);
    });
}
