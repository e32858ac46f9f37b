//! Unix stream halves: `into_split` halves used from two tasks at once (one streams 1 MiB
//! out while the other reads the echo; dropping the write half half-closes), borrowed
//! `split` halves in one `join`, and `reunite` (the right pair back, a wrong pair refused).
#![cfg(unix)]

use std::time::Duration;

use ctxrt::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
use ctxrt::net::UnixStream;
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};

const BYTES: usize = 1 << 20;

fn owned_halves_in_two_tasks(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(30),
        "unix owned halves",
        async {
            let (client, server) = UnixStream::pair().unwrap();
            let echo = ctxrt::spawn(async move {
                let (mut read, mut write) = server.into_split();
                futures_util::io::copy(&mut read, &mut write).await.unwrap()
            });
            let (read, write): (OwnedReadHalf, OwnedWriteHalf) = client.into_split();
            ctxrt_tests::pattern_through_echo(read, write, BYTES).await;
            assert_eq!(echo.await.unwrap(), BYTES as u64);
        },
    ));
}

fn borrowed_halves_in_one_join(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(30),
        "unix borrowed halves",
        async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            let echo = ctxrt::spawn(async move {
                // Spelled out: futures' by-value `AsyncReadExt::split`, in scope, would win over `.split()`.
                let (mut read, mut write) = UnixStream::split(&mut b);
                let copied = futures_util::io::copy(&mut read, &mut write).await.unwrap();
                assert!(read.peer_addr().unwrap().is_unnamed());
                assert!(write.local_addr().unwrap().is_unnamed());
                copied
            });
            let (mut read, mut write) = UnixStream::split(&mut a);
            let data: Vec<u8> = (0..BYTES).map(|i| (i % 241) as u8).collect();
            let mut got = Vec::with_capacity(BYTES);
            // Writing all of it before reading would deadlock once both buffers fill: the
            // halves must make progress at the same time within one task.
            let (sent, read_result) = futures::join!(
                async {
                    write.write_all(&data).await?;
                    write.close().await
                },
                read.read_to_end(&mut got),
            );
            sent.unwrap();
            assert_eq!(read_result.unwrap(), BYTES);
            assert_eq!(got, data);
            assert_eq!(echo.await.unwrap(), BYTES as u64);
        },
    ));
}

fn reunite_takes_back_only_its_own_pair(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "unix reunite", async {
        let (a, mut peer_a) = UnixStream::pair().unwrap();
        let (b, _peer_b) = UnixStream::pair().unwrap();
        let (read_a, write_a) = a.into_split();
        let (read_b, write_b) = b.into_split();
        let err: ReuniteError = match read_a.reunite(write_b) {
            Err(err) => err,
            Ok(_) => panic!("halves of two streams were reunited"),
        };
        assert_eq!(
            err.to_string(),
            "tried to reunite halves that are not from the same socket"
        );
        let (read_a, write_b) = (err.0, err.1);
        drop(read_b.reunite(write_b).unwrap());
        let mut a = read_a.reunite(write_a).unwrap();
        // Reunited, the write side is still open (a reunite is not a drop of the half).
        a.write_all(b"still open").await.unwrap();
        let mut buf = [0u8; 10];
        peer_a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still open");
    }));
}

ctxrt_tests::on_both_flavors!(
    owned_halves_in_two_tasks,
    borrowed_halves_in_one_join,
    reunite_takes_back_only_its_own_pair
);
