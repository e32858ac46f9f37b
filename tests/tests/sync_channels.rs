//! `ctxrt::sync`'s channels (tokio's, re-exported) work between ctxrt tasks on both
//! flavours: `mpsc` (bounded, with back-pressure, and unbounded), `oneshot`, `broadcast`
//! and `watch`; and a task that waits on a channel is woken inside its own context, not the
//! sender's.

use std::collections::BTreeSet;

use ctxrt::runtime::Runtime;
use ctxrt::sync::{broadcast, mpsc, oneshot, watch};
use ctxrt::ContextVar;

static ROLE: ContextVar<&'static str> = ContextVar::new("role");

fn mpsc_bounded_delivers_everything_with_back_pressure(rt: Runtime) {
    let got = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let mut producers = Vec::new();
        for p in 0..4u32 {
            let tx = tx.clone();
            producers.push(ctxrt::spawn(async move {
                for i in 0..50 {
                    tx.send(p * 1000 + i).await.expect("receiver alive");
                }
            }));
        }
        drop(tx);
        // The channel holds at most 2: the producers must wait for the consumer.
        let mut got = Vec::new();
        while let Some(n) = rx.recv().await {
            got.push(n);
        }
        for p in producers {
            p.await.expect("producer");
        }
        got
    });
    assert_eq!(got.len(), 200);
    let set: BTreeSet<u32> = got.iter().copied().collect();
    assert_eq!(set.len(), 200, "no duplicates");
    // Each producer's values arrive in its send order.
    for p in 0..4u32 {
        let mine: Vec<u32> = got.iter().copied().filter(|n| n / 1000 == p).collect();
        assert_eq!(mine, (0..50).map(|i| p * 1000 + i).collect::<Vec<_>>());
    }
}

fn mpsc_unbounded_and_closed_channel_errors(rt: Runtime) {
    rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<&str>();
        ctxrt::spawn(async move {
            tx.send("a").unwrap();
            tx.send("b").unwrap();
        })
        .await
        .unwrap();
        assert_eq!(rx.recv().await, Some("a"));
        assert_eq!(rx.recv().await, Some("b"));
        assert_eq!(rx.recv().await, None, "all senders dropped");

        let (tx, rx) = mpsc::channel::<u8>(1);
        drop(rx);
        let err = tx.send(9).await.unwrap_err();
        assert_eq!(err.0, 9, "the value comes back when the receiver is gone");
    });
}

fn oneshot_replies_across_tasks(rt: Runtime) {
    rt.block_on(async {
        let (reply, answer) = oneshot::channel();
        ctxrt::spawn(async move {
            ctxrt::task::yield_now().await;
            reply.send(42u64).unwrap();
        });
        assert_eq!(answer.await.unwrap(), 42);

        let (reply, answer) = oneshot::channel::<u8>();
        ctxrt::spawn(async move { drop(reply) });
        assert!(answer.await.is_err(), "a dropped sender is a RecvError");
    });
}

fn broadcast_reaches_every_subscriber(rt: Runtime) {
    rt.block_on(async {
        let (tx, _) = broadcast::channel::<u32>(16);
        let mut subscribers = Vec::new();
        for _ in 0..3 {
            let mut rx = tx.subscribe();
            subscribers.push(ctxrt::spawn(async move {
                let mut seen = Vec::new();
                while let Ok(n) = rx.recv().await {
                    seen.push(n);
                }
                seen
            }));
        }
        for n in 0..5 {
            tx.send(n).unwrap();
        }
        drop(tx);
        for s in subscribers {
            assert_eq!(s.await.unwrap(), vec![0, 1, 2, 3, 4]);
        }
    });
}

fn watch_sees_the_latest_value(rt: Runtime) {
    rt.block_on(async {
        let (tx, mut rx) = watch::channel(0u32);
        let watcher = ctxrt::spawn(async move {
            while *rx.borrow_and_update() < 3 {
                rx.changed().await.expect("sender alive");
            }
            *rx.borrow()
        });
        for n in 1..=3 {
            tx.send(n).unwrap();
            ctxrt::task::yield_now().await;
        }
        assert_eq!(watcher.await.unwrap(), 3);
    });
}

fn a_receiving_task_keeps_its_own_context(rt: Runtime) {
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let (ack_tx, mut ack_rx) = mpsc::channel::<()>(1);
        ROLE.set("receiver");
        let receiver = ctxrt::spawn(async move {
            let mut seen = Vec::new();
            while let Some(n) = rx.recv().await {
                // Woken by the sender's task, polled in the receiver's context.
                seen.push((n, ROLE.get()));
                ROLE.set("receiver, after a message");
                ack_tx.send(()).await.unwrap();
            }
            seen
        });
        ROLE.set("sender");
        let sender = ctxrt::spawn(async move {
            for n in 0..3 {
                tx.send(n).await.unwrap();
                ack_rx.recv().await.unwrap();
                assert_eq!(ROLE.get(), Some("sender"), "the receiver's sets stay there");
            }
        });
        sender.await.unwrap();
        let seen = receiver.await.unwrap();
        assert_eq!(
            seen,
            vec![
                (0, Some("receiver")),
                (1, Some("receiver, after a message")),
                (2, Some("receiver, after a message")),
            ]
        );
        assert_eq!(ROLE.get(), Some("sender"));
    });
}

fn blocking_receive_from_a_plain_thread(rt: Runtime) {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let reader = std::thread::spawn(move || {
        let mut sum = 0;
        while let Some(n) = rx.blocking_recv() {
            sum += n;
        }
        sum
    });
    rt.block_on(async move {
        for n in 1..=4 {
            tx.send(n).await.unwrap();
        }
    });
    assert_eq!(reader.join().unwrap(), 10);
}

ctxrt_tests::on_both_flavors!(
    mpsc_bounded_delivers_everything_with_back_pressure,
    mpsc_unbounded_and_closed_channel_errors,
    oneshot_replies_across_tasks,
    broadcast_reaches_every_subscriber,
    watch_sees_the_latest_value,
    a_receiving_task_keeps_its_own_context,
    blocking_receive_from_a_plain_thread,
);
