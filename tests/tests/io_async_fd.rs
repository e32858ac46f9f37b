//! `ctxrt::io::unix::AsyncFd` driving a socketpair: an echo through readiness guards
//! (`try_io` on both sides, shared and `_mut` guards, 256 KiB so both directions meet
//! `WouldBlock`), `clear_ready` making the next wait sleep until a new edge while a kept
//! readiness returns at once, a closed peer reading as readable-then-0, and `into_inner`
//! / drop deregistering the fd (registering the same fd again succeeds; epoll would
//! refuse a duplicate).
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use ctxrt::io::unix::AsyncFd;
use ctxrt::io::{Interest, Ready};
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;

const BYTES: usize = 256 * 1024;

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Reads what is there, waiting through the shared guard.
async fn read_some(fd: &AsyncFd<UnixStream>, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        let mut guard = fd.readable().await?;
        match guard.try_io(|fd| fd.get_ref().read(buf)) {
            Ok(result) => return result,
            Err(_would_block) => continue,
        }
    }
}

/// Writes all of `data`, waiting through the `_mut` guard.
async fn write_all_mut(fd: &mut AsyncFd<UnixStream>, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        let mut guard = fd.writable_mut().await?;
        match guard.try_io(|fd| fd.get_mut().write(data)) {
            Ok(result) => data = &data[result?..],
            Err(_would_block) => continue,
        }
    }
    Ok(())
}

fn echo_through_guards(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(30), "AsyncFd echo", async {
        let (a, b) = pair();
        let echo = ctxrt::spawn(async move {
            let mut b = AsyncFd::new(b).unwrap();
            let mut buf = vec![0u8; 8192];
            let mut total = 0;
            loop {
                // Read with the mutable guard, write with the shared one from the poll_ fn.
                let n = loop {
                    let mut guard = b.readable_mut().await.unwrap();
                    if let Ok(result) = guard.try_io(|fd| fd.get_mut().read(&mut buf)) {
                        break result.unwrap();
                    }
                };
                if n == 0 {
                    return total;
                }
                total += n;
                let mut rest = &buf[..n];
                while !rest.is_empty() {
                    let mut guard = std::future::poll_fn(|cx| b.poll_write_ready(cx))
                        .await
                        .unwrap();
                    if let Ok(result) = guard.try_io(|fd| fd.get_ref().write(rest)) {
                        rest = &rest[result.unwrap()..];
                    }
                }
            }
        });
        let mut a = AsyncFd::new(a).unwrap();
        let data: Vec<u8> = (0..BYTES).map(|i| (i % 253) as u8).collect();
        let mut got = Vec::with_capacity(BYTES);
        let mut buf = vec![0u8; 8192];
        // Write and read at once: the echo blocks on a full buffer otherwise.
        let mut sent = 0;
        while got.len() < BYTES {
            if sent < BYTES {
                let end = (sent + 16 * 1024).min(BYTES);
                write_all_mut(&mut a, &data[sent..end]).await.unwrap();
                sent = end;
            }
            while got.len() < sent {
                let n = read_some(&a, &mut buf).await.unwrap();
                assert_ne!(n, 0, "the echo closed early");
                got.extend_from_slice(&buf[..n]);
            }
        }
        assert_eq!(got, data);
        a.get_ref().shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(echo.await.unwrap(), BYTES);
    }));
}

fn clear_ready_waits_for_a_new_edge(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(10),
        "AsyncFd clear_ready",
        async {
            let (a, mut b) = pair();
            let a = AsyncFd::with_interest(a, Interest::READABLE).unwrap();
            b.write_all(b"one").unwrap();
            let mut buf = [0u8; 16];
            let mut guard = a.readable().await.unwrap();
            assert!(guard.ready().is_readable());
            assert_eq!(
                guard
                    .try_io(|fd| fd.get_ref().read(&mut buf))
                    .unwrap()
                    .unwrap(),
                3
            );
            // Drained but not cleared: the readiness is kept, so this returns at once ...
            let mut guard = a.readable().await.unwrap();
            // ... and the read that would block clears it.
            assert!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err());
            assert!(guard.ready().is_empty());
            let pending = ctxrt::time::timeout(Duration::from_millis(30), a.readable()).await;
            assert!(
                pending.is_err(),
                "readable without a new edge after clear_ready"
            );

            // A new edge wakes a waiter that is already parked.
            let wait = async {
                let guard = a.readable().await.unwrap();
                guard.ready()
            };
            let write = async {
                ctxrt::time::sleep(Duration::from_millis(10)).await;
                b.write_all(b"two").unwrap();
            };
            let (ready, ()) = futures::join!(wait, write);
            assert!(ready.is_readable());

            // clear_ready by hand, then retain_ready: the latter keeps it.
            let mut guard = a.readable().await.unwrap();
            assert_eq!(guard.get_inner().read(&mut buf).unwrap(), 3);
            guard.retain_ready();
            let mut guard = a.readable().await.unwrap();
            guard.clear_ready();
            let pending = ctxrt::time::timeout(Duration::from_millis(30), a.readable()).await;
            assert!(
                pending.is_err(),
                "readable after clear_ready with no new data"
            );
        },
    ));
}

fn clear_ready_matching_keeps_the_rest(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(10),
        "AsyncFd clear matching",
        async {
            let (a, mut b) = pair();
            let mut a = AsyncFd::new(a).unwrap();
            b.write_all(b"x").unwrap();
            a.readable().await.unwrap().retain_ready();
            let mut guard = a
                .ready_mut(Interest::READABLE | Interest::WRITABLE)
                .await
                .unwrap();
            assert!(guard.ready().is_readable() && guard.ready().is_writable());
            guard.clear_ready_matching(Ready::WRITABLE);
            assert!(guard.ready().is_readable() && !guard.ready().is_writable());
            // Still readable (kept), no longer writable (cleared, and no new edge).
            assert!(a
                .ready(Interest::READABLE)
                .await
                .unwrap()
                .ready()
                .is_readable());
            let writable = ctxrt::time::timeout(Duration::from_millis(30), a.writable()).await;
            assert!(writable.is_err(), "writable readiness was cleared");
        },
    ));
}

fn closed_peer_is_readable_with_a_zero_read(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(10),
        "AsyncFd peer closed",
        async {
            let (a, b) = pair();
            let a = AsyncFd::new(a).unwrap();
            let waiter = async {
                let mut guard = a.readable().await.unwrap();
                let ready = guard.ready();
                let n = guard
                    .try_io(|fd| fd.get_ref().read(&mut [0u8; 8]))
                    .expect("a closed peer does not block")
                    .unwrap();
                (ready, n)
            };
            let closer = async {
                ctxrt::time::sleep(Duration::from_millis(10)).await;
                drop(b);
            };
            let ((ready, n), ()) = futures::join!(waiter, closer);
            assert!(ready.is_read_closed(), "{ready:?}");
            assert_eq!(n, 0);
            // Closed is final: it is never cleared, so every later wait returns at once.
            assert!(a.readable().await.unwrap().ready().is_read_closed());
            let n = a
                .async_io(Interest::READABLE, |s| (&*s).read(&mut [0u8; 8]))
                .await
                .unwrap();
            assert_eq!(n, 0);
        },
    ));
}

/// A borrowed fd, so the test keeps the socket while `AsyncFd`s come and go.
#[derive(Debug)]
struct Borrowed<'a>(&'a UnixStream);

impl AsRawFd for Borrowed<'_> {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

fn drop_and_into_inner_deregister(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(10),
        "AsyncFd deregisters",
        async {
            let (a, mut b) = pair();
            let first = AsyncFd::new(Borrowed(&a)).unwrap();
            // While registered, epoll refuses the same fd again.
            let err = AsyncFd::new(Borrowed(&a)).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc_eexist()), "{err}");
            drop(first);
            let second = AsyncFd::new(Borrowed(&a)).expect("drop deregistered the fd");
            let inner = second.into_inner();
            let third = AsyncFd::new(inner).expect("into_inner deregistered the fd");
            // And the new registration works.
            b.write_all(b"z").unwrap();
            let mut guard = third.readable().await.unwrap();
            let n = guard
                .try_io(|fd| {
                    let mut socket = fd.get_ref().0;
                    socket.read(&mut [0u8; 1])
                })
                .unwrap()
                .unwrap();
            assert_eq!(n, 1);
            drop(third);
            // The socket stayed the test's: still open and usable after every AsyncFd went.
            b.write_all(b"y").unwrap();
            let mut a = a;
            let mut byte = [0u8; 1];
            a.read_exact(&mut byte).unwrap();
            assert_eq!(&byte, b"y");
        },
    ));
}

fn libc_eexist() -> i32 {
    std::io::Error::from(std::io::ErrorKind::AlreadyExists)
        .raw_os_error()
        .unwrap_or(17) // EEXIST on Linux and the BSDs
}

ctxrt_tests::on_both_flavors!(
    echo_through_guards,
    clear_ready_waits_for_a_new_edge,
    clear_ready_matching_keeps_the_rest,
    closed_peer_is_readable_with_a_zero_read,
    drop_and_into_inner_deregister
);

#[test]
#[should_panic(expected = "enable_io")]
fn async_fd_on_a_runtime_without_io_panics() {
    let rt = ctxrt::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (a, _b) = pair();
    let _guard = rt.enter();
    let _ = AsyncFd::new(a);
}

#[test]
#[should_panic(expected = "ctxrt::io::unix::AsyncFd must be used inside a ctxrt runtime")]
fn async_fd_outside_a_runtime_panics() {
    let (a, _b) = pair();
    let _ = AsyncFd::new(a);
}
