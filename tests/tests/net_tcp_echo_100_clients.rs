//! A TCP echo server with 100 concurrent clients; each connection's handler task carries
//! its own context (set from the connection it serves) across every await.

use std::time::Duration;

use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use ctxrt::ContextVar;
use ctxrt_tests::within;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};

static CONNECTION: ContextVar<u16> = ContextVar::new("connection");

const CLIENTS: usize = 100;

fn echo_with_per_connection_context(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(60), "echo", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ctxrt::spawn(async move {
            let mut handlers = Vec::new();
            for _ in 0..CLIENTS {
                let (mut stream, peer) = listener.accept().await.unwrap();
                handlers.push(ctxrt::spawn(async move {
                    CONNECTION.set(peer.port());
                    let mut buf = [0u8; 64];
                    loop {
                        let n = stream.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        // The handler's own context survives each wait for readiness.
                        assert_eq!(CONNECTION.get(), Some(peer.port()));
                        let reply = format!(
                            "{}:{}",
                            CONNECTION.get().unwrap(),
                            String::from_utf8_lossy(&buf[..n])
                        );
                        stream.write_all(reply.as_bytes()).await.unwrap();
                    }
                    CONNECTION.get()
                }));
            }
            let mut ports = Vec::new();
            for handler in handlers {
                ports.push(handler.await.unwrap().unwrap());
            }
            ports
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                ctxrt::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    let port = stream.local_addr().unwrap().port();
                    for round in 0..3 {
                        let msg = format!("c{i}r{round}");
                        stream.write_all(msg.as_bytes()).await.unwrap();
                        let want = format!("{port}:{msg}");
                        let mut got = vec![0u8; want.len()];
                        stream.read_exact(&mut got).await.unwrap();
                        assert_eq!(String::from_utf8(got).unwrap(), want);
                    }
                    stream.close().await.unwrap();
                    port
                })
            })
            .collect();
        let mut client_ports = Vec::new();
        for client in clients {
            client_ports.push(client.await.unwrap());
        }
        let mut server_ports = server.await.unwrap();
        client_ports.sort_unstable();
        server_ports.sort_unstable();
        assert_eq!(client_ports, server_ports);
    }));
}

ctxrt_tests::on_both_flavors!(echo_with_per_connection_context);
