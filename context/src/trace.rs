//! What `#[ctxrt::traced]` records: one [`TraceRecord`] per call of a traced fn (its name,
//! the loggable bindings of the context it ran in, the time it took and its
//! [`Outcome`]), handed to the sink set by [`set_trace_sink`] and, with the `tracing`
//! feature, emitted as a `tracing` event (INFO for `OK`, ERROR otherwise; see
//! `tracing.rs`).
//!
//! The macro (in `ctxrt-macros`) expands to a [`__private::Call`] started on entry and
//! finished with the return value; a panic drops the call unfinished, which records
//! `PANIC` and lets the unwind go on; an async call dropped before it completes records
//! `CANCELLED`. The sink lives in a process-wide slot (`sync/registry.rs`).

use std::fmt;
use std::time::{Duration, Instant};

use crate::log::{dump, Dump};
use crate::sync::registry;

/// How a traced call ended.
///
/// # Examples
///
/// ```
/// use ctxrt_context::Outcome;
/// assert_eq!(Outcome::Ok.to_string(), "OK");
/// assert!(Outcome::Panic.is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Returned normally: anything but an `Err`.
    Ok,
    /// Returned an `Err(_)`.
    Err,
    /// Panicked (the panic goes on unwinding after the record).
    Panic,
    /// An async call whose future was dropped before it completed.
    Cancelled,
}

impl Outcome {
    /// Whether this is anything but [`Outcome::Ok`]: what log output calls `ERR`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ctxrt_context::Outcome::Ok.is_err());
    /// ```
    pub fn is_err(self) -> bool {
        self != Outcome::Ok
    }

    /// `"OK"`, `"ERR"`, `"PANIC"` or `"CANCELLED"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ctxrt_context::Outcome::Err.as_str(), "ERR");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "OK",
            Outcome::Err => "ERR",
            Outcome::Panic => "PANIC",
            Outcome::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One call of a `#[ctxrt::traced]` fn, as the sink receives it.
///
/// Its `Display` is a logfmt line:
/// `fn=handler module=app outcome=OK elapsed_us=1200 request_id=r-1 tenant=acme`.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{set_trace_sink, ContextVar, TraceRecord};
///
/// static REQUEST_ID: ContextVar<&'static str> = ContextVar::new("request_id").logged();
///
/// fn print(record: &TraceRecord) {
///     assert_eq!(record.function(), "handler");
///     assert!(record.to_string().starts_with("fn=handler "));
/// }
/// set_trace_sink(Some(print));
/// # set_trace_sink(None);
/// ```
pub struct TraceRecord {
    function: &'static str,
    module: &'static str,
    elapsed: Duration,
    outcome: Outcome,
    context: Dump,
}

impl TraceRecord {
    /// The traced fn's name.
    ///
    /// # Examples
    ///
    /// See [`TraceRecord`].
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The module path of the traced fn.
    ///
    /// # Examples
    ///
    /// See [`TraceRecord`].
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// From the call's entry (an async fn's first poll) to its end.
    ///
    /// # Examples
    ///
    /// See [`TraceRecord`].
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// How the call ended.
    ///
    /// # Examples
    ///
    /// See [`TraceRecord`].
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The loggable bindings of the context the call ended in (its own sets included).
    ///
    /// # Examples
    ///
    /// See [`TraceRecord`].
    pub fn context(&self) -> &Dump {
        &self.context
    }
}

impl fmt::Display for TraceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fn={} module={} outcome={} elapsed_us={}",
            self.function,
            self.module,
            self.outcome,
            self.elapsed.as_micros()
        )?;
        if !self.context.is_empty() {
            write!(f, " {}", self.context)?;
        }
        Ok(())
    }
}

impl fmt::Debug for TraceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceRecord")
            .field("function", &self.function)
            .field("module", &self.module)
            .field("elapsed", &self.elapsed)
            .field("outcome", &self.outcome)
            .field("context", &self.context)
            .finish()
    }
}

/// A function that receives every [`TraceRecord`].
pub type TraceSink = fn(&TraceRecord);

/// Sets (or with `None`, removes) the process-wide sink of `#[ctxrt::traced]` records;
/// returns the previous one. With the `tracing` feature, records also go to `tracing` as
/// events, whether a sink is set or not; without it, a record with no sink is dropped.
///
/// The sink runs on the thread that made the call, inside the call's context, after the
/// call; a panic from it propagates to the caller (and from a `PANIC` record, aborts).
///
/// # Examples
///
/// ```
/// use ctxrt_context::{set_trace_sink, TraceRecord};
/// fn to_stderr(record: &TraceRecord) {
///     eprintln!("{record}");
/// }
/// assert!(set_trace_sink(Some(to_stderr)).is_none());
/// assert!(set_trace_sink(None).is_some());
/// ```
pub fn set_trace_sink(sink: Option<TraceSink>) -> Option<TraceSink> {
    registry::set_trace_sink(sink)
}

/// Hands `record` to the sink and, with the `tracing` feature, to `tracing`.
fn deliver(record: &TraceRecord) {
    #[cfg(feature = "tracing")]
    crate::tracing::emit_trace_record(record);
    if let Some(sink) = registry::trace_sink() {
        sink(record);
    }
}

#[doc(hidden)]
pub mod __private {
    //! What `#[ctxrt::traced]` expands to. Not a public API: it may change in any release.

    use std::future::Future;

    use super::{deliver, dump, Instant, Outcome, TraceRecord};

    /// One traced call in flight; records on [`finish`](Call::finish), or on drop if it is
    /// never finished (a panic, a cancelled async call).
    pub struct Call {
        function: &'static str,
        module: &'static str,
        start: Instant,
        is_async: bool,
        finished: bool,
    }

    impl Call {
        /// A call of `function` (in `module`) starting now.
        #[inline]
        pub fn start(function: &'static str, module: &'static str, is_async: bool) -> Call {
            Call {
                function,
                module,
                start: Instant::now(),
                is_async,
                finished: false,
            }
        }

        /// Records the call's end with `outcome`.
        #[inline]
        pub fn finish(mut self, outcome: Outcome) {
            self.finished = true;
            self.record(outcome);
        }

        fn record(&self, outcome: Outcome) {
            deliver(&TraceRecord {
                function: self.function,
                module: self.module,
                elapsed: self.start.elapsed(),
                outcome,
                context: dump(),
            });
        }
    }

    impl Drop for Call {
        fn drop(&mut self) {
            if self.finished {
                return;
            }
            if std::thread::panicking() {
                self.record(Outcome::Panic);
            } else if self.is_async {
                self.record(Outcome::Cancelled);
            }
        }
    }

    /// Autoref specialisation, step 1: a `Result`'s outcome.
    pub trait ResultOutcome {
        /// `Err` for an `Err`, else `Ok`.
        fn __ctxrt_outcome(&self) -> Outcome;
    }

    impl<T, E> ResultOutcome for &Result<T, E> {
        #[inline]
        fn __ctxrt_outcome(&self) -> Outcome {
            match self {
                Ok(_) => Outcome::Ok,
                Err(_) => Outcome::Err,
            }
        }
    }

    /// Autoref specialisation, step 2: anything else returned is `Ok`.
    pub trait AnyOutcome {
        /// Always `Ok`.
        fn __ctxrt_outcome(&self) -> Outcome;
    }

    impl<T: ?Sized> AnyOutcome for &&T {
        #[inline]
        fn __ctxrt_outcome(&self) -> Outcome {
            Outcome::Ok
        }
    }

    /// Pins an async body's output type to the fn's declared return type, so `?` and
    /// `return` inside it infer as they would in the fn itself.
    #[inline]
    pub fn typed<R, F: Future<Output = R>>(future: F) -> F {
        future
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::__private::{AnyOutcome as _, ResultOutcome as _};
    use super::*;

    #[test]
    fn outcome_of_a_return_value() {
        let ok: Result<u8, ()> = Ok(1);
        let err: Result<u8, ()> = Err(());
        assert_eq!((&&ok).__ctxrt_outcome(), Outcome::Ok);
        assert_eq!((&&err).__ctxrt_outcome(), Outcome::Err);
        assert_eq!((&&5u8).__ctxrt_outcome(), Outcome::Ok);
        assert_eq!((&&()).__ctxrt_outcome(), Outcome::Ok);
        let unsized_ref: &str = "x";
        assert_eq!((&&unsized_ref).__ctxrt_outcome(), Outcome::Ok);
    }
}
