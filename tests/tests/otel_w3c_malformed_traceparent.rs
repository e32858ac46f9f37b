//! Malformed `traceparent` headers (wrong version, bad hex, upper case, all-zero ids,
//! over-long or short fields, repeated header, non-text bytes) are ignored without a
//! panic, as the W3C Trace Context spec requires: the extracted context has no remote
//! span, its `tracestate` is not read, and the independent `baggage` header still is. A
//! task spawned under such a context starts a new trace rather than continuing a bogus one.

use ctxrt::context::opentelemetry::{extract, extract_with_context};
use ctxrt::runtime::Runtime;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::TraceContextExt;
use opentelemetry::Context as OtelContext;

const MALFORMED: &[&[u8]] = &[
    // wrong version: ff is forbidden, versions are two lowercase hex digits
    b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    b"0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    b"000-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    b"zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    // bad hex, upper case
    b"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bx-01",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
    b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    // all-zero ids
    b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    b"00-00000000000000000000000000000000-0000000000000000-00",
    // over-long: padded ids (leading zeros), trailing data on version 00, a huge value
    b"00-004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000f067aa0ba902b7-01",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-001",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
    // short, missing fields, wrong separators, empty, not text
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-",
    b"00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
    b"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
    b"",
    b"   ",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-\xff\xfe",
];

fn headers(traceparent: &[u8]) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "traceparent",
        http::HeaderValue::from_bytes(traceparent).unwrap(),
    );
    headers.insert("tracestate", "vendor=abc".parse().unwrap());
    headers.insert("baggage", "tenant=acme".parse().unwrap());
    headers
}

fn assert_ignored(cx: &OtelContext, what: &str) {
    let span = cx.span();
    assert!(!span.span_context().is_valid(), "{what}: continued a trace");
    assert!(!cx.has_active_span(), "{what}: has a span");
    assert_eq!(
        cx.baggage().get("tenant").map(|v| v.as_str()),
        Some("acme"),
        "{what}: baggage is independent of traceparent"
    );
}

#[test]
fn malformed_traceparents_are_ignored() {
    let big = format!(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01{}",
        "0".repeat(64 * 1024)
    );
    for value in MALFORMED.iter().copied().chain([big.as_bytes()]) {
        let what = String::from_utf8_lossy(&value[..value.len().min(80)]).into_owned();
        assert_ignored(
            &extract_with_context(&OtelContext::new(), &headers(value)),
            &what,
        );
    }
}

#[test]
fn a_repeated_traceparent_is_ignored() {
    let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut repeated = headers(valid.as_bytes());
    repeated.append("traceparent", valid.parse().unwrap());
    assert_ignored(
        &extract_with_context(&OtelContext::new(), &repeated),
        "repeated",
    );
    // The same header once is continued, so the rejections above are the shape's fault.
    let once = extract_with_context(&OtelContext::new(), &headers(valid.as_bytes()));
    assert!(once.span().span_context().is_valid());
}

fn a_task_under_a_malformed_traceparent_sees_no_remote_span(rt: Runtime) {
    for value in MALFORMED {
        let incoming = headers(value);
        let (active, tenant) = rt.block_on(async move {
            let _attached = extract(&incoming).attach();
            ctxrt::spawn(async {
                let cx = OtelContext::current();
                let tenant = cx.baggage().get("tenant").map(|v| v.to_string());
                (cx.has_active_span(), tenant)
            })
            .await
            .unwrap()
        });
        assert!(!active);
        assert_eq!(tenant.as_deref(), Some("acme"));
    }
}

ctxrt_tests::on_both_flavors!(a_task_under_a_malformed_traceparent_sees_no_remote_span);
