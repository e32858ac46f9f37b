//! No trace continuation (no `opentelemetry` feature): the same methods as `trace.rs`,
//! doing nothing.

use ::http::{Request, Response};

/// Nothing per request.
pub(super) struct RequestTrace;

impl RequestTrace {
    /// Nothing to start.
    pub(super) fn start<B>(_req: &Request<B>) -> RequestTrace {
        RequestTrace
    }

    /// Calls `f`.
    pub(super) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Nothing to end.
    pub(super) fn finish<B>(&self, _resp: Option<&Response<B>>) {}
}
