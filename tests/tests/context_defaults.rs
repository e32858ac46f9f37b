//! What a fresh thread sees, and where defaults count: a new thread starts in an empty
//! context; `ContextVar::get` falls back to the var's default (or `None`), `get_or` falls
//! back to its argument and ignores the default, and `Context::get`, `contains`, `len`,
//! `is_empty` and `iter` see bindings only, never defaults.

use ctxrt_context::{Context, ContextVar};

static PLAIN: ContextVar<u32> = ContextVar::new("plain");
static WITH_DEFAULT: ContextVar<u32> = ContextVar::with_default("with_default", || 7);
static PRIVATE_DEFAULT: ContextVar<u32> =
    ContextVar::with_default("private_default", || 11).task_private();

/// Runs `f` on a brand-new OS thread (so nothing another test left on this thread can
/// leak in), re-raising its panic here.
fn on_fresh_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    match std::thread::spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[test]
fn a_fresh_thread_starts_in_an_empty_context() {
    on_fresh_thread(|| {
        let current = Context::current();
        assert!(current.is_empty());
        assert_eq!(current.len(), 0);
        assert_eq!(current.iter().count(), 0);
        assert!(Context::inherited().is_empty());
        assert!(!PLAIN.is_set());
        assert!(!WITH_DEFAULT.is_set());
        assert!(!PRIVATE_DEFAULT.is_set());
    });
}

#[test]
fn get_gives_the_default_or_none_while_unbound() {
    on_fresh_thread(|| {
        assert_eq!(PLAIN.get(), None);
        assert_eq!(WITH_DEFAULT.get(), Some(7));
        assert_eq!(PRIVATE_DEFAULT.get(), Some(11));
        assert_eq!(PLAIN.with(|v| v.copied()), None);
        assert_eq!(WITH_DEFAULT.with(|v| v.copied()), Some(7));
    });
}

#[test]
fn get_gives_the_binding_over_the_default() {
    on_fresh_thread(|| {
        let _plain = PLAIN.set(1);
        let _default = WITH_DEFAULT.set(2);
        let _private = PRIVATE_DEFAULT.set(3);
        assert_eq!(PLAIN.get(), Some(1));
        assert_eq!(WITH_DEFAULT.get(), Some(2));
        assert_eq!(PRIVATE_DEFAULT.get(), Some(3));
        assert_eq!(WITH_DEFAULT.with(|v| v.copied()), Some(2));
        assert!(PLAIN.is_set() && WITH_DEFAULT.is_set() && PRIVATE_DEFAULT.is_set());
    });
}

#[test]
fn binding_the_default_value_still_counts_as_a_binding() {
    on_fresh_thread(|| {
        let _token = WITH_DEFAULT.set(7);
        assert!(WITH_DEFAULT.is_set());
        assert_eq!(WITH_DEFAULT.get_or(0), 7);
        assert_eq!(Context::current().get(&WITH_DEFAULT), Some(7));
        assert_eq!(Context::current().len(), 1);
    });
}

#[test]
fn get_or_gives_the_binding_or_the_fallback_ignoring_the_default() {
    on_fresh_thread(|| {
        assert_eq!(PLAIN.get_or(100), 100);
        assert_eq!(WITH_DEFAULT.get_or(100), 100, "the default must be ignored");
        assert_eq!(
            PRIVATE_DEFAULT.get_or(100),
            100,
            "the default must be ignored"
        );

        let _plain = PLAIN.set(1);
        let _default = WITH_DEFAULT.set(2);
        let _private = PRIVATE_DEFAULT.set(3);
        assert_eq!(PLAIN.get_or(100), 1);
        assert_eq!(WITH_DEFAULT.get_or(100), 2);
        assert_eq!(PRIVATE_DEFAULT.get_or(100), 3);
    });
}

#[test]
fn context_accessors_see_bindings_never_defaults() {
    on_fresh_thread(|| {
        // Every var has been read (so defaults have been computed) but none is bound.
        assert_eq!(WITH_DEFAULT.get(), Some(7));
        assert_eq!(PRIVATE_DEFAULT.get(), Some(11));
        let empty = Context::current();
        assert_eq!(empty.get(&PLAIN), None);
        assert_eq!(empty.get(&WITH_DEFAULT), None);
        assert_eq!(empty.get(&PRIVATE_DEFAULT), None);
        assert!(!empty.contains(&PLAIN));
        assert!(!empty.contains(&WITH_DEFAULT));
        assert!(!empty.contains(&PRIVATE_DEFAULT));
        assert_eq!(empty.len(), 0);
        assert!(empty.is_empty());
        assert_eq!(empty.iter().count(), 0);

        let _default = WITH_DEFAULT.set(70);
        let one = Context::current();
        assert_eq!(one.get(&PLAIN), None);
        assert_eq!(one.get(&WITH_DEFAULT), Some(70));
        assert_eq!(one.get(&PRIVATE_DEFAULT), None);
        assert!(!one.contains(&PLAIN));
        assert!(one.contains(&WITH_DEFAULT));
        assert!(!one.contains(&PRIVATE_DEFAULT));
        assert_eq!(one.len(), 1);
        assert!(!one.is_empty());
        let names: Vec<&str> = one.iter().map(|b| b.name()).collect();
        assert_eq!(names, ["with_default"]);
        let value = one
            .iter()
            .next()
            .map(|b| b.value().downcast_ref::<u32>().copied());
        assert_eq!(value, Some(Some(70)));
    });
}

#[test]
fn a_new_context_has_no_bindings_and_its_run_sees_only_defaults() {
    on_fresh_thread(|| {
        let _outer = PLAIN.set(5);
        let mut ctx = Context::new();
        assert!(ctx.is_empty());
        let seen = ctx.run(|| (PLAIN.get(), WITH_DEFAULT.get(), PLAIN.get_or(0)));
        assert_eq!(seen, (None, Some(7), 0));
        assert!(ctx.is_empty(), "reading inside run binds nothing");
    });
}

#[test]
fn a_default_is_computed_fresh_on_every_unbound_read() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    static COUNTED: ContextVar<usize> =
        ContextVar::with_default("counted", || CALLS.fetch_add(1, Ordering::SeqCst) + 1);
    on_fresh_thread(|| {
        let before = CALLS.load(Ordering::SeqCst);
        assert_eq!(COUNTED.get(), Some(before + 1));
        assert_eq!(COUNTED.get(), Some(before + 2));
        assert_eq!(COUNTED.get_or(0), 0);
        assert_eq!(
            CALLS.load(Ordering::SeqCst),
            before + 2,
            "get_or never calls the default"
        );
        let _token = COUNTED.set(99);
        assert_eq!(COUNTED.get(), Some(99));
        assert_eq!(
            CALLS.load(Ordering::SeqCst),
            before + 2,
            "a bound var never calls the default"
        );
    });
}
