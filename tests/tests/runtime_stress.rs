//! Many tasks at once complete correctly and keep their contexts apart: 10,000 spawned
//! tasks (from `block_on` and from inside tasks) each awaited with the right output, and
//! 1,000 ping-pong pairs exchanging a ball over fresh `futures_channel::oneshot`s ten times
//! each, every player checking its own context binding after every receive. On the
//! multi-thread runtime (two workers), and on `current_thread` for comparison.

use std::time::{Duration, Instant};

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;

static ID: ContextVar<u64> = ContextVar::new("id");

on_both_flavors!(ten_thousand_tasks_each_awaited, thousand_ping_pong_pairs);

fn ten_thousand_tasks_each_awaited(rt: Runtime) {
    const FROM_BLOCK_ON: u64 = 5_000;
    const PER_PARENT: u64 = 50;
    const PARENTS: u64 = 100; // 100 * 50 = 5,000 spawned from inside tasks
    let (direct, nested) = rt.block_on(async {
        let _ = ID.set(1);
        let handles: Vec<_> = (0..FROM_BLOCK_ON)
            .map(|i| {
                ctxrt::spawn(async move {
                    if i % 3 == 0 {
                        yield_now().await;
                    }
                    // Inherited 1, plus the task's own index.
                    ID.get().expect("inherited") + i
                })
            })
            .collect();
        let parents: Vec<_> = (0..PARENTS)
            .map(|p| {
                ctxrt::spawn(async move {
                    let _ = ID.set(p * 1_000);
                    let children: Vec<_> = (0..PER_PARENT)
                        .map(|c| ctxrt::spawn(async move { ID.get().expect("inherited") + c }))
                        .collect();
                    let mut sum = 0;
                    for child in children {
                        sum += child.await.expect("child completes");
                    }
                    sum
                })
            })
            .collect();
        let mut direct = Vec::with_capacity(handles.len());
        for handle in handles {
            direct.push(handle.await.expect("task completes"));
        }
        let mut nested = Vec::with_capacity(parents.len());
        for parent in parents {
            nested.push(parent.await.expect("parent completes"));
        }
        (direct, nested)
    });
    let expected: Vec<u64> = (0..FROM_BLOCK_ON).map(|i| 1 + i).collect();
    assert_eq!(direct, expected);
    let child_sum: u64 = (0..PER_PARENT).sum();
    let expected: Vec<u64> = (0..PARENTS)
        .map(|p| p * 1_000 * PER_PARENT + child_sum)
        .collect();
    assert_eq!(nested, expected);
    // A task leaves the runtime's list just after waking its JoinHandle.
    let deadline = Instant::now() + Duration::from_secs(10);
    while rt.handle().num_alive_tasks() != 0 {
        assert!(
            Instant::now() < deadline,
            "tasks still alive after completing"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The ball: its count, and where to send it next (`None`: the rally is over).
struct Ball {
    count: u64,
    reply: Option<oneshot::Sender<Ball>>,
}

/// Receives the ball, checks its own binding, and returns it with a fresh channel for the
/// answer, until `rounds` passes. Returns the final count and any binding mismatches.
async fn player(id: u64, mut inbox: oneshot::Receiver<Ball>, rounds: u64) -> (u64, u64) {
    let _ = ID.set(id);
    let mut mismatches = 0;
    loop {
        let ball = inbox.await.expect("the other player sends the ball");
        if ID.get() != Some(id) {
            mismatches += 1;
        }
        let Some(reply) = ball.reply else {
            return (ball.count, mismatches);
        };
        if ball.count == rounds {
            let last = Ball {
                count: ball.count,
                reply: None,
            };
            reply.send(last).ok().expect("the other player waits");
            return (ball.count, mismatches);
        }
        let (tx, rx) = oneshot::channel();
        let next = Ball {
            count: ball.count + 1,
            reply: Some(tx),
        };
        reply.send(next).ok().expect("the other player waits");
        inbox = rx;
    }
}

fn thousand_ping_pong_pairs(rt: Runtime) {
    const PAIRS: u64 = 1_000;
    const ROUNDS: u64 = 10;
    let results = rt.block_on(async {
        let mut games = Vec::new();
        for pair in 0..PAIRS {
            let (serve_tx, serve_rx) = oneshot::channel();
            let (first_tx, first_rx) = oneshot::channel();
            let ping = ctxrt::spawn(player(pair * 2, first_rx, ROUNDS));
            let pong = ctxrt::spawn(player(pair * 2 + 1, serve_rx, ROUNDS));
            // Serve: pong receives count 0 with ping's inbox as the reply address.
            let serve = Ball {
                count: 0,
                reply: Some(first_tx),
            };
            serve_tx.send(serve).ok().expect("pong waits");
            games.push((ping, pong));
        }
        let mut results = Vec::new();
        for (ping, pong) in games {
            let ping = ping.await.expect("ping completes");
            let pong = pong.await.expect("pong completes");
            results.push((ping, pong));
        }
        results
    });
    assert_eq!(results.len(), PAIRS as usize);
    for (pair, (ping, pong)) in results.into_iter().enumerate() {
        assert_eq!(ping, (ROUNDS, 0), "pair {pair}: ping");
        assert_eq!(pong, (ROUNDS, 0), "pair {pair}: pong");
    }
}
