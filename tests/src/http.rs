//! The HTTP example servers' shared test suite. `tests/tests/http_tenant_server.rs` (hyper
//! directly) and `tests/tests/http_axum_tenant.rs` (an axum `Router`) each compile their
//! example through `#[path]`, start it in a [`TestServer`] and run the same scenarios
//! against it, driven by hyper's own client on a second ctxrt runtime:
//!
//! - [`http1_thousand_requests_on_fifty_keepalive_connections`] and
//!   [`http2_requests_multiplexed_on_few_connections`]: every response and every log line
//!   the handler, its spawned task and its blocking job wrote carry the ids that request
//!   was sent with;
//! - [`missing_headers_get_the_default_tenant_and_a_generated_id`];
//! - [`hostile_clients_do_not_take_the_server_down_or_leak_context`]: a client that
//!   disconnects mid-request, a 10 MiB body, a malformed request line, a slowloris client;
//! - [`shutdown_finishes_in_flight_requests_then_serve_returns`].
//!
//! A server under test answers `GET /` with `{"request_id": R, "tenant": T, "task": {..},
//! "blocking": {..}}` (issue 10's `tenant_server` contract), echoes `x-request-id`, logs
//! lines of the form `request_id=R tenant=T message` through the sink it is given, and cuts
//! off clients that take more than 5 s to send their headers.
//!
//! # Examples
//!
//! A minimal such server (HTTP/1.1 only, no task or blocking job of its own):
//!
//! ```
//! use std::convert::Infallible;
//! use std::future::Future;
//! use std::pin::pin;
//!
//! use ctxrt::http::ContextLayer;
//! use ctxrt::hyper::FuturesIo;
//! use ctxrt::net::TcpListener;
//! use ctxrt::ContextVar;
//! use ctxrt_tests::http::{check, get, LogSink, TestServer};
//! use futures::future::{select, Either};
//! use hyper_util::service::TowerToHyperService;
//! use tower::{service_fn, Layer};
//!
//! static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
//! static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "public".into());
//! static SINK: ContextVar<LogSink> = ContextVar::new("sink");
//!
//! fn ids() -> serde_json::Value {
//!     serde_json::json!({ "request_id": REQUEST_ID.get(), "tenant": TENANT.get() })
//! }
//!
//! async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()>) {
//!     let service = ContextLayer::new()
//!         .header("x-request-id", &REQUEST_ID)
//!         .header("x-tenant", &TENANT)
//!         .layer(service_fn(|_req: http::Request<hyper::body::Incoming>| async {
//!             SINK.get().unwrap()(&format!(
//!                 "request_id={} tenant={} GET /",
//!                 REQUEST_ID.get().unwrap(),
//!                 TENANT.get().unwrap()
//!             ));
//!             let mut body = ids();
//!             body["task"] = ids();
//!             body["blocking"] = ids();
//!             Ok::<_, Infallible>(http::Response::new(http_body_util::Full::new(
//!                 bytes::Bytes::from(body.to_string()),
//!             )))
//!         }));
//!     let mut shutdown = pin!(shutdown);
//!     while let Either::Left((Ok((stream, _)), _)) =
//!         select(pin!(listener.accept()), shutdown.as_mut()).await
//!     {
//!         let service = TowerToHyperService::new(service.clone());
//!         ctxrt::spawn(hyper::server::conn::http1::Builder::new()
//!             .serve_connection(FuturesIo::new(stream), service));
//!     }
//! }
//!
//! let server = TestServer::start(|listener, sink, shutdown| {
//!     SINK.set(sink);
//!     serve(listener, shutdown)
//! });
//! let addr = server.addr();
//! ctxrt_tests::current_thread().block_on(async move {
//!     let (rid, body) = get(addr, None, Some("acme")).await;
//!     check(&body, &rid, "acme");
//! });
//! assert!(server.lines()[0].ends_with("tenant=acme GET /"));
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ctxrt::hyper::{CtxrtExecutor, FuturesIo};
use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use http_body_util::{BodyExt, Empty, Full};
use serde_json::Value;

/// Where a server under test writes its log lines (the examples' `LogSink` type).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The future a server under test is told to shut down by.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server under test on its own multi-thread runtime: its address, the log lines it
/// wrote, and its shutdown trigger. Dropping it shuts the server down and waits (up to
/// 20 s) for its serve future to return.
///
/// # Examples
///
/// See the [module docs](self).
pub struct TestServer {
    rt: Runtime,
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    stop: Option<futures::channel::oneshot::Sender<()>>,
    done: Option<ctxrt::JoinHandle<()>>,
}

impl TestServer {
    /// Binds a loopback listener on a free port and spawns `serve(listener, sink,
    /// shutdown)` on a fresh [`multi_thread`](crate::multi_thread) runtime. `serve` is
    /// called inside that runtime, in the context the serve task is spawned from: bind the
    /// sink to the server's log-sink var there and every request inherits it.
    ///
    /// # Panics
    ///
    /// If the listener cannot be bound.
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    pub fn start<F, Fut>(serve: F) -> TestServer
    where
        F: FnOnce(TcpListener, LogSink, Shutdown) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let rt = crate::multi_thread();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink_lines = lines.clone();
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let (addr, done) = rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let sink: LogSink = Arc::new(move |line: &str| {
                sink_lines.lock().unwrap().push(line.to_owned());
            });
            let shutdown: Shutdown = Box::pin(async move {
                let _ = stopped.await;
            });
            let done = ctxrt::spawn(serve(listener, sink, shutdown));
            (addr, done)
        });
        TestServer {
            rt,
            addr,
            lines,
            stop: Some(stop),
            done: Some(done),
        }
    }

    /// The address the server listens on.
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The log lines written so far.
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Resolves the server's shutdown future and waits for its serve future to return.
    ///
    /// # Panics
    ///
    /// If serving panicked or did not return within 20 s.
    ///
    /// # Examples
    ///
    /// See [`shutdown_finishes_in_flight_requests_then_serve_returns`].
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            self.rt
                .block_on(crate::within(
                    Duration::from_secs(20),
                    "serve after shutdown",
                    done,
                ))
                .expect("serve does not panic");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `GET /` to `addr` with the given `x-request-id` and `x-tenant` headers (each left out
/// when `None`).
///
/// # Examples
///
/// ```
/// let addr = "127.0.0.1:80".parse().unwrap();
/// let req = ctxrt_tests::http::request(addr, Some("r1"), None);
/// assert_eq!(req.headers()["x-request-id"], "r1");
/// assert!(req.headers().get("x-tenant").is_none());
/// ```
pub fn request(
    addr: SocketAddr,
    rid: Option<&str>,
    tenant: Option<&str>,
) -> http::Request<Empty<Bytes>> {
    let mut builder = http::Request::builder().uri(format!("http://{addr}/"));
    if let Some(rid) = rid {
        builder = builder.header("x-request-id", rid);
    }
    if let Some(tenant) = tenant {
        builder = builder.header("x-tenant", tenant);
    }
    builder.body(Empty::new()).unwrap()
}

/// Checks one response body against the ids it was sent with: the handler's, the spawned
/// task's and the blocking job's.
///
/// # Panics
///
/// On any mismatch.
///
/// # Examples
///
/// ```
/// let ids = serde_json::json!({ "request_id": "r", "tenant": "t" });
/// let body = serde_json::json!({ "request_id": "r", "tenant": "t", "task": ids, "blocking": ids });
/// ctxrt_tests::http::check(&body, "r", "t");
/// ```
pub fn check(body: &Value, rid: &str, tenant: &str) {
    for part in [body, &body["task"], &body["blocking"]] {
        assert_eq!(part["request_id"], rid, "body {body}");
        assert_eq!(part["tenant"], tenant, "body {body}");
    }
}

/// Asserts a 200 and returns the echoed `x-request-id` and the JSON body.
///
/// # Panics
///
/// If the status is not 200, the header is missing or the body is not JSON.
///
/// # Examples
///
/// See the [module docs](self) (through [`get`]).
pub async fn read_json(resp: http::Response<hyper::body::Incoming>) -> (String, Value) {
    assert_eq!(resp.status(), 200);
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (rid, serde_json::from_slice(&bytes).unwrap())
}

/// Checks that every log line naming a request id of `tenant_of` names that request's
/// tenant, and returns how many lines it checked.
///
/// # Panics
///
/// On a line whose tenant is not its request's.
///
/// # Examples
///
/// ```
/// let tenant_of = [("r1".to_owned(), "acme".to_owned())].into();
/// let lines = ["request_id=r1 tenant=acme GET /".to_owned(), "request_id=- tenant=public up".to_owned()];
/// assert_eq!(ctxrt_tests::http::check_log_lines(&lines, &tenant_of), 1);
/// ```
pub fn check_log_lines(lines: &[String], tenant_of: &HashMap<String, String>) -> usize {
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

/// An HTTP/1.1 connection to `addr` from the current ctxrt runtime (the connection task
/// spawned on it), ready to send requests with bodies of type `B`.
///
/// # Panics
///
/// If the connection or the handshake fails.
///
/// # Examples
///
/// See the [module docs](self) (through [`get`]).
pub async fn connect_http1<B>(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(stream))
        .await
        .unwrap();
    ctxrt::spawn(conn);
    sender
}

/// One HTTP/1.1 [`request`] on a fresh connection; returns what [`read_json`] reads.
///
/// # Panics
///
/// If the connection or the request fails, or the answer is not a 200 with JSON.
///
/// # Examples
///
/// See the [module docs](self).
pub async fn get(addr: SocketAddr, rid: Option<&str>, tenant: Option<&str>) -> (String, Value) {
    let mut sender = connect_http1(addr).await;
    let resp = sender
        .send_request(request(addr, rid, tenant))
        .await
        .unwrap();
    read_json(resp).await
}

/// Awaits the response to a request sent with `rid` and `tenant` and checks that it is a
/// 200 echoing `rid` whose handler, task and blocking job all saw both ids.
async fn expect_ids(
    resp: impl Future<Output = hyper::Result<http::Response<hyper::body::Incoming>>>,
    rid: &str,
    tenant: &str,
) {
    let (echoed, body) = read_json(resp.await.unwrap()).await;
    assert_eq!(echoed, rid);
    check(&body, rid, tenant);
}

/// Every log line the server wrote for the requests of `tenant_of` names its request's
/// tenant, and there are at least three per request: handler, spawned task, blocking job.
fn assert_three_log_lines_per_request(server: &TestServer, tenant_of: &HashMap<String, String>) {
    let lines = server.lines();
    let checked = check_log_lines(&lines, tenant_of);
    assert!(
        checked >= 3 * tenant_of.len(),
        "{checked} of {} lines checked for {} requests",
        lines.len(),
        tenant_of.len()
    );
}

/// HTTP/1.1: 1,000 requests on 50 concurrent keep-alive connections, each request with its
/// own request id and its connection's tenant; every response, and at least three log
/// lines per request (handler, spawned task, blocking job), carry the ids it was sent with.
///
/// # Panics
///
/// On any mismatch, failed request or missing log line.
///
/// # Examples
///
/// Called by `tests/tests/http_tenant_server.rs` and `http_axum_tenant.rs`.
pub fn http1_thousand_requests_on_fifty_keepalive_connections(server: &TestServer) {
    let addr = server.addr;
    let client = crate::multi_thread();
    let tenant_of = client.block_on(async move {
        let mut conns = Vec::new();
        for c in 0..50 {
            conns.push(ctxrt::spawn(async move {
                let mut sender = connect_http1(addr).await;
                let mut sent = Vec::new();
                for n in 0..20 {
                    let (rid, tenant) = (format!("h1-{c}-{n}"), format!("tenant-{c}"));
                    sender.ready().await.unwrap();
                    let resp = sender.send_request(request(addr, Some(&rid), Some(&tenant)));
                    expect_ids(resp, &rid, &tenant).await;
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
    assert_three_log_lines_per_request(server, &tenant_of);
}

/// HTTP/2 (h2c prior knowledge): 1,000 requests multiplexed on 4 connections, each with
/// its own request id and one of 13 tenants; every response and log line carries its own.
///
/// # Panics
///
/// On any mismatch, failed request or missing log line.
///
/// # Examples
///
/// Called by `tests/tests/http_tenant_server.rs` and `http_axum_tenant.rs`.
pub fn http2_requests_multiplexed_on_few_connections(server: &TestServer) {
    let addr = server.addr;
    let client = crate::multi_thread();
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
                let resp = sender.send_request(request(addr, Some(&rid), Some(&tenant)));
                expect_ids(resp, &rid, &tenant).await;
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
    assert_three_log_lines_per_request(server, &tenant_of);
}

/// A request without `x-tenant` after one with it sees the default tenant (`public`), and
/// one without `x-request-id` gets a generated UUID, echoed in the header and the body.
///
/// # Panics
///
/// On a leaked tenant or a missing id.
///
/// # Examples
///
/// Called by `tests/tests/http_tenant_server.rs` and `http_axum_tenant.rs`.
pub fn missing_headers_get_the_default_tenant_and_a_generated_id(server: &TestServer) {
    let addr = server.addr;
    crate::current_thread().block_on(async move {
        let (_, body) = get(addr, Some("first"), Some("acme")).await;
        check(&body, "first", "acme");
        let (rid, body) = get(addr, None, None).await;
        assert_eq!(rid.len(), 36, "a generated UUID: {rid}");
        check(&body, &rid, "public");
    });
}

/// Writes raw bytes on a std socket and returns what the server answered (until it closes
/// or 10 s pass).
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

/// A malformed request line, a client that disconnects mid-request (and one that leaves
/// before the answer), a 10 MiB body and a slowloris client (cut off by the 5 s header
/// timeout) never take the server down; meanwhile and afterwards well-formed requests get
/// their own context, never a hostile one's.
///
/// # Panics
///
/// If the server crashes, answers a hostile request with a 200 it should not have, keeps
/// the slowloris connection, or leaks a context.
///
/// # Examples
///
/// Called by `tests/tests/http_tenant_server.rs` and `http_axum_tenant.rs`.
pub fn hostile_clients_do_not_take_the_server_down_or_leak_context(server: &TestServer) {
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
    let client = crate::multi_thread();
    client.block_on(async move {
        let mut sender = connect_http1(addr).await;
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
        let started = Instant::now();
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

/// Shuts the server down while a request is in flight (its handler has logged, its
/// children still sleep): the request completes with its own ids, serving returns, and
/// the listener is closed so new connections are refused.
///
/// # Panics
///
/// If the request never arrives, fails or sees other ids, serving does not return, or the
/// port still accepts connections.
///
/// # Examples
///
/// Called by `tests/tests/http_tenant_server.rs` and `http_axum_tenant.rs`.
pub fn shutdown_finishes_in_flight_requests_then_serve_returns(mut server: TestServer) {
    let addr = server.addr;
    let client = crate::multi_thread();
    let in_flight = client.spawn(async move {
        let mut sender = connect_http1(addr).await;
        let resp = sender
            .send_request(request(addr, Some("inflight"), Some("acme")))
            .await
            .unwrap();
        read_json(resp).await
    });
    // Stop once the handler is running (its children still sleep a few ms).
    let started = Instant::now();
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

/// Declares the shared suite's tests, one `#[test]` per scenario of this module, each
/// against a fresh server from `$start: fn() -> TestServer`.
///
/// # Examples
///
/// ```ignore
/// #[path = "../../runtime/examples/tenant_server.rs"]
/// mod tenant_server;
///
/// fn start() -> ctxrt_tests::http::TestServer {
///     ctxrt_tests::http::TestServer::start(|listener, sink, shutdown| {
///         tenant_server::LOG_SINK.set(sink);
///         tenant_server::serve(listener, shutdown)
///     })
/// }
///
/// ctxrt_tests::http_server_suite!(start);
/// ```
#[macro_export]
macro_rules! http_server_suite {
    ($start:path) => {
        #[test]
        fn http1_thousand_requests_on_fifty_keepalive_connections() {
            $crate::http::http1_thousand_requests_on_fifty_keepalive_connections(&$start());
        }

        #[test]
        fn http2_requests_multiplexed_on_few_connections_keep_their_own_context() {
            $crate::http::http2_requests_multiplexed_on_few_connections(&$start());
        }

        #[test]
        fn missing_headers_get_the_default_tenant_and_a_generated_id() {
            $crate::http::missing_headers_get_the_default_tenant_and_a_generated_id(&$start());
        }

        #[test]
        fn hostile_clients_do_not_take_the_server_down_or_leak_context() {
            $crate::http::hostile_clients_do_not_take_the_server_down_or_leak_context(&$start());
        }

        #[test]
        fn shutdown_finishes_in_flight_requests_then_serve_returns() {
            $crate::http::shutdown_finishes_in_flight_requests_then_serve_returns($start());
        }
    };
}
