//! `examples/tenant_server.rs` (compiled into this test) served over loopback and driven by
//! hyper's own client running on a second ctxrt runtime:
//! - HTTP/1.1: 1,000 requests on 50 concurrent keep-alive connections, each request with
//!   its own tenant and request id: every response and every log line the handler, its
//!   spawned task and its blocking job wrote carry the ids that request was sent with;
//! - HTTP/2 (h2c prior knowledge): 1,000 requests multiplexed on 4 connections, the same;
//! - a request without `x-tenant` sees the default, never a previous request's tenant; a
//!   request without `x-request-id` gets a generated one, echoed in the header and body;
//! - the server survives a client that disconnects mid-request, a 10 MiB body, a malformed
//!   request line and a slowloris client (cut off by the header timeout through
//!   `CtxrtTimer`), and answers correctly afterwards;
//! - shutdown: after the shutdown future resolves, in-flight requests finish and `serve`
//!   returns.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ctxrt::hyper::{CtxrtExecutor, FuturesIo};
use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use http_body_util::{BodyExt, Empty, Full};
use serde_json::Value;

#[allow(dead_code, unreachable_pub)]
#[path = "../../runtime/examples/tenant_server.rs"]
mod tenant_server;

/// A running server: its runtime, address, log lines and shutdown trigger.
struct Server {
    rt: Runtime,
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    stop: Option<futures::channel::oneshot::Sender<()>>,
    done: Option<ctxrt::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let rt = ctxrt_tests::multi_thread();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink_lines = lines.clone();
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let (addr, done) = rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            tenant_server::LOG_SINK.set(Arc::new(move |line: &str| {
                sink_lines.lock().unwrap().push(line.to_owned());
            }));
            let done = ctxrt::spawn(tenant_server::serve(listener, async move {
                let _ = stopped.await;
            }));
            (addr, done)
        });
        Server {
            rt,
            addr,
            lines,
            stop: Some(stop),
            done: Some(done),
        }
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            self.rt
                .block_on(ctxrt_tests::within(
                    Duration::from_secs(20),
                    "serve after shutdown",
                    done,
                ))
                .expect("serve does not panic");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

type Body = Empty<Bytes>;

fn request(addr: SocketAddr, rid: Option<&str>, tenant: Option<&str>) -> http::Request<Body> {
    let mut builder = http::Request::builder().uri(format!("http://{addr}/"));
    if let Some(rid) = rid {
        builder = builder.header("x-request-id", rid);
    }
    if let Some(tenant) = tenant {
        builder = builder.header("x-tenant", tenant);
    }
    builder.body(Empty::new()).unwrap()
}

/// Checks one response body against the ids it was sent with.
fn check(body: &Value, rid: &str, tenant: &str) {
    for part in [body, &body["task"], &body["blocking"]] {
        assert_eq!(part["request_id"], rid, "body {body}");
        assert_eq!(part["tenant"], tenant, "body {body}");
    }
}

async fn read_json(resp: http::Response<hyper::body::Incoming>) -> (String, Value) {
    assert_eq!(resp.status(), 200);
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (rid, serde_json::from_slice(&bytes).unwrap())
}

/// Every log line that names a request id names that request's tenant.
fn check_log_lines(lines: &[String], tenant_of: &HashMap<String, String>) -> usize {
    let mut checked = 0;
    for line in lines {
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        };
        let (Some(rid), Some(tenant)) = (field("request_id"), field("tenant")) else {
            continue;
        };
        if let Some(want) = tenant_of.get(&rid) {
            assert_eq!(&tenant, want, "log line {line:?}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn http1_thousand_requests_on_fifty_keepalive_connections() {
    let server = Server::start();
    let addr = server.addr;
    let client = ctxrt_tests::multi_thread();
    let tenant_of = client.block_on(async move {
        let mut conns = Vec::new();
        for c in 0..50 {
            conns.push(ctxrt::spawn(async move {
                let stream = TcpStream::connect(addr).await.unwrap();
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(FuturesIo::new(stream))
                        .await
                        .unwrap();
                ctxrt::spawn(conn);
                let mut sent = Vec::new();
                for n in 0..20 {
                    let (rid, tenant) = (format!("h1-{c}-{n}"), format!("tenant-{c}"));
                    sender.ready().await.unwrap();
                    let resp = sender
                        .send_request(request(addr, Some(&rid), Some(&tenant)))
                        .await
                        .unwrap();
                    let (echoed, body) = read_json(resp).await;
                    assert_eq!(echoed, rid);
                    check(&body, &rid, &tenant);
                    sent.push((rid, tenant));
                }
                sent
            }));
        }
        let mut tenant_of = HashMap::new();
        for conn in conns {
            tenant_of.extend(conn.await.unwrap());
        }
        tenant_of
    });
    assert_eq!(tenant_of.len(), 1000);
    let lines = server.lines.lock().unwrap().clone();
    // Handler, spawned task and blocking job: at least three lines per request.
    assert!(
        check_log_lines(&lines, &tenant_of) >= 3000,
        "{} lines",
        lines.len()
    );
}

#[test]
fn http2_requests_multiplexed_on_few_connections_keep_their_own_context() {
    let server = Server::start();
    let addr = server.addr;
    let client = ctxrt_tests::multi_thread();
    let tenant_of = client.block_on(async move {
        let mut senders = Vec::new();
        for _ in 0..4 {
            let stream = TcpStream::connect(addr).await.unwrap();
            let (sender, conn) =
                hyper::client::conn::http2::handshake(CtxrtExecutor::new(), FuturesIo::new(stream))
                    .await
                    .unwrap();
            ctxrt::spawn(conn);
            senders.push(sender);
        }
        let mut requests = Vec::new();
        for i in 0..1000 {
            let mut sender = senders[i % senders.len()].clone();
            requests.push(ctxrt::spawn(async move {
                let (rid, tenant) = (format!("h2-{i}"), format!("tenant-{}", i % 13));
                sender.ready().await.unwrap();
                let resp = sender
                    .send_request(request(addr, Some(&rid), Some(&tenant)))
                    .await
                    .unwrap();
                let (echoed, body) = read_json(resp).await;
                assert_eq!(echoed, rid);
                check(&body, &rid, &tenant);
                (rid, tenant)
            }));
        }
        let mut tenant_of = HashMap::new();
        for request in requests {
            let (rid, tenant) = request.await.unwrap();
            tenant_of.insert(rid, tenant);
        }
        tenant_of
    });
    let lines = server.lines.lock().unwrap().clone();
    assert!(
        check_log_lines(&lines, &tenant_of) >= 3000,
        "{} lines",
        lines.len()
    );
}

/// One HTTP/1.1 request on a fresh connection from the client runtime.
async fn get(addr: SocketAddr, rid: Option<&str>, tenant: Option<&str>) -> (String, Value) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(stream))
        .await
        .unwrap();
    ctxrt::spawn(conn);
    let resp = sender
        .send_request(request(addr, rid, tenant))
        .await
        .unwrap();
    read_json(resp).await
}

#[test]
fn missing_headers_get_the_default_tenant_and_a_generated_id() {
    let server = Server::start();
    let addr = server.addr;
    ctxrt_tests::current_thread().block_on(async move {
        let (_, body) = get(addr, Some("first"), Some("acme")).await;
        check(&body, "first", "acme");
        let (rid, body) = get(addr, None, None).await;
        assert_eq!(rid.len(), 36, "a generated UUID: {rid}");
        check(&body, &rid, "public");
    });
}

/// Writes raw bytes on a std socket and returns what the server answered (until it closes
/// or 5 s pass).
fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn hostile_clients_do_not_take_the_server_down_or_leak_context() {
    let server = Server::start();
    let addr = server.addr;

    // A malformed request line gets a 400 (or a close), never a crash.
    let answer = raw_exchange(addr, b"GARBAGE / HTTP/9.9 nonsense\r\n\r\n");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );

    // A client that disconnects mid-request (headers half sent).
    {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nx-tenant: vanished\r\nx-req")
            .unwrap();
    }

    // A client that disconnects after sending a full request, before the answer.
    {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nx-tenant: gone\r\nx-request-id: gone\r\n\r\n")
            .unwrap();
    }

    // A 10 MiB body on GET is read or refused, and the server stays up.
    let client = ctxrt_tests::multi_thread();
    client.block_on(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(stream))
            .await
            .unwrap();
        ctxrt::spawn(conn);
        let big = http::Request::builder()
            .uri(format!("http://{addr}/"))
            .header("x-tenant", "big")
            .header("x-request-id", "big")
            .body(Full::new(Bytes::from(vec![b'x'; 10 << 20])))
            .unwrap();
        if let Ok(resp) = sender.send_request(big).await {
            let (rid, body) = read_json(resp).await;
            assert_eq!(rid, "big");
            check(&body, "big", "big");
        }
    });

    // Slowloris: headers trickle in slower than the 5 s header timeout allows; the server
    // cuts the connection off instead of waiting forever.
    let slow = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        let started = std::time::Instant::now();
        for _ in 0..12 {
            std::thread::sleep(Duration::from_millis(700));
            if stream.write_all(b"x-slow: 1\r\n").is_err() {
                break;
            }
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        (
            started.elapsed(),
            String::from_utf8_lossy(&answer).into_owned(),
        )
    });

    // Meanwhile, and afterwards, well-formed requests get their own context.
    client.block_on(async move {
        for i in 0..20 {
            let rid = format!("after-{i}");
            let (_, body) = get(addr, Some(&rid), Some("fine")).await;
            check(&body, &rid, "fine");
            let (rid, body) = get(addr, None, None).await;
            check(&body, &rid, "public");
        }
    });
    let (elapsed, answer) = slow.join().unwrap();
    assert!(
        elapsed < Duration::from_secs(14),
        "the slowloris connection was not cut off ({elapsed:?}, answer {answer:?})"
    );
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[test]
fn shutdown_finishes_in_flight_requests_then_serve_returns() {
    let mut server = Server::start();
    let addr = server.addr;
    let client = ctxrt_tests::multi_thread();
    let in_flight = client.spawn(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(stream))
            .await
            .unwrap();
        ctxrt::spawn(conn);
        let resp = sender
            .send_request(request(addr, Some("inflight"), Some("acme")))
            .await
            .unwrap();
        read_json(resp).await
    });
    // Stop once the handler is running (its children still sleep a few ms).
    let started = std::time::Instant::now();
    while !server
        .lines
        .lock()
        .unwrap()
        .iter()
        .any(|line| line.contains("request_id=inflight"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "request never arrived"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    server.stop();
    let (rid, body) = client.block_on(in_flight).unwrap();
    assert_eq!(rid, "inflight");
    check(&body, "inflight", "acme");
    // The listener is closed: new connections are refused.
    assert!(std::net::TcpStream::connect(addr).is_err());
}
