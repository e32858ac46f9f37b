//! Many threads in `Handle::block_on` at once. On `current_thread` one of them drives the
//! core and the others wait for it; each give-back must wake every waiter that is still
//! waiting, including one that was woken before, lost the race for the core, and went back
//! to sleep (it used to be dropped from the waiter list, and with three or more callers
//! some rounds hung forever). Each round is bounded: a hang fails the test in seconds.
//! On both flavours.

use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(concurrent_block_on_callers_all_finish);

const THREADS: usize = 6;
const ROUNDS: usize = 200;
/// Spawned tasks each caller awaits in turn: each is a chance for the core to change hands.
const HOPS: usize = 10;

fn concurrent_block_on_callers_all_finish(rt: Runtime) {
    let handle = rt.handle().clone();
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        for round in 0..ROUNDS {
            let start = Arc::new(Barrier::new(THREADS));
            let callers: Vec<_> = (0..THREADS)
                .map(|i| {
                    let handle = handle.clone();
                    let start = start.clone();
                    thread::spawn(move || {
                        start.wait();
                        handle.block_on(async move {
                            // Needs the core: spawned tasks must run for this to finish.
                            let mut sum = 0;
                            for _ in 0..HOPS {
                                let task = ctxrt::spawn(async move {
                                    yield_now().await;
                                    i
                                });
                                sum += task.await.unwrap();
                            }
                            sum
                        })
                    })
                })
                .collect();
            for (i, caller) in callers.into_iter().enumerate() {
                assert_eq!(caller.join().unwrap(), i * HOPS);
            }
            done.send(round).unwrap();
        }
    });
    for round in 0..ROUNDS {
        match finished.recv_timeout(Duration::from_secs(10)) {
            Ok(r) => assert_eq!(r, round),
            Err(_) => panic!("round {round}: a block_on caller never finished (lost wake-up)"),
        }
    }
    runner.join().unwrap();
}
