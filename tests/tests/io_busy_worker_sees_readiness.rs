//! A worker that never goes idle still sees I/O readiness: its fairness tick polls the
//! reactor (`Builder::event_interval`). Nobody is parked in the driver here (the one
//! worker, or the `current_thread` core, is kept busy by a task that only yields), so the
//! tick is the only way the reader's readiness can arrive. The socket is registered after
//! the runtime started with no I/O source at all, so the tick's "any source registered?"
//! check has to see the registration. On both flavours.

use std::io::Write;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ctxrt::net::UnixStream;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(flag: a_busy_worker_sees_a_socket_become_readable);

/// Yields of the spinning task before the test gives up: far more than the event interval
/// (61) times the ticks the readiness needs, and a few seconds at most.
const MAX_SPINS: u64 = 20_000_000;

fn a_busy_worker_sees_a_socket_become_readable(current_thread: bool) {
    // One worker (ignored on `current_thread`): a second one would go idle and park in
    // the driver, and see the readiness there.
    let rt = ctxrt_tests::builder(current_thread)
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (ours, theirs) = StdUnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let got = rt.block_on(async move {
        let stop = Arc::new(AtomicBool::new(false));
        let spinner_stop = stop.clone();
        let spinner = ctxrt::spawn(async move {
            let mut spins = 0u64;
            while !spinner_stop.load(Ordering::Acquire) {
                assert!(
                    spins < MAX_SPINS,
                    "the socket's readiness never reached the busy worker"
                );
                spins += 1;
                ctxrt::task::yield_now().await;
            }
            spins
        });
        // Let the spinner occupy the worker before the socket is registered.
        ctxrt::task::yield_now().await;
        let stream = UnixStream::from_std(ours).unwrap();
        let reader = ctxrt::spawn(async move {
            let mut buf = [0u8; 16];
            loop {
                stream.readable().await.unwrap();
                match stream.try_read(&mut buf) {
                    Ok(n) => {
                        stop.store(true, Ordering::Release);
                        return buf[..n].to_vec();
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(err) => panic!("read failed: {err}"),
                }
            }
        });
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            (&theirs).write_all(b"hello").unwrap();
            theirs
        });
        let got = reader.await.unwrap();
        let spins = spinner.await.unwrap();
        assert!(spins > 0, "the spinner ran");
        drop(writer.join().unwrap());
        got
    });
    assert_eq!(got, b"hello");
}
