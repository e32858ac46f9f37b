//! A thread's current context is dropped when the thread exits: values bound on it drop
//! then (once), a thread that only entered contexts leaves their values to the `Context`
//! values that own them, and a value's destructor running at exit sees an empty context.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use ctxrt_context::{Context, ContextVar};

/// Counts its drops, and reports what `SEEN` held while it was dropped.
#[derive(Clone)]
struct Counted {
    drops: Arc<AtomicUsize>,
    seen: Option<mpsc::Sender<Option<u32>>>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if let Some(seen) = &self.seen {
            let _ = seen.send(SEEN.get());
        }
    }
}

static VALUE: ContextVar<Counted> = ContextVar::new("exit.value");
static SEEN: ContextVar<u32> = ContextVar::new("exit.seen");

#[test]
fn values_set_on_a_thread_drop_when_it_exits() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let counted = Counted {
        drops: drops.clone(),
        seen: Some(tx),
    };
    std::thread::spawn(move || {
        SEEN.set(7);
        VALUE.set(counted);
        assert_eq!(drops_now(&VALUE), 0);
    })
    .join()
    .unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "dropped once, at thread exit"
    );
    // Its destructor ran after the thread's context was emptied: it saw no binding.
    assert_eq!(rx.recv().unwrap(), None);
}

fn drops_now(var: &ContextVar<Counted>) -> usize {
    var.with(|v| v.unwrap().drops.load(Ordering::SeqCst))
}

#[test]
fn a_thread_that_only_enters_contexts_leaves_their_values_to_them() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counted = Counted {
        drops: drops.clone(),
        seen: None,
    };
    let mut ctx = Context::new().with_value(&VALUE, counted);
    let ctx = std::thread::spawn(move || {
        ctx.run(|| assert!(VALUE.is_set()));
        ctx
    })
    .join()
    .unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the thread's exit dropped nothing of ctx"
    );
    assert!(ctx.get(&VALUE).is_some());
    drop(ctx);
    // `ctx.get` cloned one out and dropped it, then the binding itself.
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn sets_inside_an_entered_context_stay_with_it_after_the_thread_exits() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counted = Counted {
        drops: drops.clone(),
        seen: None,
    };
    let mut ctx = Context::new();
    let ctx = std::thread::spawn(move || {
        ctx.run(|| VALUE.set(counted));
        ctx
    })
    .join()
    .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(ctx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
