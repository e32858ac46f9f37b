//! [`JoinError`]: why a task produced no output.

use std::any::Any;
use std::fmt;

use super::Id;
use crate::sync::Exclusive;

/// A task did not produce its output: it panicked, or it was cancelled (aborted, or its
/// runtime shut down first).
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let err = rt.block_on(async { ctxrt::spawn(async { panic!("boom") }).await.unwrap_err() });
/// assert!(err.is_panic());
/// assert!(err.to_string().contains("panicked"));
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// ```
pub struct JoinError {
    id: Id,
    repr: Repr,
}

/// Boxed in the rare panic case, so a [`Failure`] (stored inline in every task's output
/// slot) is one word.
enum Repr {
    Cancelled,
    Panic(Box<Panic>),
}

struct Panic {
    payload: Exclusive<Box<dyn Any + Send + 'static>>,
    /// The payload as text, when it is a `&str` or `String` (read once, at the panic,
    /// because the payload itself may not be shared between threads).
    message: Option<String>,
}

/// A [`JoinError`] without its task id: what a finished task's stage stores. The id is
/// the task's own (in its header) and is attached when the `JoinHandle` takes the output
/// ([`Failure::with_id`]), so the output slot of every task is one word smaller: with a
/// small output, that keeps a pending task's cell within malloc's 128-byte size class.
pub(crate) struct Failure(Repr);

impl Failure {
    /// The task was cancelled.
    pub(crate) fn cancelled() -> Failure {
        Failure(Repr::Cancelled)
    }

    /// The task (or its future's drop) panicked with `payload`.
    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> Failure {
        let message = payload
            .downcast_ref::<&'static str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        Failure(Repr::Panic(Box::new(Panic {
            payload: Exclusive::new(payload),
            message,
        })))
    }

    /// The error the `JoinHandle` of task `id` returns.
    pub(crate) fn with_id(self, id: Id) -> JoinError {
        JoinError { id, repr: self.0 }
    }
}

impl JoinError {
    /// True if the task was cancelled (aborted, or dropped at runtime shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = ctxrt::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let result = rt.block_on(rt.spawn(async { panic!("no") }));
    /// assert!(result.unwrap_err().is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload.
    ///
    /// # Panics
    ///
    /// If the task was cancelled, not panicked; use [`JoinError::try_into_panic`] to check.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let err = rt.block_on(rt.spawn(async { std::panic::panic_any(7u8) })).unwrap_err();
    /// assert_eq!(*err.into_panic().downcast::<u8>().unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(err) => panic!(
                "JoinError::into_panic called on a task that did not panic ({err}); \
                 check is_panic() or use try_into_panic()"
            ),
        }
    }

    /// The panic payload, or the error back if the task was cancelled.
    ///
    /// # Errors
    ///
    /// Returns `self` if the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let err = rt.block_on(async {
    ///     let handle = ctxrt::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     handle.await.unwrap_err()
    /// });
    /// assert!(err.try_into_panic().is_err());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(panic) => Ok(panic.payload.into_inner()),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(async { panic!() });
    /// let id = handle.id();
    /// assert_eq!(rt.block_on(handle).unwrap_err().id(), id);
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(panic) => match &panic.message {
                Some(message) => write!(f, "task {} panicked with message {message:?}", self.id),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

/// The same text as tokio's (`JoinError::Cancelled(Id(7))`,
/// `JoinError::Panic(Id(7), "boom", ...)`), so logs and snapshot tests carry over on a port.
impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(panic) => match &panic.message {
                Some(message) => write!(f, "JoinError::Panic({:?}, {message:?}, ...)", self.id),
                None => write!(f, "JoinError::Panic({:?}, ...)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_task_and_the_failure() {
        let err = Failure::panic(Box::new("bad input")).with_id(Id(7));
        assert_eq!(
            err.to_string(),
            r#"task 7 panicked with message "bad input""#
        );
        assert_eq!(
            Failure::cancelled().with_id(Id(3)).to_string(),
            "task 3 was cancelled"
        );
        let opaque = Failure::panic(Box::new(5u32)).with_id(Id(1));
        assert_eq!(opaque.to_string(), "task 1 panicked");
    }

    #[test]
    fn debug_shows_the_id_as_tokio_does() {
        assert_eq!(
            format!("{:?}", Failure::cancelled().with_id(Id(7))),
            "JoinError::Cancelled(Id(7))"
        );
        assert_eq!(
            format!("{:?}", Failure::panic(Box::new("boom")).with_id(Id(7))),
            r#"JoinError::Panic(Id(7), "boom", ...)"#
        );
        assert_eq!(
            format!("{:?}", Failure::panic(Box::new(5u32)).with_id(Id(8))),
            "JoinError::Panic(Id(8), ...)"
        );
    }

    #[test]
    fn join_error_is_two_words() {
        assert_eq!(std::mem::size_of::<JoinError>(), 16);
    }

    #[test]
    fn join_error_is_send_and_sync() {
        fn assert<T: Send + Sync + std::error::Error + 'static>() {}
        assert::<JoinError>();
    }
}
