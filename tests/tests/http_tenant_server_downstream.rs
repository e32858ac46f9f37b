//! `examples/tenant_server.rs` (compiled into this test) with a downstream service: the
//! handler's call through hyper's client on ctxrt forwards, taken from the context with
//! nothing passed by hand, the request id (the client's or the generated one echoed on the
//! response), the tenant, and the W3C trace (`traceparent` with the incoming trace id,
//! `baggage`). A request with a malformed `traceparent` is still served (200) and forwards
//! a new trace (with an SDK tracer provider installed, as `main` does). On both runtime
//! flavours.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ctxrt::hyper::FuturesIo;
use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use http_body_util::Empty;

#[allow(dead_code, unreachable_pub)]
#[path = "../../runtime/examples/tenant_server.rs"]
mod tenant_server;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

type Recorded = Arc<Mutex<Vec<http::HeaderMap>>>;

/// A downstream service that records the headers of every request and answers 204.
async fn recorder(listener: TcpListener, recorded: Recorded) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let recorded = recorded.clone();
        ctxrt::spawn(async move {
            let service = hyper::service::service_fn(move |req: http::Request<_>| {
                recorded.lock().unwrap().push(req.headers().clone());
                async {
                    let mut resp = http::Response::new(Empty::<Bytes>::new());
                    *resp.status_mut() = http::StatusCode::NO_CONTENT;
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(FuturesIo::new(stream), service)
                .await;
        });
    }
}

/// One `GET /` to `addr` with `headers`; the response's status and `x-request-id`.
async fn get(addr: std::net::SocketAddr, headers: &[(&str, &str)]) -> (u16, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(stream))
        .await
        .unwrap();
    ctxrt::spawn(conn);
    let mut req = http::Request::builder().uri(format!("http://{addr}/"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = sender
        .send_request(req.body(Empty::<Bytes>::new()).unwrap())
        .await
        .unwrap();
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    (resp.status().as_u16(), rid)
}

/// An SDK tracer provider as the global one, as `main` installs (so requests without a
/// valid traceparent get a new trace), once for this test binary.
fn install_tracer_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        opentelemetry::global::set_tracer_provider(provider);
    });
}

fn forwarded_ids_arrive_downstream(rt: Runtime) {
    install_tracer_provider();
    let recorded = Recorded::default();
    let sink = recorded.clone();
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    let replies = rt.block_on(ctxrt_tests::within(
        Duration::from_secs(20),
        "requests through tenant_server",
        async move {
            let downstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let downstream_addr = downstream.local_addr().unwrap();
            ctxrt::spawn(recorder(downstream, sink));
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // Logs go to a sink (not stderr); the downstream is bound once, like main does.
            tenant_server::LOG_SINK.set(Arc::new(|_: &str| {}));
            tenant_server::DOWNSTREAM.set(downstream_addr);
            let server = ctxrt::spawn(tenant_server::serve(listener, async move {
                let _ = stopped.await;
            }));
            let replies = vec![
                get(
                    addr,
                    &[
                        ("x-request-id", "rid-1"),
                        ("x-tenant", "acme"),
                        ("traceparent", TRACEPARENT),
                        ("baggage", "plan=gold"),
                    ],
                )
                .await,
                // No request id: the generated one is forwarded.
                get(addr, &[("x-tenant", "beta"), ("traceparent", TRACEPARENT)]).await,
                // Malformed traceparent: served, and a different trace is forwarded.
                get(
                    addr,
                    &[
                        ("x-request-id", "rid-3"),
                        ("x-tenant", "gamma"),
                        (
                            "traceparent",
                            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                        ),
                    ],
                )
                .await,
            ];
            let _ = stop.send(());
            server.await.unwrap();
            replies
        },
    ));
    let recorded = recorded.lock().unwrap();
    assert_eq!(replies.iter().map(|r| r.0).collect::<Vec<_>>(), [200; 3]);
    assert_eq!(recorded.len(), 3, "one downstream call per request");
    let header = |i: usize, name: &str| {
        recorded[i]
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let trace_of = |i: usize| {
        header(i, "traceparent")
            .split('-')
            .nth(1)
            .unwrap_or("")
            .to_owned()
    };

    assert_eq!(header(0, "x-request-id"), "rid-1");
    assert_eq!(header(0, "x-tenant"), "acme");
    assert_eq!(trace_of(0), TRACE_ID);
    assert_eq!(header(0, "baggage"), "plan=gold");

    assert_eq!(header(1, "x-request-id"), replies[1].1, "the generated id");
    assert_eq!(replies[1].1.len(), 36);
    assert_eq!(header(1, "x-tenant"), "beta");
    assert_eq!(trace_of(1), TRACE_ID);

    assert_eq!(header(2, "x-request-id"), "rid-3");
    assert_eq!(header(2, "x-tenant"), "gamma");
    // A new trace: a valid W3C id, not the malformed header's.
    assert_eq!(trace_of(2).len(), 32, "{:?}", header(2, "traceparent"));
    assert_ne!(
        trace_of(2).to_lowercase(),
        TRACE_ID,
        "the malformed trace was continued"
    );
    assert_ne!(trace_of(2), "0".repeat(32));
}

ctxrt_tests::on_both_flavors!(forwarded_ids_arrive_downstream);
