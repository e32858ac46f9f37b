//! Feature `tokio-io`: tokio's `AsyncRead`/`AsyncWrite` on ctxrt's `TcpStream` and its
//! halves (and on `UnixStream`) — an echo through `tokio::io::{AsyncReadExt, AsyncWriteExt, copy}`, and hyper
//! serving one HTTP/1.1 request through `hyper_util::rt::TokioIo`, with the handler
//! seeing the connection task's context.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::within;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static CONNECTION: ContextVar<u32> = ContextVar::new("connection");

fn echo_through_tokio_traits(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "tokio-io echo", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ctxrt::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            // Borrowed halves: read from one, write to the other until the client's EOF.
            let (mut read, mut write) = stream.split();
            let copied = tokio::io::copy(&mut read, &mut write).await.unwrap();
            write.shutdown().await.unwrap();
            copied
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        // Owned halves on the client side.
        let (mut read, mut write) = stream.into_split();
        let message: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        let writer = {
            let message = message.clone();
            ctxrt::spawn(async move {
                write.write_all(&message).await.unwrap();
                write.shutdown().await.unwrap();
            })
        };
        let mut echoed = Vec::new();
        read.read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap();
        assert_eq!(echoed, message);
        assert_eq!(server.await.unwrap(), message.len() as u64);

        // And the whole stream, with read_exact on a small message.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ctxrt::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 5];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf).await.unwrap();
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        server.await.unwrap();
    }));
}

fn hyper_serves_through_tokio_io(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(20),
        "hyper over TokioIo",
        async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = ctxrt::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                // The connection's handler task gets its own context, seen by the request handler.
                let handler = Context::new().run(|| {
                    let _ = CONNECTION.set(7);
                    ctxrt::spawn(async move {
                        let service = hyper::service::service_fn(|_req| async {
                            let body = format!("connection {:?}", CONNECTION.get());
                            Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
                        });
                        hyper::server::conn::http1::Builder::new()
                            .timer(ctxrt::hyper::CtxrtTimer::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    })
                });
                handler.await.unwrap()
            });
            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            let conn = ctxrt::spawn(conn);
            let request = hyper::Request::builder()
                .uri("/")
                .header("host", "localhost")
                .header("connection", "close")
                .body(Empty::<Bytes>::new())
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"connection Some(7)");
            conn.await.unwrap().unwrap();
            server.await.unwrap().unwrap();
        },
    ));
}

// The workspace targets unix (Linux CI); `UnixStream` is cfg(unix).
fn unix_stream_through_tokio_traits(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "tokio-io unix", async {
        let (mut a, mut b) = ctxrt::net::UnixStream::pair().unwrap();
        let echo = ctxrt::spawn(async move {
            let mut buf = [0u8; 5];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(&buf).await.unwrap();
            AsyncWriteExt::shutdown(&mut b).await.unwrap();
        });
        a.write_all(b"unix!").await.unwrap();
        let mut back = Vec::new();
        a.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"unix!");
        echo.await.unwrap();
    }));
}

// `poll_read` reads straight into a `ReadBuf` over uninitialised memory: it fills and
// initialises exactly what was read, keeps what was filled before, leaves the rest of the
// buffer alone, and reports EOF as a read of 0 bytes; a full buffer reads nothing.
fn read_buf_over_uninit_memory(rt: Runtime) {
    use std::mem::MaybeUninit;
    use tokio::io::{AsyncRead, ReadBuf};

    async fn read_once(stream: &mut TcpStream, buf: &mut ReadBuf<'_>) -> std::io::Result<()> {
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_read(cx, buf)).await
    }

    rt.block_on(within(Duration::from_secs(20), "tokio-io ReadBuf", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ctxrt::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(b"0123456789").await.unwrap();
            AsyncWriteExt::shutdown(&mut stream).await.unwrap();
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut storage = [MaybeUninit::<u8>::uninit(); 64];
        let mut buf = ReadBuf::uninit(&mut storage);
        buf.put_slice(b"ab");
        assert_eq!(buf.initialized().len(), 2);
        while buf.filled().len() < 12 {
            let before = buf.filled().len();
            read_once(&mut stream, &mut buf).await.unwrap();
            assert!(buf.filled().len() > before, "no EOF before the 10 bytes");
            assert_eq!(buf.initialized().len(), buf.filled().len());
        }
        assert_eq!(buf.filled(), b"ab0123456789");
        // EOF: Ok with nothing filled.
        read_once(&mut stream, &mut buf).await.unwrap();
        assert_eq!(buf.filled().len(), 12);
        server.await.unwrap();

        // A full buffer: the read asks for 0 bytes and succeeds without filling.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ctxrt::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(b"x").await.unwrap();
            stream
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut small = [MaybeUninit::<u8>::uninit(); 1];
        let mut buf = ReadBuf::uninit(&mut small);
        read_once(&mut stream, &mut buf).await.unwrap();
        assert_eq!(buf.filled(), b"x");
        read_once(&mut stream, &mut buf).await.unwrap();
        assert_eq!(buf.filled(), b"x");
        drop(server.await.unwrap());
    }));
}

ctxrt_tests::on_both_flavors!(
    echo_through_tokio_traits,
    hyper_serves_through_tokio_io,
    unix_stream_through_tokio_traits,
    read_buf_over_uninit_memory,
);
