//! Ten threads setting and reading their own values, with sleeps in between so their
//! steps interleave, never see one another's bindings — whether they start empty
//! (`std::thread::spawn`) or from a shared inherited context (`thread::spawn`).

use std::sync::{Arc, Barrier};
use std::time::Duration;

use ctxrt_context::{thread, Context, ContextVar};

static WHO: ContextVar<usize> = ContextVar::new("who");
static ROUND: ContextVar<usize> = ContextVar::new("round");
static PARENT: ContextVar<&'static str> = ContextVar::new("parent");

const THREADS: usize = 10;
const ROUNDS: usize = 20;

/// One thread's life: bind its own values, sleep, read them back; returns what it saw.
fn worker(me: usize, barrier: &Barrier) -> Vec<(Option<usize>, Option<usize>)> {
    barrier.wait(); // start together so the rounds interleave
    let _who = WHO.set(me);
    let mut seen = Vec::new();
    for round in 0..ROUNDS {
        let token = ROUND.set(me * 1000 + round);
        std::thread::sleep(Duration::from_micros(
            ((me * 7 + round * 3) % 11) as u64 * 100,
        ));
        seen.push((WHO.get(), ROUND.get()));
        if round % 2 == 0 {
            ROUND.reset(token).expect("same thread, same context");
            std::thread::sleep(Duration::from_micros(50));
            seen.push((WHO.get(), ROUND.get()));
        }
    }
    seen
}

fn expected(me: usize) -> Vec<(Option<usize>, Option<usize>)> {
    let mut expected = Vec::new();
    let mut current = None;
    for round in 0..ROUNDS {
        let set = Some(me * 1000 + round);
        expected.push((Some(me), set));
        if round % 2 == 0 {
            expected.push((Some(me), current));
        } else {
            current = set;
        }
    }
    expected
}

#[test]
fn ten_std_threads_never_see_each_others_values() {
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|me| {
            let barrier = barrier.clone();
            std::thread::spawn(move || worker(me, &barrier))
        })
        .collect();
    for (me, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.join().unwrap(), expected(me), "thread {me}");
    }
}

#[test]
fn ten_inheriting_threads_share_the_parent_binding_but_not_their_own() {
    Context::new().run(|| {
        let _parent = PARENT.set("root");
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|me| {
                let barrier = barrier.clone();
                thread::spawn(move || {
                    let seen = worker(me, &barrier);
                    (seen, PARENT.get())
                })
            })
            .collect();
        for (me, handle) in handles.into_iter().enumerate() {
            let (seen, parent) = handle.join().unwrap();
            assert_eq!(seen, expected(me), "thread {me}");
            assert_eq!(parent, Some("root"));
        }
        assert!(
            !WHO.is_set() && !ROUND.is_set(),
            "no child's set reached the parent"
        );
        assert_eq!(PARENT.get(), Some("root"));
    });
}

#[test]
fn ten_threads_running_clones_of_one_context_stay_apart() {
    let base = Context::new().with_value(&PARENT, "base");
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|me| {
            let mut ctx = base.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let seen = ctx.run(|| worker(me, &barrier));
                (seen, ctx)
            })
        })
        .collect();
    for (me, handle) in handles.into_iter().enumerate() {
        let (seen, ctx) = handle.join().unwrap();
        assert_eq!(seen, expected(me), "thread {me}");
        assert_eq!(ctx.get(&WHO), Some(me), "its sets landed in its own clone");
        assert_eq!(ctx.get(&PARENT), Some("base"));
    }
    assert_eq!(base.get(&WHO), None, "the original got none of them");
    assert_eq!(base.len(), 1);
}
