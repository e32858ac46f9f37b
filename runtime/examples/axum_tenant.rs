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

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use ctxrt::http::ContextLayer;
use ctxrt::net::TcpListener;
use ctxrt::ContextVar;
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};

mod common;

/// The request id, bound by `ContextLayer` from `x-request-id` (generated when absent).
pub static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
/// The tenant, bound by `ContextLayer` from `x-tenant`; `public` when absent.
pub static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "public".into());

/// Where log lines go: stderr unless the server's context binds a sink (tests do). Bound
/// once around [`serve`], it reaches every request, task and job by inheritance.
pub static LOG_SINK: ContextVar<LogSink> = ContextVar::new("log_sink");

/// A destination for log lines.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// One log line, with the ids of whatever request's context it runs in.
fn log(message: &str) {
    let line = format!(
        "request_id={} tenant={} {message}",
        REQUEST_ID.get().unwrap_or_else(|| "-".into()),
        TENANT.get().unwrap_or_default(),
    );
    match LOG_SINK.get() {
        Some(sink) => sink(&line),
        None => eprintln!("{line}"),
    }
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
pub fn app() -> Router {
    Router::new().route("/", get(root)).layer(
        ContextLayer::new()
            .header("x-request-id", &REQUEST_ID)
            .header("x-tenant", &TENANT),
    )
}

/// Serves [`app`] on `listener` until `shutdown` resolves, then stops accepting and waits
/// (up to 10 s) for in-flight requests to finish.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()>) {
    common::serve(listener, TowerToHyperService::new(app()), shutdown, log).await;
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
    serve(listener, common::shutdown_signal("axum_tenant")).await;
}
