//! No trace continuation (no `opentelemetry` feature): the same methods as `trace.rs`,
//! doing nothing.

use ::http::{Request, Response};

/// `ContextLayer::continues_trace` is always false: no trace to continue.
pub(super) const AVAILABLE: bool = false;

/// Nothing per request.
pub(super) struct RequestTrace;

impl RequestTrace {
    /// Nothing to start.
    pub(super) fn start<B>(_req: &Request<B>) -> RequestTrace {
        RequestTrace
    }

    /// Nothing.
    pub(super) fn none() -> RequestTrace {
        RequestTrace
    }

    /// Calls `f`.
    pub(super) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Nothing to end.
    pub(super) fn finish<B>(&self, _resp: Option<&Response<B>>) {}
}
