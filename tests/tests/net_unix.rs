//! Unix sockets: a stream echo server whose per-connection handler tasks each carry their
//! own context var (and keep it across their awaits), and a datagram round trip
//! (`send_to`/`recv_from` between bound sockets, then `connect`ed `send`/`recv`).
#![cfg(unix)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ctxrt::net::{UnixDatagram, UnixListener, UnixStream};
use ctxrt::runtime::Runtime;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::within;
use futures::io::{AsyncReadExt, AsyncWriteExt};

static CONNECTION: ContextVar<u32> = ContextVar::new("connection");

/// A fresh directory under the temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ctxrt-net-unix-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CLIENTS: u32 = 20;

fn stream_echo_with_a_context_per_connection(rt: Runtime) {
    let dir = TempDir::new("stream");
    let path = dir.0.join("echo.sock");
    rt.block_on(within(Duration::from_secs(30), "unix stream echo", async {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let server = ctxrt::spawn(async move {
            let mut handlers = Vec::new();
            for n in 0..CLIENTS {
                let (mut stream, _) = listener.accept().await.unwrap();
                // Each connection's handler task gets its own binding.
                handlers.push(Context::new().run(|| {
                    let _ = CONNECTION.set(n);
                    ctxrt::spawn(async move {
                        let mut buf = [0u8; 4];
                        stream.read_exact(&mut buf).await.unwrap();
                        // Still this connection's binding after waiting on the socket.
                        let mine = CONNECTION.get().unwrap();
                        let mut reply = buf.to_vec();
                        reply.extend_from_slice(&mine.to_le_bytes());
                        stream.write_all(&reply).await.unwrap();
                        stream.close().await.unwrap();
                        mine
                    })
                }));
            }
            let mut seen = Vec::new();
            for handler in handlers {
                seen.push(handler.await.unwrap());
            }
            seen
        });
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            let path = path.clone();
            clients.push(ctxrt::spawn(async move {
                let mut stream = UnixStream::connect(&path).await.unwrap();
                stream.write_all(&i.to_le_bytes()).await.unwrap();
                let mut reply = Vec::new();
                stream.read_to_end(&mut reply).await.unwrap();
                assert_eq!(reply.len(), 8);
                assert_eq!(&reply[..4], &i.to_le_bytes());
                u32::from_le_bytes(reply[4..].try_into().unwrap())
            }));
        }
        let mut connections = Vec::new();
        for client in clients {
            connections.push(client.await.unwrap());
        }
        // Every handler saw its own connection number, each exactly once.
        connections.sort_unstable();
        assert_eq!(connections, (0..CLIENTS).collect::<Vec<_>>());
        assert_eq!(server.await.unwrap(), (0..CLIENTS).collect::<Vec<_>>());
    }));
    assert_eq!(CONNECTION.get(), None, "no binding leaks to the caller");
}

fn datagram_round_trip(rt: Runtime) {
    let dir = TempDir::new("dgram");
    let server_path = dir.0.join("server.sock");
    let client_path = dir.0.join("client.sock");
    rt.block_on(within(Duration::from_secs(20), "unix datagram", async {
        let server = UnixDatagram::bind(&server_path).unwrap();
        let echo = ctxrt::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            let from = from.as_pathname().unwrap().to_path_buf();
            server.send_to(&buf[..n], &from).await.unwrap();
            // Then connected: only the client's datagrams, with send/recv.
            server.connect(&from).unwrap();
            let n = server.recv(&mut buf).await.unwrap();
            server.send(&buf[..n]).await.unwrap();
        });
        let client = UnixDatagram::bind(&client_path).unwrap();
        ctxrt::time::sleep(Duration::from_millis(5)).await; // the server is waiting
        client.send_to(b"datagram", &server_path).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = client.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"datagram");
        assert_eq!(from.as_pathname(), Some(server_path.as_path()));

        client.connect(&server_path).unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(server_path.as_path())
        );
        client.send(b"connected").await.unwrap();
        let n = client.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"connected");
        echo.await.unwrap();
    }));
}

ctxrt_tests::on_both_flavors!(
    stream_echo_with_a_context_per_connection,
    datagram_round_trip
);
