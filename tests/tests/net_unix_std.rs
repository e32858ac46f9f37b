//! `from_std`/`into_std` for the Unix types: a std socket taken in is driven by the
//! reactor (made non-blocking), and one given back out is deregistered and still works
//! as a plain (non-blocking) std socket — the same fd, both ways.
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ctxrt::net::{UnixDatagram, UnixListener, UnixStream};
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;
use futures::io::{AsyncReadExt, AsyncWriteExt};

fn stream_round_trips_through_std(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "unix stream std", async {
        let (std_a, mut std_b) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = std_a.as_raw_fd();
        let mut a = UnixStream::from_std(std_a).unwrap();
        // Nothing written yet: a blocking std stream would hang here; this one waits.
        let reader = ctxrt::spawn(async move {
            let mut buf = [0u8; 3];
            a.read_exact(&mut buf).await.unwrap();
            (a, buf)
        });
        ctxrt::time::sleep(Duration::from_millis(5)).await;
        std_b.write_all(b"abc").unwrap();
        let (a, buf) = reader.await.unwrap();
        assert_eq!(&buf, b"abc");
        let mut std_a = a.into_std().unwrap();
        assert_eq!(std_a.as_raw_fd(), fd, "the same socket comes back");
        // Given back non-blocking, as tokio does.
        let err = std_a.read(&mut [0u8; 1]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        std_a.write_all(b"back").unwrap();
        let mut buf = [0u8; 4];
        std_b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"back");
    }));
}

fn listener_round_trips_through_std(rt: Runtime) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "ctxrt-net-unix-std-{}-{}.sock",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    rt.block_on(within(
        Duration::from_secs(10),
        "unix listener std",
        async {
            let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
            let listener = UnixListener::from_std(std_listener).unwrap();
            let client = UnixStream::connect(&path).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            let mut client = client;
            client.write_all(b"hi").await.unwrap();
            let mut buf = [0u8; 2];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hi");
            let std_listener = listener.into_std().unwrap();
            assert_eq!(
                std_listener.local_addr().unwrap().as_pathname(),
                Some(path.as_path())
            );
            // Non-blocking now: no pending connection is WouldBlock, not a hang.
            let err = std_listener.accept().unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        },
    ));
    std::fs::remove_file(&path).unwrap();
}

fn datagram_round_trips_through_std(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(10),
        "unix datagram std",
        async {
            let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
            let a = UnixDatagram::from_std(std_a).unwrap();
            let b = UnixDatagram::from_std(std_b).unwrap();
            let receiver = ctxrt::spawn(async move {
                let mut buf = [0u8; 8];
                let n = b.recv(&mut buf).await.unwrap();
                (b, buf[..n].to_vec())
            });
            ctxrt::time::sleep(Duration::from_millis(5)).await;
            a.send(b"dgram").await.unwrap();
            let (b, got) = receiver.await.unwrap();
            assert_eq!(got, b"dgram");
            let std_b = b.into_std().unwrap();
            let err = std_b.recv(&mut [0u8; 1]).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
            a.send(b"std").await.unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(std_b.recv(&mut buf).unwrap(), 3);
        },
    ));
}

ctxrt_tests::on_both_flavors!(
    stream_round_trips_through_std,
    listener_round_trips_through_std,
    datagram_round_trips_through_std
);
