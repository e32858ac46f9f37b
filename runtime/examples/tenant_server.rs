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
//!
//! Observability (issue 13), all optional:
//! - `--log json`: one JSON object per line on stdout (after the `listening on` line),
//!   through `tracing_subscriber`'s JSON formatter wrapped in ctxrt's tracing
//!   `ContextLayer`: `request_id` and `tenant` come from the context, never passed by hand,
//!   and `trace_id` is the W3C trace id of the current OTel context. The default
//!   (`--log plain`) writes `request_id=R tenant=T trace_id=X message` lines on stderr.
//! - Each request continues its incoming `traceparent` (ContextLayer with the
//!   `opentelemetry` feature), or starts a new trace when it has none or a malformed one
//!   (not an error); spawned tasks and blocking jobs inherit the request's OTel context,
//!   so their lines carry the same `trace_id`. `--otel stdout` also prints every finished
//!   span through OTel's stdout exporter (multi-line text on stdout).
//! - `--downstream HOST:PORT`: after its task and job, the handler calls `GET /` on that
//!   service with hyper's client on ctxrt, forwarding `x-request-id`, `x-tenant` (taken
//!   from the context) and `traceparent`/`tracestate`/`baggage` (from the OTel context);
//!   the response shape above does not change, the outcome is logged.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ctxrt::http::ContextLayer;
use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::ContextVar;
use http_body_util::{Empty, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::service::TowerToHyperService;
use opentelemetry::trace::TraceContextExt;
use serde_json::json;
use tower::{service_fn, Layer};

mod common;

/// The request id, bound by `ContextLayer` from `x-request-id` (generated when absent);
/// loggable, so the tracing `ContextLayer` puts it on every JSON line.
pub static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged_display();
/// The tenant, bound by `ContextLayer` from `x-tenant`; `public` when absent.
pub static TENANT: ContextVar<String> =
    ContextVar::with_default("tenant", || "public".into()).logged_display();

/// The service the handler calls after its task and job (`--downstream`); unbound: none.
/// Bound once around the accept loop, it reaches every request by inheritance.
pub static DOWNSTREAM: ContextVar<SocketAddr> = ContextVar::new("downstream");

/// Where log lines go: stderr unless the server's context binds a sink (tests do). Bound
/// once around the accept loop, it reaches every request, task and job by inheritance.
pub static LOG_SINK: ContextVar<LogSink> = ContextVar::new("log_sink");

/// A destination for log lines.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The W3C trace id of the current OTel context (the request's: its tasks and jobs
/// inherit it), or `-` outside any trace.
pub fn trace_id() -> String {
    let otel = opentelemetry::Context::current();
    let span = otel.span();
    let span = span.span_context();
    if span.is_valid() {
        span.trace_id().to_string()
    } else {
        "-".into()
    }
}

/// One log line, with the ids of whatever request's context it runs in: to the bound
/// [`LOG_SINK`] if any, else through `tracing` once a subscriber is installed (`--log
/// json`: the request id and tenant are added by the tracing `ContextLayer`), else stderr.
fn log(message: &str) {
    let plain = || {
        format!(
            "request_id={} tenant={} trace_id={} {message}",
            REQUEST_ID.get().unwrap_or_else(|| "-".into()),
            TENANT.get().unwrap_or_default(),
            trace_id(),
        )
    };
    match LOG_SINK.get() {
        Some(sink) => sink(&plain()),
        None if tracing::dispatcher::has_been_set() => {
            tracing::info!(trace_id = %trace_id(), "{message}");
        }
        None => eprintln!("{}", plain()),
    }
}

/// `GET http://ADDR/` with hyper's client on ctxrt, forwarding the current context's
/// request id and tenant as `x-request-id`/`x-tenant` and its OTel context as
/// `traceparent`/`tracestate`/`baggage`; returns the response status.
///
/// # Errors
///
/// If the connection, the handshake or the request fails.
pub async fn call_downstream(
    addr: SocketAddr,
) -> Result<StatusCode, Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(stream).await?;
    // The connection task inherits this context too.
    ctxrt::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::builder()
        .uri(format!("http://{addr}/"))
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let headers = req.headers_mut();
    if let Some(id) = REQUEST_ID.get() {
        headers.insert("x-request-id", id.parse()?);
    }
    if let Some(tenant) = TENANT.get() {
        headers.insert("x-tenant", tenant.parse()?);
    }
    ctxrt::context::opentelemetry::inject(headers);
    let resp = sender.send_request(req).await?;
    Ok(resp.status())
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
    if let Some(downstream) = DOWNSTREAM.get() {
        match call_downstream(downstream).await {
            Ok(status) => log(&format!("downstream {downstream} answered {status}")),
            Err(err) => log(&format!("downstream {downstream} failed: {err}")),
        }
    }
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

/// The command line.
struct Args {
    addr: SocketAddr,
    json_log: bool,
    otel_stdout: bool,
    downstream: Option<SocketAddr>,
}

const USAGE: &str = "usage: tenant_server [--addr HOST:PORT] [--log plain|json] \
                     [--otel none|stdout] [--downstream HOST:PORT]   (default 127.0.0.1:3000)";

fn parse_args() -> Result<Args, String> {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut json_log = false;
    let mut otel_stdout = false;
    let mut downstream = None;
    let mut args = std::env::args().skip(1);
    let socket = |flag: &str, value: String| {
        value
            .parse::<SocketAddr>()
            .map_err(|err| format!("{flag} {value:?} is not a socket address: {err}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                addr = args
                    .next()
                    .ok_or("--addr needs a value, e.g. 127.0.0.1:3000")?
            }
            "--log" => match args.next().as_deref() {
                Some("json") => json_log = true,
                Some("plain") => json_log = false,
                other => return Err(format!("--log takes plain or json, not {other:?}")),
            },
            "--otel" => match args.next().as_deref() {
                Some("stdout") => otel_stdout = true,
                Some("none") => otel_stdout = false,
                other => return Err(format!("--otel takes none or stdout, not {other:?}")),
            },
            "--downstream" => {
                let value = args
                    .next()
                    .ok_or("--downstream needs a value, e.g. 127.0.0.1:3001")?;
                downstream = Some(socket("--downstream", value)?);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(Args {
        addr: socket("--addr", addr)?,
        json_log,
        otel_stdout,
        downstream,
    })
}

/// `--log json`: JSON lines on stdout, each with the context's loggable bindings.
fn install_json_log() {
    use tracing_subscriber::layer::SubscriberExt;
    let json = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(std::io::stdout);
    let subscriber =
        tracing_subscriber::registry().with(ctxrt::context::tracing::ContextLayer::new(json));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
}

/// A tracer provider, so requests without a `traceparent` get a new trace id; with
/// `--otel stdout`, finished spans are printed by OTel's stdout exporter.
fn install_tracer_provider(stdout: bool) -> opentelemetry_sdk::trace::SdkTracerProvider {
    let mut builder = opentelemetry_sdk::trace::SdkTracerProvider::builder();
    if stdout {
        builder = builder.with_simple_exporter(opentelemetry_stdout::SpanExporter::default());
    }
    let provider = builder.build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    provider
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
    let args = match parse_args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("tenant_server: {err}");
            std::process::exit(2);
        }
    };
    let addr = args.addr;
    if args.json_log {
        install_json_log();
    }
    let provider = install_tracer_provider(args.otel_stdout);
    if let Some(downstream) = args.downstream {
        DOWNSTREAM.set(downstream);
    }
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
    let _ = provider.shutdown();
}
