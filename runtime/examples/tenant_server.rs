//! A tenant-aware HTTP server on ctxrt and hyper: the request id and tenant are bound once,
//! at the edge, by `ctxrt::http::ContextLayer`, and every log line — the handler's, a task
//! it spawns, a blocking job it runs — carries them with no id passed by hand.
//!
//! ```text
//! cargo run --release -p ctxrt --all-features --example tenant_server -- --addr 127.0.0.1:3000
//! curl -H 'x-tenant: acme' http://127.0.0.1:3000/
//! ```
//!
//! Contract (other tools drive this program; keep it exactly):
//! - `--addr ADDR` (default `127.0.0.1:3000`; port 0 picks a free one); once it accepts
//!   connections it prints a line containing `listening on http://HOST:PORT`.
//! - `GET /` with header `x-tenant` (and optionally `x-request-id`) answers 200 with
//!   `{"request_id": R, "tenant": T, "task": {"request_id": R, "tenant": T},
//!   "blocking": {"request_id": R, "tenant": T}}`, where `task` and `blocking` are what a
//!   spawned task and a `spawn_blocking` job (each after a short sleep) read from their
//!   inherited context; the response header `x-request-id` is R (generated when absent).
//!   Without `x-tenant` the tenant is the var's default, never a previous request's.
//! - SIGINT or SIGTERM: stop accepting, finish in-flight requests, exit 0.
//!
//! HTTP/1.1 and HTTP/2 (prior knowledge, h2c) are served on the same port.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ctxrt::http::ContextLayer;
use ctxrt::net::TcpListener;
use ctxrt::ContextVar;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tower::{service_fn, Layer};

mod common;

/// The request id, bound by `ContextLayer` from `x-request-id` (generated when absent).
pub static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
/// The tenant, bound by `ContextLayer` from `x-tenant`; `public` when absent.
pub static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "public".into());

/// Where log lines go: stderr unless the server's context binds a sink (tests do). Bound
/// once around the accept loop, it reaches every request, task and job by inheritance.
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

/// What the current context says: `{"request_id": R, "tenant": T}`.
fn ids() -> serde_json::Value {
    json!({ "request_id": REQUEST_ID.get(), "tenant": TENANT.get() })
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/" {
        return Ok(respond(
            StatusCode::NOT_FOUND,
            json!({ "error": "not found" }),
        ));
    }
    if req.method() != Method::GET {
        return Ok(respond(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "error": "only GET / is served" }),
        ));
    }
    log("GET /");
    // Neither the task nor the job is given an id: both inherit the request's context.
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
    let (task, blocking) = (task.await, blocking.await);
    let (Ok(task), Ok(blocking)) = (task, blocking) else {
        log("a child failed");
        return Ok(respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "error": "a child task failed" }),
        ));
    };
    let mut body = ids();
    body["task"] = task;
    body["blocking"] = blocking;
    log("200");
    Ok(respond(StatusCode::OK, body))
}

fn respond(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

fn parse_args() -> Result<SocketAddr, String> {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                addr = args
                    .next()
                    .ok_or("--addr needs a value, e.g. 127.0.0.1:3000")?
            }
            "-h" | "--help" => {
                println!("usage: tenant_server [--addr HOST:PORT]   (default 127.0.0.1:3000)");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    addr.parse()
        .map_err(|err| format!("--addr {addr:?} is not a socket address: {err}"))
}

/// Serves `listener` until `shutdown` resolves, then stops accepting and waits (up to 10 s)
/// for in-flight requests to finish.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let service = ContextLayer::new()
        .header("x-request-id", &REQUEST_ID)
        .header("x-tenant", &TENANT)
        .layer(service_fn(handle));
    common::serve(listener, TowerToHyperService::new(service), shutdown, log).await;
}

#[ctxrt::main]
async fn main() {
    let addr = match parse_args() {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("tenant_server: {err}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("tenant_server: cannot listen on {addr}: {err}");
            std::process::exit(1);
        }
    };
    let local = listener
        .local_addr()
        .expect("bound listener has an address");
    println!("listening on http://{local}");
    serve(listener, common::shutdown_signal("tenant_server")).await;
}
