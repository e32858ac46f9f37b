//! `examples/tenant_server.rs` (compiled into this test) logging as `--log json` does:
//! `tracing_subscriber`'s JSON formatter wrapped in ctxrt's tracing `ContextLayer`. Two
//! requests run concurrently (their lines interleave), each calling a downstream
//! tenant_server; every line is one JSON object, and every line of a request — its
//! handler, spawned task, blocking job, downstream call, and the downstream service's own
//! handler, task and job — carries that request's `request_id`, `tenant` and `trace_id`
//! (the W3C trace id of its incoming `traceparent`), none passed by hand.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ctxrt::context::tracing::ContextLayer;
use ctxrt::net::TcpListener;
use ctxrt::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt;

#[allow(dead_code, unreachable_pub)]
#[path = "../../runtime/examples/tenant_server.rs"]
mod tenant_server;

/// Everything the JSON layer wrote (one `write` per line).
fn output() -> &'static Arc<Mutex<Vec<u8>>> {
    static OUTPUT: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    OUTPUT.get_or_init(|| {
        let out = Arc::new(Mutex::new(Vec::new()));
        let writer_out = out.clone();
        let json = tracing_subscriber::fmt::layer()
            .json()
            .with_writer(move || Capture(writer_out.clone()));
        let subscriber = tracing_subscriber::registry().with(ContextLayer::new(json));
        tracing::subscriber::set_global_default(subscriber).unwrap();
        out
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A request as the client sends it.
struct Sent {
    request_id: String,
    tenant: &'static str,
    trace_id: TraceId,
}

fn otel_context(trace_id: TraceId, span: u64) -> opentelemetry::Context {
    opentelemetry::Context::new().with_remote_span_context(SpanContext::new(
        trace_id,
        SpanId::from(span),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    ))
}

/// Runs one round of two concurrent requests; returns what was sent and the JSON lines
/// logged meanwhile.
fn round(round: u32) -> (Vec<Sent>, Vec<Value>) {
    let out = output();
    out.lock().unwrap().clear();
    let rt = ctxrt_tests::multi_thread();
    let sent: Vec<Sent> = [(1u128, "acme"), (2, "beta")]
        .into_iter()
        .map(|(n, tenant)| Sent {
            request_id: format!("r{round}-{n}"),
            tenant,
            trace_id: TraceId::from(
                0x4bf9_2f35_0000_0000_0000_0000_0000_0000 + (u128::from(round) << 8) + n,
            ),
        })
        .collect();
    let requests: Vec<_> = sent
        .iter()
        .map(|s| (s.request_id.clone(), s.tenant.to_owned(), s.trace_id))
        .collect();
    rt.block_on(ctxrt_tests::within(
        Duration::from_secs(20),
        "two requests through tenant_server and its downstream",
        async move {
            let (stop, stopped) = futures::channel::oneshot::channel::<()>();
            let stopped = futures::future::FutureExt::shared(async move {
                let _ = stopped.await;
            });
            let downstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let downstream_addr = downstream.local_addr().unwrap();
            let second = ctxrt::spawn(tenant_server::serve(downstream, stopped.clone()));
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tenant_server::DOWNSTREAM.set(downstream_addr);
            let first = ctxrt::spawn(tenant_server::serve(listener, stopped));
            // Each client request is the example's own client call, made from a context
            // holding that request's ids and trace (what it forwards as headers).
            let clients: Vec<_> = requests
                .into_iter()
                .map(|(rid, tenant, trace)| {
                    let _attached = otel_context(trace, 0x00f0_67aa_0ba9_02b7).attach();
                    Context::new().run(|| {
                        tenant_server::REQUEST_ID.set(rid);
                        tenant_server::TENANT.set(tenant);
                        ctxrt::spawn(tenant_server::call_downstream(addr))
                    })
                })
                .collect();
            for client in clients {
                assert_eq!(client.await.unwrap().unwrap(), 200);
            }
            let _ = stop.send(());
            first.await.unwrap();
            second.await.unwrap();
        },
    ));
    drop(rt);
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let lines = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect();
    (sent, lines)
}

#[test]
fn every_json_line_carries_its_own_requests_ids() {
    let mut interleaved = false;
    // The ids must be right in every round; interleaving depends on timing, so up to
    // three rounds are run until the two requests' lines interleave.
    for n in 0..3 {
        let (sent, lines) = round(n);
        let mut positions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, line) in lines.iter().enumerate() {
            let fields = &line["fields"];
            let Some(rid) = fields["request_id"].as_str() else {
                continue; // server lines outside any request (shutdown)
            };
            let request = sent
                .iter()
                .find(|s| s.request_id == rid)
                .unwrap_or_else(|| panic!("a line with an unknown request id: {line}"));
            assert_eq!(fields["tenant"], request.tenant, "{line}");
            assert_eq!(fields["trace_id"], request.trace_id.to_string(), "{line}");
            assert_eq!(line["level"], "INFO");
            positions.entry(&request.request_id).or_default().push(i);
        }
        for request in &sent {
            let messages: Vec<&str> = lines
                .iter()
                .filter(|l| l["fields"]["request_id"] == request.request_id.as_str())
                .map(|l| l["fields"]["message"].as_str().unwrap())
                .collect();
            // Two servers x (handler, task, job, 200) + the first one's downstream line.
            for (message, count) in [
                ("GET /", 2),
                ("spawned task", 2),
                ("blocking job", 2),
                ("200", 2),
            ] {
                assert_eq!(
                    messages.iter().filter(|m| **m == message).count(),
                    count,
                    "{message:?} in {messages:?}"
                );
            }
            assert_eq!(
                messages
                    .iter()
                    .filter(|m| m.starts_with("downstream"))
                    .count(),
                1,
                "{messages:?}"
            );
            assert_eq!(messages.len(), 9, "{messages:?}");
        }
        let [a, b] = [
            &positions[sent[0].request_id.as_str()],
            &positions[sent[1].request_id.as_str()],
        ];
        interleaved = a.first() < b.last() && b.first() < a.last();
        if interleaved {
            break;
        }
    }
    assert!(
        interleaved,
        "the two concurrent requests never overlapped in 3 rounds"
    );
}
