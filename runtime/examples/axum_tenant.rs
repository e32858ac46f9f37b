//! An axum `Router` served on ctxrt through hyper-util's connection builder (HTTP/1.1 and
//! HTTP/2 on one port), with `ctxrt::http::ContextLayer` binding the request id and tenant
//! once per request. The handler spawns a task, runs a blocking job and sleeps; every log
//! line shows the right ids with none passed by hand.
//!
//! ```text
//! cargo run --release -p ctxrt --all-features --example axum_tenant -- --addr 127.0.0.1:3001
//! curl -H 'x-tenant: acme' -H 'x-request-id: r1' http://127.0.0.1:3001/
//! ```
//!
//! It prints `listening on http://HOST:PORT` once it accepts connections, answers `GET /`
//! like `tenant_server`, and on SIGINT/SIGTERM stops accepting, finishes in-flight
//! requests and exits 0.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use ctxrt::http::ContextLayer;
use ctxrt::hyper::{CtxrtExecutor, CtxrtTimer, FuturesIo};
use ctxrt::net::TcpListener;
use ctxrt::ContextVar;
use futures::future::{select, Either};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "public".into());

fn log(message: &str) {
    eprintln!(
        "request_id={} tenant={} {message}",
        REQUEST_ID.get().unwrap_or_else(|| "-".into()),
        TENANT.get().unwrap_or_default(),
    );
}

fn ids() -> Value {
    json!({ "request_id": REQUEST_ID.get(), "tenant": TENANT.get() })
}

async fn root() -> Json<Value> {
    log("GET /");
    let task = ctxrt::spawn(async {
        ctxrt::time::sleep(Duration::from_millis(5)).await;
        log("spawned task");
        ids()
    });
    let blocking = ctxrt::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(5));
        log("blocking job");
        ids()
    });
    let mut body = ids();
    body["task"] = task.await.unwrap_or(Value::Null);
    body["blocking"] = blocking.await.unwrap_or(Value::Null);
    Json(body)
}

/// The application: one route, every request in its own context.
fn app() -> Router {
    Router::new().route("/", get(root)).layer(
        ContextLayer::new()
            .header("x-request-id", &REQUEST_ID)
            .header("x-tenant", &TENANT),
    )
}

fn parse_addr() -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:3001".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs a value")?,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: --addr HOST:PORT"
                ))
            }
        }
    }
    addr.parse()
        .map_err(|err| format!("--addr {addr:?} is not a socket address: {err}"))
}

fn shutdown_signal() -> futures::channel::oneshot::Receiver<i32> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let (tx, rx) = futures::channel::oneshot::channel();
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).expect("install signal handlers");
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let _ = tx.send(signal);
        }
    });
    rx
}

#[ctxrt::main]
async fn main() {
    let addr = parse_addr().unwrap_or_else(|err| {
        eprintln!("axum_tenant: {err}");
        std::process::exit(2)
    });
    let listener = TcpListener::bind(addr).await.unwrap_or_else(|err| {
        eprintln!("axum_tenant: cannot listen on {addr}: {err}");
        std::process::exit(1)
    });
    println!(
        "listening on http://{}",
        listener
            .local_addr()
            .expect("bound listener has an address")
    );
    let app = app();
    let mut builder = auto::Builder::new(CtxrtExecutor::new());
    builder
        .http1()
        .timer(CtxrtTimer::new())
        .header_read_timeout(Duration::from_secs(5));
    let graceful = GracefulShutdown::new();
    let mut signal = shutdown_signal();
    loop {
        let accepted = match select(pin!(listener.accept()), &mut signal).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(_) => break,
        };
        let Ok((stream, _)) = accepted else {
            ctxrt::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let conn = builder
            .serve_connection(
                FuturesIo::new(stream),
                TowerToHyperService::new(app.clone()),
            )
            .into_owned();
        let conn = graceful.watch(conn);
        ctxrt::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = ctxrt::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}
