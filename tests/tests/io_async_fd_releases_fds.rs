//! Dropping `AsyncFd`s while their runtime lives on releases every file descriptor they
//! owned (counted in /proc/self/fd), and their reactor slots: registering as many again
//! afterwards works. One test in this file: fd counts are process-wide, so nothing else
//! may run beside it.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::time::Duration;

use ctxrt::io::unix::AsyncFd;
use ctxrt_tests::within;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

const PAIRS: usize = 64;

fn run(rt: ctxrt::runtime::Runtime) {
    rt.block_on(within(Duration::from_secs(20), "AsyncFd fds", async {
        for round in 0..2 {
            let before = open_fds();
            let mut fds = Vec::new();
            for _ in 0..PAIRS {
                let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
                a.set_nonblocking(true).unwrap();
                b.write_all(b"!").unwrap();
                fds.push((AsyncFd::new(a).unwrap(), b));
            }
            for (a, _) in &fds {
                // Each registration is live and delivers its event.
                assert!(a.readable().await.unwrap().ready().is_readable());
            }
            assert_eq!(open_fds(), before + 2 * PAIRS, "round {round}");
            drop(fds);
            assert_eq!(open_fds(), before, "round {round}: every fd released");
        }
    }));
}

#[test]
fn dropping_async_fds_releases_their_fds_on_both_flavors() {
    run(ctxrt_tests::current_thread());
    run(ctxrt_tests::multi_thread());
}
