//! `ctxrt::join!`, `ctxrt::try_join!`, `ctxrt::select!` and `ctxrt::pin!` (tokio's,
//! re-exported) work from a crate that names only `ctxrt` (nothing here imports tokio; the
//! macros' `$crate::` paths resolve to the tokio that ctxrt depends on), on both flavours:
//! `join!` runs its futures concurrently in one task, `try_join!` short-circuits on the
//! first error, `select!` runs the first ready branch (with `biased;`, `else` and patterns)
//! and drops the others, and `pin!` lets a future be polled by reference across a loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ctxrt::runtime::Runtime;
use ctxrt::sync::{mpsc, oneshot};
use ctxrt::task::yield_now;

fn join_runs_futures_concurrently_in_one_task(rt: Runtime) {
    rt.block_on(async {
        // Each future waits for the other's message: only a concurrent join finishes.
        let (a_tx, a_rx) = oneshot::channel::<u8>();
        let (b_tx, b_rx) = oneshot::channel::<u8>();
        let (a, b, c) = ctxrt::join!(
            async move {
                a_tx.send(1).unwrap();
                b_rx.await.unwrap()
            },
            async move {
                b_tx.send(2).unwrap();
                a_rx.await.unwrap()
            },
            ctxrt::spawn(async { 3 }),
        );
        assert_eq!((a, b, c.unwrap()), (2, 1, 3));
    });
}

fn try_join_returns_the_first_error(rt: Runtime) {
    rt.block_on(async {
        let ok: Result<(u8, &str), String> = ctxrt::try_join!(async { Ok(1) }, async { Ok("two") });
        assert_eq!(ok, Ok((1, "two")));

        let never_finished = Arc::new(AtomicBool::new(true));
        let flag = never_finished.clone();
        let failed: Result<((), ()), String> = ctxrt::try_join!(
            async move {
                for _ in 0..100 {
                    yield_now().await;
                }
                flag.store(false, Ordering::SeqCst);
                Ok(())
            },
            async { Err("bad".to_string()) },
        );
        assert_eq!(failed, Err("bad".to_string()));
        assert!(
            never_finished.load(Ordering::SeqCst),
            "the slow branch was dropped when the other failed"
        );
    });
}

fn select_runs_the_first_ready_branch(rt: Runtime) {
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        ctxrt::spawn(async move { tx.send(7).await.unwrap() });
        let got = ctxrt::select! {
            Some(n) = rx.recv() => n,
            _ = std::future::pending::<()>() => unreachable!("pending never completes"),
        };
        assert_eq!(got, 7);

        // `biased;` polls in order; `else` runs when every pattern fails to match.
        let first = ctxrt::select! {
            biased;
            x = async { 1 } => x,
            y = async { 2 } => y,
        };
        assert_eq!(first, 1);
        let none: Option<u8> = None;
        let fallback = ctxrt::select! {
            Some(x) = async { none } => x,
            else => 99,
        };
        assert_eq!(fallback, 99);
    });
}

fn pin_polls_one_future_across_a_select_loop(rt: Runtime) {
    rt.block_on(async {
        let (done_tx, done_rx) = oneshot::channel::<&str>();
        let (tick_tx, mut ticks) = mpsc::unbounded_channel::<u32>();
        ctxrt::spawn(async move {
            for n in 0..3 {
                tick_tx.send(n).unwrap();
                yield_now().await;
            }
            done_tx.send("done").unwrap();
        });
        let finish = async move { done_rx.await.unwrap() };
        ctxrt::pin!(finish);
        let mut seen = Vec::new();
        let result = loop {
            ctxrt::select! {
                biased;
                Some(n) = ticks.recv() => seen.push(n),
                msg = &mut finish => break msg,
            }
        };
        assert_eq!(result, "done");
        assert_eq!(seen, vec![0, 1, 2]);
    });
}

ctxrt_tests::on_both_flavors!(
    join_runs_futures_concurrently_in_one_task,
    try_join_returns_the_first_error,
    select_runs_the_first_ready_branch,
    pin_polls_one_future_across_a_select_loop,
);
