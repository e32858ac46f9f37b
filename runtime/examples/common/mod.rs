//! What the HTTP examples (`tenant_server`, `axum_tenant`) share: the signal thread that
//! turns SIGINT/SIGTERM into a future, and the accept loop that serves a hyper service on
//! ctxrt through hyper-util's auto connection builder (HTTP/1.1 and h2c on one port) and
//! shuts down gracefully.
//!
//! Each example includes it with `mod common;`; the tests that compile an example through
//! `#[path]` get it the same way. It is not an example of its own (cargo builds only
//! `examples/*.rs` and `examples/*/main.rs`).

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use ctxrt::hyper::{CtxrtExecutor, CtxrtTimer};
use ctxrt::net::TcpListener;
use futures::future::{select, Either};
use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;

/// What hyper's errors are boxed as.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long a client may take to send a request's headers before its connection is cut
/// (the slowloris defence, timed through `CtxrtTimer`).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long shutdown waits for in-flight requests before giving up on them.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves when SIGINT or SIGTERM arrives (a signal-hook thread forwards it), after
/// printing `{program}: signal N: draining in-flight requests` to stderr. If the signal
/// thread is gone, it never resolves: the server runs until killed.
///
/// # Panics
///
/// If the signal handlers or the thread cannot be installed (the server could not shut
/// down gracefully, so it refuses to start).
pub fn shutdown_signal(program: &'static str) -> impl Future<Output = ()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let (tx, rx) = futures::channel::oneshot::channel();
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).expect("install signal handlers");
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let _ = tx.send(signal);
            }
        })
        .expect("spawn the signal thread");
    async move {
        match rx.await {
            Ok(signal) => eprintln!("{program}: signal {signal}: draining in-flight requests"),
            Err(_) => std::future::pending().await,
        }
    }
}

/// Serves `service` on every connection `listener` accepts until `shutdown` resolves, then
/// drops the listener (new connections are refused) and waits up to [`DRAIN_TIMEOUT`] for
/// in-flight requests to finish. `log` reports accept errors and how the drain ended.
///
/// Each connection runs in its own ctxrt task spawned from the caller's context, so what
/// the caller bound (a log sink, say) reaches every request; HTTP/2 streams are spawned
/// through [`CtxrtExecutor`] from their connection's task and inherit it in turn.
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()>,
    log: fn(&str),
) where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut builder = auto::Builder::new(CtxrtExecutor::new());
    builder
        .http1()
        .timer(CtxrtTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder.http2().timer(CtxrtTimer::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);

    loop {
        let accepted = match select(pin!(listener.accept()), shutdown.as_mut()).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(((), _)) => break,
        };
        let (stream, _peer) = match accepted {
            Ok(conn) => conn,
            Err(err) => {
                // Out of file descriptors, a connection reset before accept, ...: the
                // listener itself is fine; back off briefly and go on.
                log(&format!("accept failed: {err}"));
                ctxrt::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // ctxrt's TcpStream is hyper's `Read`/`Write` itself (ctxrt::hyper).
        let conn = builder
            .serve_connection(stream, service.clone())
            .into_owned();
        let conn = graceful.watch(conn);
        ctxrt::spawn(async move {
            // A client that vanishes or sends garbage ends only its own connection.
            let _ = conn.await;
        });
    }
    drop(listener);
    match ctxrt::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await {
        Ok(()) => log("all connections closed"),
        Err(_) => log(&format!(
            "gave up waiting for connections after {DRAIN_TIMEOUT:?}"
        )),
    }
}
