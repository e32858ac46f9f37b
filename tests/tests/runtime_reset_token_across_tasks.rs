//! A `Token` can only reset the context object it was made in, and every task, `block_on`
//! future and blocking job has its own: a token made in one task and reset in another (or
//! made by the `block_on` caller and reset inside, made in a parent and reset in a child,
//! made in a blocking job and reset in the task) gives `ResetError::DifferentContext` and
//! changes nothing. The task that made a token can reset it after any number of awaits,
//! also when it resumed on another worker.

use futures_channel::oneshot;

use ctxrt::context::ResetError;
use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::on_both_flavors;

static VAR: ContextVar<u32> = ContextVar::new("var");

on_both_flavors!(
    token_from_one_task_cannot_reset_another,
    token_from_the_parent_cannot_reset_the_child,
    token_from_the_block_on_caller_cannot_reset_inside_block_on,
    token_from_a_blocking_job_cannot_reset_the_task,
    the_task_that_made_a_token_resets_it_after_awaits,
);

fn token_from_one_task_cannot_reset_another(rt: Runtime) {
    let (maker_after, resetter) = rt.block_on(async {
        let (token_tx, token_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let maker = ctxrt::spawn(async move {
            let _ = VAR.set(1);
            token_tx.send(VAR.set(2)).expect("resetter waits");
            done_rx.await.expect("resetter reports");
            VAR.get()
        });
        let resetter = ctxrt::spawn(async move {
            let _ = VAR.set(10);
            let token = token_rx.await.expect("maker sends its token");
            let result = VAR.reset(token);
            done_tx.send(()).expect("maker waits");
            (result, VAR.get())
        });
        let resetter = resetter.await.expect("resetter completes");
        (maker.await.expect("maker completes"), resetter)
    });
    assert_eq!(resetter, (Err(ResetError::DifferentContext), Some(10)));
    assert_eq!(maker_after, Some(2), "the failed reset changed nothing");
}

fn token_from_the_parent_cannot_reset_the_child(rt: Runtime) {
    let (child, parent_after) = rt.block_on(async {
        let token = VAR.set(1);
        let child = ctxrt::spawn(async move {
            // The child starts with a copy of the parent's context: same bindings, but
            // another context object.
            let inherited = VAR.get();
            (inherited, VAR.reset(token), VAR.get())
        })
        .await
        .expect("child completes");
        (child, VAR.get())
    });
    assert_eq!(child, (Some(1), Err(ResetError::DifferentContext), Some(1)));
    assert_eq!(parent_after, Some(1));
}

fn token_from_the_block_on_caller_cannot_reset_inside_block_on(rt: Runtime) {
    Context::new().run(|| {
        let token = VAR.set(1);
        let inside = rt.block_on(async move { (VAR.reset(token), VAR.get()) });
        assert_eq!(inside, (Err(ResetError::DifferentContext), Some(1)));
        assert_eq!(VAR.get(), Some(1));
        // And the other way: a token made inside block_on cannot reset the caller.
        let token = rt.block_on(async { VAR.set(2) });
        assert_eq!(VAR.reset(token), Err(ResetError::DifferentContext));
        assert_eq!(VAR.get(), Some(1));
    });
}

fn token_from_a_blocking_job_cannot_reset_the_task(rt: Runtime) {
    let seen = rt.block_on(async {
        ctxrt::spawn(async {
            let _ = VAR.set(5);
            let token = ctxrt::spawn_blocking(|| VAR.set(6))
                .await
                .expect("job completes");
            (VAR.reset(token), VAR.get())
        })
        .await
        .expect("task completes")
    });
    assert_eq!(seen, (Err(ResetError::DifferentContext), Some(5)));
}

fn the_task_that_made_a_token_resets_it_after_awaits(rt: Runtime) {
    let seen = rt.block_on(async {
        let _ = VAR.set(1);
        ctxrt::spawn(async {
            let outer = VAR.set(2);
            let inner = VAR.set(3);
            for _ in 0..20 {
                yield_now().await;
            }
            let inner_reset = VAR.reset(inner);
            let after_inner = VAR.get();
            yield_now().await;
            let outer_reset = VAR.reset(outer);
            (inner_reset, after_inner, outer_reset, VAR.get())
        })
        .await
        .expect("task completes")
    });
    assert_eq!(seen, (Ok(()), Some(2), Ok(()), Some(1)));
}
