//! W3C propagation round trip: a context injected into an `http::HeaderMap`
//! (`traceparent`, `tracestate`, `baggage`) and extracted again gives the same trace id,
//! parent span id, sampled flag, trace state and baggage — also when the injecting side is
//! a task spawned by the code that extracted the incoming headers (its inherited OTel
//! context is what `inject` writes).

use ctxrt::context::opentelemetry::{extract, extract_with_context, inject, inject_context};
use ctxrt::runtime::Runtime;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::{Context as OtelContext, KeyValue};

const TRACE_ID: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const SPAN_ID: u64 = 0x00f0_67aa_0ba9_02b7;

fn remote_context() -> OtelContext {
    let span = SpanContext::new(
        TraceId::from(TRACE_ID),
        SpanId::from(SPAN_ID),
        TraceFlags::SAMPLED,
        true,
        "vendor=abc,other=x y".parse::<TraceState>().unwrap(),
    );
    OtelContext::new()
        .with_remote_span_context(span)
        .with_baggage([
            KeyValue::new("tenant", "acme"),
            KeyValue::new("user", "ada lovelace"),
        ])
}

fn assert_same(extracted: &OtelContext) {
    let span = extracted.span();
    let sc = span.span_context();
    assert!(sc.is_valid() && sc.is_remote());
    assert_eq!(sc.trace_id(), TraceId::from(TRACE_ID));
    assert_eq!(sc.span_id(), SpanId::from(SPAN_ID));
    assert!(sc.is_sampled());
    assert_eq!(sc.trace_state().get("vendor"), Some("abc"));
    assert_eq!(sc.trace_state().get("other"), Some("x y"));
    let baggage = extracted.baggage();
    assert_eq!(baggage.get("tenant").map(|v| v.as_str()), Some("acme"));
    // Percent-encoded on the wire, decoded on the way back.
    assert_eq!(
        baggage.get("user").map(|v| v.as_str()),
        Some("ada lovelace")
    );
    assert_eq!(baggage.len(), 2);
}

#[test]
fn inject_then_extract_gives_the_same_trace_and_baggage() {
    let mut headers = http::HeaderMap::new();
    inject_context(&remote_context(), &mut headers);
    assert_eq!(
        headers["traceparent"],
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    );
    assert!(headers.contains_key("tracestate"));
    assert!(headers.contains_key("baggage"));
    assert_same(&extract_with_context(&OtelContext::new(), &headers));
}

fn a_spawned_task_forwards_the_extracted_trace(rt: Runtime) {
    let mut incoming = http::HeaderMap::new();
    inject_context(&remote_context(), &mut incoming);
    let outgoing = rt.block_on(async move {
        // The server side: continue the incoming trace, then let a child task make the
        // downstream call.
        let _attached = extract(&incoming).attach();
        ctxrt::spawn(async {
            ctxrt::task::yield_now().await;
            let mut outgoing = http::HeaderMap::new();
            inject(&mut outgoing);
            outgoing
        })
        .await
        .unwrap()
    });
    assert_same(&extract_with_context(&OtelContext::new(), &outgoing));
}

ctxrt_tests::on_both_flavors!(a_spawned_task_forwards_the_extracted_trace);
