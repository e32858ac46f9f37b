//! The `opentelemetry` feature: W3C Trace Context (`traceparent`, `tracestate`) and W3C
//! Baggage (`baggage`) moved between an `opentelemetry::Context` and an
//! [`http::HeaderMap`], through OTel's own [`TextMapPropagator`]s
//! ([`TraceContextPropagator`], [`BaggagePropagator`]).
//!
//! - [`extract`] reads a request's headers into an OTel context (a remote parent span and
//!   the baggage) on top of the current one, for a server continuing an incoming trace.
//! - [`inject`] writes the current OTel context into outgoing headers, for a client
//!   forwarding its trace downstream; [`inject_context`] writes a given one.
//!
//! Malformed input is ignored, never an error or a panic, as the W3C specs require: a
//! `traceparent` that is not exactly the W3C shape (a version other than two lowercase hex
//! digits or `ff`, ids of the wrong length, non-hex or upper-case digits, an all-zero trace
//! or span id, a version-00 header longer than 55 characters, or the header repeated) is
//! treated as absent, so the extracted context carries no remote span, and a `tracestate`
//! without a valid `traceparent` is not read. This module checks that shape itself before
//! OTel's parser sees the header, because the parser accepts over-long ids whose extra
//! digits are leading zeros.
//!
//! Carrying the OTel context *across spawns* is the runtime's part (`ctxrt`'s
//! `opentelemetry` feature): every task, blocking job and `ctxrt::thread` runs with its
//! spawner's OTel context attached.
//!
//! # Examples
//!
//! ```
//! use ctxrt_context::opentelemetry::{extract, inject_context};
//! use opentelemetry::trace::TraceContextExt;
//!
//! let mut incoming = http::HeaderMap::new();
//! incoming.insert(
//!     "traceparent",
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
//! );
//! incoming.insert("baggage", "tenant=acme".parse().unwrap());
//! let cx = extract(&incoming);
//! assert_eq!(
//!     cx.span().span_context().trace_id().to_string(),
//!     "4bf92f3577b34da6a3ce929d0e0e4736"
//! );
//!
//! let mut outgoing = http::HeaderMap::new();
//! inject_context(&cx, &mut outgoing);
//! assert_eq!(outgoing["traceparent"], incoming["traceparent"]);
//! assert_eq!(outgoing["baggage"], "tenant=acme");
//! ```

use ::opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use ::opentelemetry::Context as OtelContext;
use ::opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

const TRACEPARENT: &str = "traceparent";

/// The current OTel context with the remote span (from `traceparent`/`tracestate`) and the
/// baggage (from `baggage`) of `headers` added; malformed headers add nothing. See the
/// [module docs](self).
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
///
/// let mut headers = http::HeaderMap::new();
/// // Version ff is forbidden by the W3C spec: the header is ignored.
/// headers.insert(
///     "traceparent",
///     "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
/// );
/// let cx = ctxrt_context::opentelemetry::extract(&headers);
/// assert!(!cx.span().span_context().is_valid());
/// ```
pub fn extract(headers: &HeaderMap) -> OtelContext {
    OtelContext::map_current(|cx| extract_with_context(cx, headers))
}

/// `cx` with the remote span and the baggage of `headers` added (as [`extract`], on top of
/// a given context instead of the current one).
///
/// # Examples
///
/// ```
/// use opentelemetry::baggage::BaggageExt;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("baggage", "user=ada,tier=gold".parse().unwrap());
/// let cx = ctxrt_context::opentelemetry::extract_with_context(
///     &opentelemetry::Context::new(),
///     &headers,
/// );
/// assert_eq!(cx.baggage().get("tier").map(|v| v.as_str()), Some("gold"));
/// ```
pub fn extract_with_context(cx: &OtelContext, headers: &HeaderMap) -> OtelContext {
    let extractor = HeaderExtractor::new(headers);
    let cx = TraceContextPropagator::new().extract_with_context(cx, &extractor);
    BaggagePropagator::new().extract_with_context(&cx, &extractor)
}

/// Writes the current OTel context's span (`traceparent`, `tracestate`) and baggage
/// (`baggage`) into `headers`, replacing values already there. A context without a valid
/// span writes no `traceparent`; one without baggage writes no `baggage`.
///
/// # Examples
///
/// ```
/// use opentelemetry::baggage::BaggageExt;
/// use opentelemetry::KeyValue;
///
/// let _attached = opentelemetry::Context::current_with_baggage([KeyValue::new("k", "v")])
///     .attach();
/// let mut headers = http::HeaderMap::new();
/// ctxrt_context::opentelemetry::inject(&mut headers);
/// assert_eq!(headers["baggage"], "k=v");
/// assert!(!headers.contains_key("traceparent"));
/// ```
pub fn inject(headers: &mut HeaderMap) {
    OtelContext::map_current(|cx| inject_context(cx, headers));
}

/// Writes `cx`'s span and baggage into `headers` (as [`inject`], for a given context).
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
///
/// let remote = SpanContext::new(
///     TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
///     SpanId::from(0x00f0_67aa_0ba9_02b7),
///     TraceFlags::SAMPLED,
///     true,
///     TraceState::default(),
/// );
/// let cx = opentelemetry::Context::new().with_remote_span_context(remote);
/// let mut headers = http::HeaderMap::new();
/// ctxrt_context::opentelemetry::inject_context(&cx, &mut headers);
/// assert_eq!(
///     headers["traceparent"],
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
/// );
/// ```
pub fn inject_context(cx: &OtelContext, headers: &mut HeaderMap) {
    let mut injector = HeaderInjector(headers);
    TraceContextPropagator::new().inject_context(cx, &mut injector);
    BaggagePropagator::new().inject_context(cx, &mut injector);
}

/// OTel's view of a request's headers: text values only, and a `traceparent` only when it
/// has the W3C shape (see the module docs).
struct HeaderExtractor<'a> {
    headers: &'a HeaderMap,
}

impl<'a> HeaderExtractor<'a> {
    fn new(headers: &'a HeaderMap) -> Self {
        HeaderExtractor { headers }
    }
}

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        if key.eq_ignore_ascii_case(TRACEPARENT) {
            let mut values = self.headers.get_all(TRACEPARENT).iter();
            // A repeated traceparent is ambiguous: neither is trusted.
            let (Some(value), None) = (values.next(), values.next()) else {
                return None;
            };
            return value
                .to_str()
                .ok()
                .filter(|value| is_w3c_traceparent(value));
        }
        self.headers.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.headers.keys().map(HeaderName::as_str).collect()
    }
}

/// Whether `value` is a `traceparent` of the W3C Trace Context (level 1) shape:
/// `version-traceid-parentid-flags`, lowercase hex, version not `ff`, ids not all zero;
/// exactly 55 characters for version `00`, and for a later version 55 followed by nothing
/// or by `-` and more (fields a future version may add).
fn is_w3c_traceparent(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() < 55 {
        return false;
    }
    let (version, rest) = bytes.split_at(2);
    let shape = is_lower_hex(version)
        && version != b"ff"
        && rest[0] == b'-'
        && is_lower_hex(&rest[1..33])
        && rest[33] == b'-'
        && is_lower_hex(&rest[34..50])
        && rest[50] == b'-'
        && is_lower_hex(&rest[51..53]);
    let ids_set = rest[1..33].iter().any(|&b| b != b'0') && rest[34..50].iter().any(|&b| b != b'0');
    let length = match (version, bytes.get(55)) {
        (_, None) => true,
        (b"00", Some(_)) => false,
        (_, Some(&next)) => next == b'-',
    };
    shape && ids_set && length
}

fn is_lower_hex(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// OTel's writer into outgoing headers: values that are not valid header text are skipped.
struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_w3c_traceparent;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_w3c_shape_is_accepted() {
        assert!(is_w3c_traceparent(VALID));
        assert!(is_w3c_traceparent(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"
        ));
        assert!(is_w3c_traceparent(
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
        ));
    }

    #[test]
    fn every_w3c_violation_is_rejected() {
        for bad in [
            "",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        ] {
            assert!(!is_w3c_traceparent(bad), "{bad:?} passed");
        }
    }
}
