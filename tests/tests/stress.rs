//! The stress binary: hammer scenarios from the reliability audit (issue 8), each bounded
//! by a watchdog so a hang fails within seconds, the whole binary well under a minute.
//! Run it alone with `cargo test -p ctxrt-tests --test stress` (a name filter such as
//! `cargo test -p ctxrt-tests stress` matches test *names* in every binary, not this file).
//!
//! - 1M tiny tasks spawned and awaited, from `block_on` and from inside tasks;
//! - rings of tasks passing a token around over oneshots, so every hop is a wake of a task
//!   that may sit on another worker;
//! - abort storms: thousands of pending tasks aborted from several threads at once while
//!   they are being woken;
//! - runtimes dropped with everything in flight: running, queued and idle tasks, wakes,
//!   blocking jobs; every future dropped exactly once and every runtime freed;
//! - 64 threads in `Handle::block_on` at once;
//! - blocking floods: far more `spawn_blocking` jobs than the thread cap allows at once.
//!
//! On both flavours.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    a_million_tiny_tasks,
    rings_of_wakes,
    abort_storms,
    runtime_drops_with_everything_in_flight,
    sixty_four_threads_in_block_on,
    blocking_flood_at_the_thread_cap,
);

static ID: ContextVar<usize> = ContextVar::new("stress_id");

/// Runs `f` on its own thread; panics if it takes longer than `secs` seconds.
fn watchdog<T: Send + 'static>(what: &str, secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()).unwrap());
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no result after {secs} s (hang)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the scenario panicked"),
    }
}

fn is_multi_thread(rt: &Runtime) -> bool {
    format!("{rt:?}").contains("MultiThread")
}

/// Counts drops of the values it hands out.
#[derive(Clone, Default)]
struct Drops(Arc<AtomicUsize>);

struct Tracked(Arc<AtomicUsize>);

impl Drops {
    fn track(&self) -> Tracked {
        Tracked(self.0.clone())
    }
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn a_million_tiny_tasks(rt: Runtime) {
    const PARENTS: usize = 1_000;
    const CHILDREN: usize = 999; // plus the parents: 1,000,000 tasks
    let total = watchdog("1M tiny tasks", 50, move || {
        rt.block_on(async {
            let parents: Vec<_> = (0..PARENTS)
                .map(|p| {
                    ctxrt::spawn(async move {
                        let _ = ID.set(p);
                        let children: Vec<_> = (0..CHILDREN)
                            .map(|_| ctxrt::spawn(async { ID.get().unwrap() }))
                            .collect();
                        let mut sum = 0;
                        for child in children {
                            sum += child.await.unwrap();
                        }
                        assert_eq!(sum, p * CHILDREN, "a child saw another parent's context");
                        1 + CHILDREN
                    })
                })
                .collect();
            let mut total = 0;
            for parent in parents {
                total += parent.await.unwrap();
            }
            total
        })
    });
    assert_eq!(total, 1_000_000);
}

fn rings_of_wakes(rt: Runtime) {
    const RINGS: usize = 20;
    const SIZE: usize = 50;
    const LAPS: usize = 20;
    const HOPS: usize = SIZE * LAPS;
    let hops = watchdog("rings of wakes", 30, move || {
        rt.block_on(async {
            let mut ends = Vec::new();
            let mut members = Vec::new();
            for ring in 0..RINGS {
                // Channel k carries the token into hop k; hop k is member k % SIZE's.
                let (mut senders, mut receivers): (Vec<_>, Vec<_>) =
                    (0..=HOPS).map(|_| oneshot::channel::<usize>()).unzip();
                let end = receivers.pop().unwrap();
                let start = senders.remove(0);
                // Member m: the receivers of its hops and the senders to the next hops.
                let mut plans: Vec<Vec<_>> = (0..SIZE).map(|_| Vec::new()).collect();
                for (k, (rx, tx)) in receivers.into_iter().zip(senders).enumerate() {
                    plans[k % SIZE].push((rx, tx));
                }
                for (m, plan) in plans.into_iter().enumerate() {
                    members.push(ctxrt::spawn(async move {
                        let me = ring * 1_000 + m;
                        let _ = ID.set(me);
                        let mut count = 0;
                        for (rx, tx) in plan {
                            let hop = rx.await.expect("the previous member sent the token");
                            assert_eq!(ID.get(), Some(me), "a wake crossed contexts");
                            count += 1;
                            tx.send(hop + 1).unwrap();
                        }
                        count
                    }));
                }
                start.send(0).unwrap();
                ends.push(end);
            }
            for end in ends {
                assert_eq!(end.await.unwrap(), HOPS);
            }
            let mut hops = 0;
            for member in members {
                hops += member.await.unwrap();
            }
            hops
        })
    });
    assert_eq!(hops, RINGS * HOPS);
}

fn abort_storms(rt: Runtime) {
    const TASKS: usize = 10_000;
    const ABORTERS: usize = 4;
    let rt = Arc::new(rt);
    let drops = Drops::default();
    let counted = drops.clone();
    let runtime = rt.clone();
    watchdog("abort storm", 30, move || {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                let tracked = counted.track();
                runtime.spawn(async move {
                    let _tracked = tracked;
                    // Half of them keep yielding (woken while aborted), half sleep forever.
                    if i % 2 == 0 {
                        loop {
                            yield_now().await;
                        }
                    } else {
                        std::future::pending::<()>().await;
                    }
                })
            })
            .collect();
        let handles = Arc::new(handles);
        let start = Arc::new(Barrier::new(ABORTERS));
        let aborters: Vec<_> = (0..ABORTERS)
            .map(|a| {
                let handles = handles.clone();
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    // Each aborter walks the handles from a different offset.
                    for i in 0..TASKS {
                        handles[(i + a * TASKS / ABORTERS) % TASKS].abort();
                    }
                })
            })
            .collect();
        for aborter in aborters {
            aborter.join().unwrap();
        }
        let handles = Arc::try_unwrap(handles).ok().unwrap();
        runtime.block_on(async move {
            for handle in handles {
                assert!(handle.await.unwrap_err().is_cancelled());
            }
        });
    });
    assert_eq!(drops.count(), TASKS, "every aborted future is dropped once");
    // A finished task leaves the runtime's task list just after its JoinHandle can see the
    // output (as in tokio), so the count may lag the last `await` by a moment; it must
    // still reach zero: nothing aborted stays registered.
    let handle = rt.handle().clone();
    ctxrt_tests::wait_until_blocking("every aborted task has left the task list", || {
        handle.num_alive_tasks() == 0
    });
}

fn runtime_drops_with_everything_in_flight(rt: Runtime) {
    const RUNTIMES: usize = 40;
    const TASKS: usize = 500;
    let multi = is_multi_thread(&rt);
    drop(rt);
    let drops = Drops::default();
    let counted = drops.clone();
    let made = watchdog("runtime drops", 40, move || {
        let mut made = 0;
        for round in 0..RUNTIMES {
            let marker = Arc::new(());
            let held = marker.clone();
            let mut builder = ctxrt_tests::builder(!multi);
            let rt = builder
                .max_blocking_threads(4)
                .on_thread_stop(move || {
                    let _ = &held;
                })
                .build()
                .unwrap();
            // The builder holds the hook (and so the marker) too.
            drop(builder);
            let mut gates = Vec::new();
            for i in 0..TASKS {
                let tracked = counted.track();
                made += 1;
                match i % 4 {
                    // Idle forever, holding a gate someone else may drop.
                    0 => {
                        let (tx, rx) = oneshot::channel::<()>();
                        gates.push(tx);
                        drop(rt.spawn(async move {
                            let _tracked = tracked;
                            let _ = rx.await;
                            std::future::pending::<()>().await;
                        }));
                    }
                    // Busy: yields in a loop, so it is queued or running at the drop.
                    1 => drop(rt.spawn(async move {
                        let _tracked = tracked;
                        loop {
                            yield_now().await;
                        }
                    })),
                    // Spawns children while the runtime goes away.
                    2 => drop(rt.spawn(async move {
                        let _tracked = tracked;
                        for _ in 0..10 {
                            drop(ctxrt::spawn(async { yield_now().await }));
                            yield_now().await;
                        }
                    })),
                    // A short blocking job.
                    _ => drop(rt.spawn_blocking(move || {
                        let _tracked = tracked;
                        thread::sleep(Duration::from_micros(50));
                    })),
                }
            }
            // Wakes in flight from another thread as the runtime drops.
            let waker = thread::spawn(move || {
                for gate in gates {
                    let _ = gate.send(());
                }
            });
            if round % 2 == 0 && !multi {
                // Give a current_thread runtime a few turns first.
                rt.block_on(async {
                    for _ in 0..10 {
                        yield_now().await;
                    }
                });
            }
            drop(rt);
            waker.join().unwrap();
            // Blocking-pool threads are detached: one may still be returning (dropping
            // its handle) just after the drop returns. A leaked runtime never comes back.
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while Arc::strong_count(&marker) != 1 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "round {round}: the runtime leaked"
                );
                thread::sleep(Duration::from_millis(1));
            }
        }
        made
    });
    assert_eq!(
        drops.count(),
        made,
        "every future and job dropped exactly once"
    );
}

fn sixty_four_threads_in_block_on(rt: Runtime) {
    const THREADS: usize = 64;
    const ROUNDS: usize = 5;
    let handle = rt.handle().clone();
    let sums = watchdog("64 threads in block_on", 30, move || {
        let mut sums = Vec::new();
        for _ in 0..ROUNDS {
            let start = Arc::new(Barrier::new(THREADS));
            let callers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let handle = handle.clone();
                    let start = start.clone();
                    thread::spawn(move || {
                        start.wait();
                        handle.block_on(async move {
                            let mut sum = 0;
                            for i in 0..10 {
                                sum += ctxrt::spawn(async move {
                                    yield_now().await;
                                    t + i
                                })
                                .await
                                .unwrap();
                            }
                            sum
                        })
                    })
                })
                .collect();
            let sum: usize = callers.into_iter().map(|c| c.join().unwrap()).sum();
            sums.push(sum);
        }
        sums
    });
    let expected: usize = (0..THREADS).map(|t| 10 * t + 45).sum();
    assert!(sums.iter().all(|&s| s == expected), "{sums:?}");
    drop(rt);
}

fn blocking_flood_at_the_thread_cap(rt: Runtime) {
    const CAP: usize = 4;
    const JOBS: usize = 2_000;
    let multi = is_multi_thread(&rt);
    drop(rt);
    let (ran, peak) = watchdog("blocking flood", 30, move || {
        let rt = ctxrt_tests::builder(!multi)
            .max_blocking_threads(CAP)
            .thread_keep_alive(Duration::from_millis(1))
            .build()
            .unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let ran = rt.block_on(async {
            let jobs: Vec<_> = (0..JOBS)
                .map(|i| {
                    let running = running.clone();
                    let peak = peak.clone();
                    ctxrt::spawn_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        if i % 100 == 0 {
                            // Let the keep-alive expire now and then, mid-flood.
                            thread::sleep(Duration::from_millis(2));
                        }
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                })
                .collect();
            let mut ran = 0;
            for (i, job) in jobs.into_iter().enumerate() {
                assert_eq!(job.await.unwrap(), i);
                ran += 1;
            }
            ran
        });
        drop(rt);
        (ran, peak.load(Ordering::SeqCst))
    });
    assert_eq!(ran, JOBS);
    assert!(
        peak <= CAP,
        "{peak} jobs ran at once, above the cap of {CAP}"
    );
}
