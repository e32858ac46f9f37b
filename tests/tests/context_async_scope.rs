//! `Context::scope(fut)` on tokio: every poll of `fut` runs inside the given context, the
//! sets it makes carry over from one poll to the next (also when the next poll is on
//! another worker thread), concurrent scoped futures never see each other's bindings, and
//! the context around the scope (a worker thread's, or an enclosing scope's) is untouched
//! before and after every poll. Dropping a scope drops its future inside the context, so
//! a `scoped()` guard held across an `.await` restores cleanly on cancellation.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};

use ctxrt_context::{Context, ContextScope, ContextVar, Token};
use tokio::task::yield_now;

static REQUEST: ContextVar<u32> = ContextVar::new("request");
static STEP: ContextVar<u32> = ContextVar::new("step");
static LABEL: ContextVar<&'static str> = ContextVar::new("label");

fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `fut` as a spawned task (so its polls may move between worker threads).
async fn spawned<F>(fut: F) -> Result<F::Output, tokio::task::JoinError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(fut).await
}

/// What the context around a scope must look like before and after each of its polls.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Outside {
    request: Option<u32>,
    step: Option<u32>,
    label: Option<&'static str>,
}

impl Outside {
    fn now() -> Outside {
        Outside {
            request: REQUEST.get(),
            step: STEP.get(),
            label: LABEL.get(),
        }
    }
}

/// Polls `inner`, asserting the surrounding context equals `expected` before and after
/// every poll, and counting the polls.
struct Probe<F> {
    inner: Pin<Box<F>>,
    expected: Outside,
    polls: u32,
}

impl<F> Probe<F> {
    fn new(inner: F, expected: Outside) -> Self {
        Probe {
            inner: Box::pin(inner),
            expected,
            polls: 0,
        }
    }
}

impl<F: Future> Future for Probe<F> {
    type Output = (F::Output, u32);

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert_eq!(Outside::now(), this.expected, "before poll {}", this.polls);
        let result = this.inner.as_mut().poll(cx);
        this.polls += 1;
        assert_eq!(Outside::now(), this.expected, "after poll {}", this.polls);
        result.map(|out| (out, this.polls))
    }
}

/// Pending once (waking itself), then ready: a yield that needs no runtime.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn poll_once<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut TaskContext::from_waker(Waker::noop()))
}

const EMPTY: Outside = Outside {
    request: None,
    step: None,
    label: None,
};

#[test]
fn sets_carry_from_poll_to_poll_on_a_multi_thread_runtime() {
    let rt = multi_thread_runtime();
    let fut = Context::new().with_value(&REQUEST, 1).scope(async {
        let mut seen = Vec::new();
        for step in 0..50 {
            let token = STEP.set(step);
            let expected_old = step.checked_sub(1);
            assert_eq!(token.old_value().copied(), expected_old);
            yield_now().await;
            seen.push((REQUEST.get(), STEP.get()));
        }
        seen
    });
    let (seen, polls) = rt
        .block_on(async { tokio::spawn(Probe::new(fut, EMPTY)).await })
        .expect("task");
    assert_eq!(polls, 51, "one poll per yield plus the last");
    let expected: Vec<_> = (0..50).map(|step| (Some(1), Some(step))).collect();
    assert_eq!(seen, expected);
}

#[test]
fn a_token_made_in_one_poll_resets_in_a_later_poll() {
    let rt = multi_thread_runtime();
    let fut = Context::new().with_value(&STEP, 1000).scope(async {
        let mut outcomes = Vec::new();
        for round in 0..20 {
            let token = STEP.set(round);
            yield_now().await;
            let reset = STEP.reset(token);
            outcomes.push((reset, STEP.get()));
        }
        outcomes
    });
    let outcomes = rt.block_on(spawned(fut)).expect("task");
    assert_eq!(outcomes, vec![(Ok(()), Some(1000)); 20]);
}

#[test]
fn concurrent_scopes_with_different_contexts_never_see_each_other() {
    let rt = multi_thread_runtime();
    let results = rt.block_on(async {
        let mut handles = Vec::new();
        for id in 0..8u32 {
            let ctx = Context::new().with_value(&REQUEST, id);
            let scoped = ctx.scope(async move {
                for step in 0..30 {
                    assert_eq!(REQUEST.get(), Some(id));
                    let _t = STEP.set(id * 1000 + step);
                    yield_now().await;
                    assert_eq!(REQUEST.get(), Some(id));
                    assert_eq!(STEP.get(), Some(id * 1000 + step));
                }
                (REQUEST.get(), STEP.get())
            });
            handles.push(tokio::spawn(Probe::new(scoped, EMPTY)));
        }
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.expect("task"));
        }
        results
    });
    for (id, ((request, step), polls)) in (0..8u32).zip(results) {
        assert_eq!(request, Some(id));
        assert_eq!(step, Some(id * 1000 + 29));
        assert_eq!(polls, 31);
    }
    assert_eq!(Outside::now(), EMPTY, "the block_on thread is untouched");
}

#[test]
fn two_scopes_interleaved_by_a_ping_pong_keep_their_own_bindings() {
    // Each side waits for the other before every read, so their polls strictly alternate.
    let rt = multi_thread_runtime();
    let (to_b, mut b_inbox) = tokio::sync::mpsc::channel::<u32>(1);
    let (to_a, mut a_inbox) = tokio::sync::mpsc::channel::<u32>(1);
    let a = Context::new().with_value(&LABEL, "a").scope(async move {
        let mut seen = Vec::new();
        for round in 0..10 {
            let _t = STEP.set(round);
            to_b.send(round).await.unwrap();
            assert_eq!(a_inbox.recv().await, Some(round + 100));
            seen.push((LABEL.get(), STEP.get()));
        }
        seen
    });
    let b = Context::new().with_value(&LABEL, "b").scope(async move {
        let mut seen = Vec::new();
        for round in 0..10 {
            assert_eq!(b_inbox.recv().await, Some(round));
            let _t = STEP.set(round + 100);
            seen.push((LABEL.get(), STEP.get()));
            to_a.send(round + 100).await.unwrap();
            yield_now().await;
            seen.push((LABEL.get(), STEP.get()));
        }
        seen
    });
    let (a_seen, b_seen) = rt.block_on(async {
        let a = tokio::spawn(Probe::new(a, EMPTY));
        let b = tokio::spawn(Probe::new(b, EMPTY));
        (a.await.unwrap().0, b.await.unwrap().0)
    });
    let a_expected: Vec<_> = (0..10).map(|r| (Some("a"), Some(r))).collect();
    let b_expected: Vec<_> = (0..10)
        .flat_map(|r| [(Some("b"), Some(r + 100)), (Some("b"), Some(r + 100))])
        .collect();
    assert_eq!(a_seen, a_expected);
    assert_eq!(b_seen, b_expected);
}

#[test]
fn an_enclosing_scopes_context_is_untouched_between_inner_polls() {
    let rt = multi_thread_runtime();
    let inner = Context::new().with_value(&LABEL, "inner").scope(async {
        for step in 0..10 {
            let _t = STEP.set(step);
            let _r = REQUEST.set(step + 1);
            yield_now().await;
            assert_eq!((LABEL.get(), STEP.get()), (Some("inner"), Some(step)));
        }
        LABEL.get()
    });
    let outer_expected = Outside {
        request: Some(7),
        step: None,
        label: Some("outer"),
    };
    let outer = Context::new()
        .with_value(&LABEL, "outer")
        .with_value(&REQUEST, 7)
        .scope(async move {
            let (inner_label, polls) = Probe::new(inner, outer_expected).await;
            (inner_label, polls, Outside::now())
        });
    let (inner_label, polls, outer_after) = rt.block_on(spawned(outer)).unwrap();
    assert_eq!(inner_label, Some("inner"));
    assert_eq!(polls, 11);
    assert_eq!(outer_after, outer_expected);
}

#[test]
fn joined_scopes_on_one_thread_alternate_without_leaking() {
    let rt = current_thread_runtime();
    rt.block_on(async {
        let _outer = LABEL.set("block_on");
        let make = |label: &'static str| {
            Probe::new(
                Context::new().with_value(&LABEL, label).scope(async move {
                    let mut seen = Vec::new();
                    for step in 0..5 {
                        let _t = STEP.set(step);
                        yield_now().await;
                        seen.push((LABEL.get(), STEP.get()));
                    }
                    seen
                }),
                Outside {
                    request: None,
                    step: None,
                    label: Some("block_on"),
                },
            )
        };
        let ((x, x_polls), (y, y_polls)) = tokio::join!(make("x"), make("y"));
        assert_eq!(x, (0..5).map(|s| (Some("x"), Some(s))).collect::<Vec<_>>());
        assert_eq!(y, (0..5).map(|s| (Some("y"), Some(s))).collect::<Vec<_>>());
        assert_eq!((x_polls, y_polls), (6, 6));
        assert_eq!(LABEL.get(), Some("block_on"));
        assert!(!STEP.is_set());
    });
}

#[test]
fn the_scope_exposes_the_sets_made_so_far() {
    let scope = Context::new().scope(async {
        let _t = STEP.set(1);
        YieldOnce(false).await;
        let _t = STEP.set(2);
        YieldOnce(false).await;
        STEP.get()
    });
    let mut scope = Box::pin(scope);
    assert!(!scope.context().contains(&STEP));
    assert!(poll_once(scope.as_mut()).is_pending());
    assert_eq!(scope.context().get(&STEP), Some(1));
    assert_eq!(
        Outside::now().step,
        None,
        "the poll's set stayed in the scope"
    );
    assert!(poll_once(scope.as_mut()).is_pending());
    assert_eq!(scope.context().get(&STEP), Some(2));
    assert_eq!(poll_once(scope.as_mut()), Poll::Ready(Some(2)));
}

#[test]
fn a_panicking_poll_restores_the_outer_context() {
    Context::new().run(|| {
        let _t = LABEL.set("outside");
        let rt = current_thread_runtime();
        let fut = Context::new().with_value(&LABEL, "inside").scope(async {
            let _s = STEP.set(1);
            yield_now().await;
            panic!("poll panics");
        });
        let result = catch_unwind(AssertUnwindSafe(|| rt.block_on(fut)));
        assert!(result.is_err());
        assert_eq!(LABEL.get(), Some("outside"));
        assert!(!STEP.is_set());
    });
}

#[test]
fn a_guard_held_across_an_await_restores_inside_the_scope() {
    let rt = multi_thread_runtime();
    let fut = Context::new().with_value(&STEP, 1).scope(async {
        {
            let _guard = STEP.scoped(2);
            yield_now().await;
            assert_eq!(STEP.get(), Some(2));
        }
        STEP.get()
    });
    assert_eq!(rt.block_on(spawned(fut)).unwrap(), Some(1));
}

#[test]
fn dropping_a_pending_scope_drops_its_future_inside_the_context() {
    struct ReadsOnDrop(Arc<Mutex<Option<Option<u32>>>>);
    impl Drop for ReadsOnDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(REQUEST.get());
        }
    }
    Context::new().run(|| {
        let _outside = REQUEST.set(1);
        let seen = Arc::new(Mutex::new(None));
        let probe = ReadsOnDrop(seen.clone());
        let mut scope = Box::pin(Context::new().with_value(&REQUEST, 2).scope(async move {
            let _probe = probe;
            std::future::pending::<()>().await;
        }));
        assert!(poll_once(scope.as_mut()).is_pending());
        drop(scope);
        assert_eq!(
            *seen.lock().unwrap(),
            Some(Some(2)),
            "dropped inside the scope's context"
        );
        assert_eq!(REQUEST.get(), Some(1));
    });
}

#[test]
fn a_scope_dropped_by_a_tls_destructor_after_the_context_slot_is_gone_does_not_abort() {
    use std::cell::RefCell;
    type Held = ContextScope<Pin<Box<dyn Future<Output = ()>>>>;
    thread_local! {
        static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
    }
    struct Flag(std::sync::mpsc::Sender<&'static str>);
    impl Drop for Flag {
        fn drop(&mut self) {
            let _ = self.0.send("inner future dropped");
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        // Register HELD's destructor before the context slot's, so the slot is destroyed
        // first and HELD's scope is dropped with no current context left.
        HELD.with(|held| assert!(held.borrow().is_none()));
        let _t = STEP.set(1);
        let flag = Flag(tx);
        let fut: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        });
        let mut scope = Context::new().scope(fut);
        assert!(poll_once(Pin::new(&mut scope)).is_pending());
        HELD.with(|held| *held.borrow_mut() = Some(scope));
    })
    .join();
    assert!(joined.is_ok());
    assert_eq!(rx.recv().as_deref(), Ok("inner future dropped"));
}

#[test]
fn cancelling_a_scope_that_holds_a_guard_across_an_await_does_not_panic() {
    let rt = multi_thread_runtime();
    rt.block_on(async {
        let fut = Context::new().scope(async {
            let _guard = LABEL.scoped("held");
            std::future::pending::<()>().await;
        });
        // The timeout fires and drops the scope (and the guard inside it) on this thread.
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(10), fut).await;
        assert!(timed_out.is_err());
        assert_eq!(LABEL.get(), None, "the guard's binding never leaked out");
    });
}

#[test]
fn aborting_a_task_running_a_scope_that_holds_a_guard_does_not_panic() {
    let rt = multi_thread_runtime();
    rt.block_on(async {
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let fut = Context::new().scope(async move {
            let _guard = LABEL.scoped("held");
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        });
        let handle = tokio::spawn(fut);
        started_rx.await.unwrap();
        handle.abort();
        let err = handle.await.expect_err("aborted");
        assert!(err.is_cancelled(), "cancelled, not panicked: {err}");
    });
}

#[test]
fn scope_futures_and_tokens_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_type<T: Send>() {}
    assert_send_type::<Token<u32>>();
    assert_send_type::<Token<String>>();
    assert_send_type::<Context>();
    assert_send_type::<ContextScope<std::future::Ready<u8>>>();
    let scope = Context::new().scope(async {
        let token = STEP.set(1);
        yield_now().await; // the token lives across the await
        STEP.reset(token).is_ok()
    });
    assert_send(&scope);
    // A Send future can go to a multi-thread runtime's spawn, which requires Send.
    assert!(multi_thread_runtime().block_on(spawned(scope)).unwrap());
}
