//! ctxrt's `TcpStream` and `UnixStream` are hyper's `rt::Read`/`rt::Write` themselves (no
//! adapter; their reads go straight into hyper's uninitialised buffer), on both flavours:
//! an HTTP/1.1 server and client, each handed the bare stream, exchange a 1 MiB request
//! body that the server echoes, byte for byte, and then a second request on the same
//! keep-alive connection.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use ctxrt::net::{TcpListener, TcpStream, UnixStream};
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

/// 1 MiB that is not one repeated byte, so a misplaced chunk shows.
fn payload() -> Vec<u8> {
    (0..1 << 20).map(|i: u32| (i % 251) as u8).collect()
}

async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = req
        .into_body()
        .collect()
        .await
        .expect("request body")
        .to_bytes();
    Ok(Response::new(Full::new(body)))
}

/// Serves `server` with hyper's HTTP/1.1 connection, and drives `client` through hyper's
/// client: two requests on the one connection, each echoed exactly.
async fn exchange<S, C>(server: S, client: C)
where
    S: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    C: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let served = ctxrt::spawn(async move {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(server, hyper::service::service_fn(echo))
            .await
    });
    let (mut sender, conn) = hyper::client::conn::http1::handshake(client)
        .await
        .expect("handshake");
    let conn = ctxrt::spawn(conn);
    let payload = payload();
    for body in [payload.clone(), b"second".to_vec()] {
        let req = Request::post("/echo")
            .header(hyper::header::HOST, "localhost")
            .body(Full::new(Bytes::from(body.clone())))
            .unwrap();
        sender.ready().await.expect("ready");
        let resp = sender.send_request(req).await.expect("response");
        let echoed = resp.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(echoed.len(), body.len());
        assert!(
            echoed[..] == body[..],
            "the echo differs from what was sent"
        );
    }
    drop(sender);
    conn.await.unwrap().expect("client connection");
    served.await.unwrap().expect("server connection");
}

fn tcp_stream_serves_and_calls_http(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "the TCP exchange", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = ctxrt::spawn(async move { listener.accept().await.unwrap().0 });
        let client = TcpStream::connect(addr).await.unwrap();
        let server = accepted.await.unwrap();
        exchange(server, client).await;
    }));
}

fn unix_stream_serves_and_calls_http(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(20),
        "the Unix exchange",
        async {
            let (server, client) = UnixStream::pair().unwrap();
            exchange(server, client).await;
        },
    ));
}

ctxrt_tests::on_both_flavors!(
    tcp_stream_serves_and_calls_http,
    unix_stream_serves_and_calls_http,
);
