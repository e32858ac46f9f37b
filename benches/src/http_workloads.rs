//! HTTP rows: hyper serving "hello world" on ctxrt against hyper on tokio (issue 10).
//!
//! Both servers run hyper 1.x's HTTP/1.1 connection on a 2-worker multi-thread runtime;
//! ctxrt's through `ctxrt::net::TcpListener`, its `TcpStream` handed to hyper as it is
//! (ctxrt's streams implement hyper's `rt::Read`/`rt::Write`, `ctxrt::hyper`), tokio's
//! through `tokio::net::TcpListener` and `hyper_util::rt::TokioIo`. The load is the same
//! for both: hyper's own client on a separate tokio runtime (2 workers) in this process,
//! 50 keep-alive connections over loopback, each sending its requests one after another.
//! Setup (runtimes, listener, connections, one warm-up round) is untimed.
//!
//! - `http_hello_keepalive`: per request, wall time for 50 connections × 20 requests per
//!   iteration, i.e. the inverse of requests per second. Target ≤ 1.0 (≥ tokio's rps).
//! - `http_hello_context_layer`: the same with `ctxrt::http::ContextLayer` binding two vars
//!   per request from headers (the client sends them to both servers) and nothing else:
//!   `continue_trace(false)`, so no W3C extraction or server span even in a build with
//!   the `opentelemetry` feature; tokio's server has no context at all. Target
//!   ≤ 1/0.95 ≈ 1.053 (≥ 0.95× tokio's rps).
//! - `http_hello_context_layer_w3c`: as `http_hello_context_layer` with trace continuation
//!   on (the layer's default): the client also sends a `traceparent` (to both servers), and
//!   ctxrt's layer extracts it, starts a server span through OTel's global tracer (the no-op
//!   provider: the bench installs none) and attaches its context around every poll.
//!   Reported, no target. Built without the `opentelemetry` feature the row has no trace to
//!   continue and times the same as `http_hello_context_layer`.
//! - `http_hello_p99_fixed_rate`: per item, the 99th-percentile latency of requests sent at
//!   a fixed rate (50 connections, one request each every 10 ms: 5,000 requests/s). Reported
//!   beside tokio's, without a target.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ctxrt::ContextVar;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tower::Layer;

use crate::{Batch, Contender, Measurement, Unit, Workload};

const CONNS: usize = 50;
const REQS_PER_CONN: u64 = 20;
const WORKERS: usize = 2;

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
static TENANT: ContextVar<String> = ContextVar::new("tenant");

/// The HTTP rows.
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::http_workloads::workloads();
/// assert!(rows.iter().any(|w| w.name == "http_hello_keepalive"));
/// ```
pub fn workloads() -> Vec<Workload> {
    let side = |name, run| Contender { name, run };
    let row = |name, description, items, target, subject, baseline| Workload {
        name,
        description,
        unit: Unit::Nanos,
        batch: Batch::Fixed { full: 4, quick: 1 },
        items,
        max_pairs: Some(7),
        target,
        subject_max: None,
        subject,
        baseline,
    };
    vec![
        row(
            "http_hello_keepalive",
            "per request: hyper HTTP/1.1 hello world, 50 keep-alive connections x 20 \
             sequential requests from hyper's client on a separate runtime",
            CONNS as u64 * REQS_PER_CONN,
            Some(1.0),
            side("hyper on ctxrt (2 workers)", |iters| {
                throughput(iters, Server::Ctxrt(Wrap::None), Headers::Vars)
            }),
            side("hyper on tokio (2 workers)", |iters| {
                throughput(iters, Server::Tokio, Headers::Vars)
            }),
        ),
        row(
            "http_hello_context_layer",
            "per request: as http_hello_keepalive, ctxrt with ContextLayer binding 2 vars \
             from headers vs tokio with no context (target: >= 0.95x tokio's rps)",
            CONNS as u64 * REQS_PER_CONN,
            Some(1.0 / 0.95),
            side("hyper on ctxrt + ContextLayer", |iters| {
                throughput(iters, Server::Ctxrt(Wrap::Vars), Headers::Vars)
            }),
            side("hyper on tokio, no context", |iters| {
                throughput(iters, Server::Tokio, Headers::Vars)
            }),
        ),
        row(
            "http_hello_context_layer_w3c",
            "per request: as http_hello_context_layer plus a traceparent header, ctxrt's \
             ContextLayer continuing the trace (server span, no-op global tracer) vs tokio \
             with no context (reported)",
            CONNS as u64 * REQS_PER_CONN,
            None,
            side("hyper on ctxrt + ContextLayer, trace on", |iters| {
                throughput(iters, Server::Ctxrt(Wrap::VarsAndTrace), Headers::W3c)
            }),
            side("hyper on tokio, no context", |iters| {
                throughput(iters, Server::Tokio, Headers::W3c)
            }),
        ),
        row(
            "http_hello_p99_fixed_rate",
            "p99 latency (the reported number per item): 50 connections each sending one \
             request every 10 ms (5,000 req/s), per iteration one round",
            1,
            None,
            side("hyper on ctxrt (2 workers)", |iters| {
                p99_fixed_rate(iters, Server::Ctxrt(Wrap::None))
            }),
            side("hyper on tokio (2 workers)", |iters| {
                p99_fixed_rate(iters, Server::Tokio)
            }),
        ),
    ]
}

#[derive(Clone, Copy)]
enum Server {
    Ctxrt(Wrap),
    Tokio,
}

/// What ctxrt's server wraps the handler in.
#[derive(Clone, Copy)]
enum Wrap {
    /// The bare handler.
    None,
    /// `ContextLayer` binding two vars, trace continuation off.
    Vars,
    /// `ContextLayer` binding two vars and continuing the incoming trace.
    VarsAndTrace,
}

/// The headers every request carries (to both servers alike).
#[derive(Clone, Copy)]
enum Headers {
    /// `x-request-id` and `x-tenant`.
    Vars,
    /// Those and a W3C `traceparent`.
    W3c,
}

/// A valid W3C `traceparent` (the spec's example).
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

/// A running server; dropping it shuts its runtime down (the runtimes are held, never
/// read).
#[allow(dead_code)]
enum Running {
    Ctxrt(ctxrt::runtime::Runtime),
    Tokio(tokio::runtime::Runtime),
}

fn start(server: Server) -> (Running, SocketAddr) {
    match server {
        Server::Ctxrt(layer) => {
            let rt = ctxrt::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .enable_all()
                .build()
                .expect("ctxrt runtime");
            let listener = rt
                .block_on(ctxrt::net::TcpListener::bind("127.0.0.1:0"))
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            rt.spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    // ctxrt's TcpStream is hyper's `Read`/`Write` itself (ctxrt::hyper).
                    let io = stream;
                    let builder = hyper::server::conn::http1::Builder::new();
                    let trace = match layer {
                        Wrap::None => {
                            let svc = hyper::service::service_fn(hello);
                            ctxrt::spawn(async move {
                                let _ = builder.serve_connection(io, svc).await;
                            });
                            continue;
                        }
                        Wrap::Vars => false,
                        Wrap::VarsAndTrace => true,
                    };
                    let svc = ctxrt::http::ContextLayer::new()
                        .header("x-request-id", &REQUEST_ID)
                        .header("x-tenant", &TENANT)
                        .continue_trace(trace)
                        .layer(tower::service_fn(hello));
                    let svc = hyper_util::service::TowerToHyperService::new(svc);
                    ctxrt::spawn(async move {
                        let _ = builder.serve_connection(io, svc).await;
                    });
                }
            });
            (Running::Ctxrt(rt), addr)
        }
        Server::Tokio => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .enable_all()
                .build()
                .expect("tokio runtime");
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            rt.spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    let io = hyper_util::rt::TokioIo::new(stream);
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, hyper::service::service_fn(hello))
                            .await;
                    });
                }
            });
            (Running::Tokio(rt), addr)
        }
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

/// The load generator's runtime and its open connections.
struct Client {
    rt: tokio::runtime::Runtime,
    senders: Vec<Sender>,
    addr: SocketAddr,
}

fn connect(addr: SocketAddr) -> Client {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("client runtime");
    let senders = rt.block_on(async {
        let mut senders = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(conn);
            senders.push(sender);
        }
        senders
    });
    Client { rt, senders, addr }
}

async fn one_request(sender: &mut Sender, addr: SocketAddr, n: u64, headers: Headers) {
    let mut req = Request::builder()
        .uri(format!("http://{addr}/"))
        .header("x-request-id", format!("r{n}"))
        .header("x-tenant", "acme");
    if let Headers::W3c = headers {
        req = req.header("traceparent", TRACEPARENT);
    }
    let req = req.body(Empty::<Bytes>::new()).expect("request");
    sender.ready().await.expect("connection ready");
    let resp = sender.send_request(req).await.expect("response");
    assert!(
        resp.status().is_success(),
        "server answered {}",
        resp.status()
    );
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"Hello, World!");
}

/// Every connection sends `rounds` requests one after another; all connections at once.
fn round(client: &mut Client, rounds: u64, headers: Headers) {
    let addr = client.addr;
    let senders = std::mem::take(&mut client.senders);
    client.senders = client.rt.block_on(async move {
        let tasks: Vec<_> = senders
            .into_iter()
            .map(|mut sender| {
                tokio::spawn(async move {
                    for n in 0..rounds {
                        one_request(&mut sender, addr, n, headers).await;
                    }
                    sender
                })
            })
            .collect();
        let mut back = Vec::with_capacity(CONNS);
        for task in tasks {
            back.push(task.await.expect("client task"));
        }
        back
    });
}

fn throughput(iters: u64, server: Server, headers: Headers) -> Measurement {
    let (running, addr) = start(server);
    let mut client = connect(addr);
    round(&mut client, 2, headers); // warm-up, untimed
    let start = Instant::now();
    round(&mut client, iters * REQS_PER_CONN, headers);
    let elapsed = start.elapsed();
    drop(client);
    drop(running);
    Measurement::Elapsed(elapsed)
}

fn p99_fixed_rate(iters: u64, server: Server) -> Measurement {
    const ROUNDS_PER_ITER: u64 = 20;
    const PERIOD: Duration = Duration::from_millis(10);
    let (running, addr) = start(server);
    let mut client = connect(addr);
    round(&mut client, 2, Headers::Vars);
    let senders = std::mem::take(&mut client.senders);
    let rounds = iters * ROUNDS_PER_ITER;
    let latencies = client.rt.block_on(async move {
        let tasks: Vec<_> = senders
            .into_iter()
            .enumerate()
            .map(|(i, mut sender)| {
                tokio::spawn(async move {
                    // Spread the connections' send times over the period.
                    tokio::time::sleep(PERIOD * i as u32 / CONNS as u32).await;
                    let mut ticker = tokio::time::interval(PERIOD);
                    let mut latencies = Vec::with_capacity(rounds as usize);
                    for n in 0..rounds {
                        ticker.tick().await;
                        let sent = Instant::now();
                        one_request(&mut sender, addr, n, Headers::Vars).await;
                        latencies.push(sent.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("client task"));
        }
        all
    });
    drop(client);
    drop(running);
    let p99 = percentile(latencies, 0.99);
    // The runner divides by `iters`: report p99 per iteration so the row shows p99.
    Measurement::Elapsed(p99 * iters as u32)
}

fn percentile(mut samples: Vec<Duration>, q: f64) -> Duration {
    samples.sort_unstable();
    let at = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[at]
}
