//! I/O and timer rows: ctxrt's reactor and timer wheel against tokio's, both runtimes
//! built with `enable_all()` and 2 workers (or current_thread where named).
//!
//! - `tcp_echo_64x1k`: per round trip, 64 loopback connections each echoing 1 KiB
//!   messages through a server task per connection (set up untimed; the timed part is
//!   `iters` round trips on every connection at once).
//! - `timer_churn`: per timeout, `timeout(1 s, ready)` awaited in a task: the timer is
//!   created and dropped around a future that is ready at once.
//! - `sleep_100k_random`: per sleep, 100,000 tasks sleeping 1–100 ms (deterministic
//!   pseudo-random), all awaited; `sleep_100k_random_rss` reports the RSS growth of the
//!   same run per sleeping task.
//!
//! Called by the registry in `lib.rs`.

use std::time::{Duration, Instant};

use crate::memory::RssProbe;
use crate::workload::{Batch, Contender, Measurement, Unit, Workload};

const CONNECTIONS: usize = 64;
const MESSAGE: usize = 1024;
const SLEEPS: u64 = 100_000;

/// The I/O rows, in table order.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::io_workloads::workloads();
/// assert!(rows.iter().any(|w| w.name == "tcp_echo_64x1k"));
/// ```
pub fn workloads() -> Vec<Workload> {
    let side = |name, run| Contender { name, run };
    let mut sleeps = Workload::timed(
        "sleep_100k_random",
        "per sleep: 100,000 tasks each sleeping 1-100 ms, all awaited (all must fire)",
        SLEEPS,
        None,
        side("ctxrt (2 workers)", ctxrt_sleeps),
        side("tokio (2 workers)", tokio_sleeps),
    );
    sleeps.batch = Batch::Fixed { full: 1, quick: 1 };
    sleeps.max_pairs = Some(3);
    let sleeps_rss = Workload {
        name: "sleep_100k_random_rss",
        description: "RSS growth per sleeping task in the sleep_100k_random run",
        unit: Unit::Bytes,
        batch: Batch::Fixed { full: 1, quick: 1 },
        items: SLEEPS,
        max_pairs: Some(3),
        target: None,
        subject_max: None,
        subject: side("ctxrt (2 workers)", ctxrt_sleeps_rss),
        baseline: side("tokio (2 workers)", tokio_sleeps_rss),
    };
    vec![
        Workload::timed(
            "tcp_echo_64x1k",
            "per round trip: 64 loopback connections x 1 KiB echoed by a server task each",
            CONNECTIONS as u64,
            Some(1.0),
            side("ctxrt (2 workers)", ctxrt_tcp_echo),
            side("tokio (2 workers)", tokio_tcp_echo),
        ),
        Workload::timed(
            "timer_churn",
            "per timeout: timeout(1 s, a ready future) awaited in a task",
            1,
            Some(0.9),
            side("ctxrt (2 workers)", ctxrt_timer_churn),
            side("tokio (2 workers)", tokio_timer_churn),
        ),
        sleeps,
        sleeps_rss,
    ]
}

fn ms_for(i: u64) -> u64 {
    1 + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) % 100
}

macro_rules! io_sides {
    (
        $rt:expr, $spawn:path, $listener:ty, $stream:ty, $timeout:path, $sleep:path,
        $read_ext:path, $write_ext:path,
        echo: $echo:ident, churn: $churn:ident, sleeps: $sleeps:ident, rss: $rss:ident
    ) => {
        /// One side of `tcp_echo_64x1k`.
        pub fn $echo(iters: u64) -> Measurement {
            use $read_ext as _;
            use $write_ext as _;
            let rt = $rt;
            rt.block_on(async {
                let listener = <$listener>::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let server = $spawn(async move {
                    for _ in 0..CONNECTIONS {
                        let (mut stream, _) = listener.accept().await.unwrap();
                        stream.set_nodelay(true).unwrap();
                        drop($spawn(async move {
                            let mut buf = vec![0u8; MESSAGE];
                            while stream.read_exact(&mut buf).await.is_ok() {
                                if stream.write_all(&buf).await.is_err() {
                                    break;
                                }
                            }
                        }));
                    }
                });
                let mut clients = Vec::new();
                for _ in 0..CONNECTIONS {
                    let stream = <$stream>::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    clients.push(stream);
                }
                server.await.unwrap();
                let start = Instant::now();
                let tasks: Vec<_> = clients
                    .into_iter()
                    .map(|mut stream| {
                        $spawn(async move {
                            let out = vec![7u8; MESSAGE];
                            let mut back = vec![0u8; MESSAGE];
                            for _ in 0..iters {
                                stream.write_all(&out).await.unwrap();
                                stream.read_exact(&mut back).await.unwrap();
                            }
                            stream
                        })
                    })
                    .collect();
                let mut streams = Vec::new();
                for task in tasks {
                    streams.push(task.await.unwrap());
                }
                let elapsed = start.elapsed();
                drop(streams);
                Measurement::Elapsed(elapsed)
            })
        }

        /// One side of `timer_churn`.
        pub fn $churn(iters: u64) -> Measurement {
            let rt = $rt;
            let elapsed = rt.block_on(async {
                $spawn(async move {
                    let start = Instant::now();
                    for i in 0..iters {
                        let out = $timeout(Duration::from_secs(1), std::future::ready(i)).await;
                        std::hint::black_box(out.unwrap());
                    }
                    start.elapsed()
                })
                .await
                .unwrap()
            });
            Measurement::Elapsed(elapsed)
        }

        fn $rss(iters: u64) -> (Duration, i64) {
            let rt = $rt;
            let probe = RssProbe::start();
            let (elapsed, growth) = rt.block_on(async {
                let start = Instant::now();
                let mut growth = 0;
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..SLEEPS)
                        .map(|i| $spawn($sleep(Duration::from_millis(ms_for(i)))))
                        .collect();
                    // Measured while every sleep is pending.
                    $sleep(Duration::from_millis(1)).await;
                    growth = growth.max(probe.growth());
                    for task in tasks {
                        task.await.unwrap();
                    }
                }
                (start.elapsed(), growth)
            });
            drop(rt);
            (elapsed, growth)
        }

        /// One side of `sleep_100k_random`.
        pub fn $sleeps(iters: u64) -> Measurement {
            Measurement::Elapsed($rss(iters).0)
        }
    };
}

mod ctxrt_side {
    use super::*;
    io_sides!(
        ctxrt::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap(),
        ctxrt::spawn,
        ctxrt::net::TcpListener,
        ctxrt::net::TcpStream,
        ctxrt::time::timeout,
        ctxrt::time::sleep,
        futures_util::io::AsyncReadExt,
        futures_util::io::AsyncWriteExt,
        echo: ctxrt_tcp_echo, churn: ctxrt_timer_churn, sleeps: ctxrt_sleeps, rss: ctxrt_rss
    );

    /// RSS side of `sleep_100k_random_rss`.
    pub fn ctxrt_sleeps_rss(iters: u64) -> Measurement {
        Measurement::Bytes(ctxrt_rss(iters).1)
    }
}

mod tokio_side {
    use super::*;
    io_sides!(
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap(),
        tokio::spawn,
        tokio::net::TcpListener,
        tokio::net::TcpStream,
        tokio::time::timeout,
        tokio::time::sleep,
        tokio::io::AsyncReadExt,
        tokio::io::AsyncWriteExt,
        echo: tokio_tcp_echo, churn: tokio_timer_churn, sleeps: tokio_sleeps, rss: tokio_rss
    );

    /// RSS side of `sleep_100k_random_rss`.
    pub fn tokio_sleeps_rss(iters: u64) -> Measurement {
        Measurement::Bytes(tokio_rss(iters).1)
    }
}

pub use ctxrt_side::{ctxrt_sleeps, ctxrt_sleeps_rss, ctxrt_tcp_echo, ctxrt_timer_churn};
pub use tokio_side::{tokio_sleeps, tokio_sleeps_rss, tokio_tcp_echo, tokio_timer_churn};
