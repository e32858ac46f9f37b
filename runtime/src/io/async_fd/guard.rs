//! The guards [`AsyncFd`]'s waits return ([`AsyncFdReadyGuard`], [`AsyncFdReadyMutGuard`])
//! and [`TryIoError`]. A guard holds the readiness event it saw; clearing applies to that
//! event only (invariant 2 of the parent module), so an edge that arrived after the guard
//! was made is never lost.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

use super::super::registration::Registration;
use super::super::scheduled_io::ReadyEvent;
use super::super::Ready;
use super::AsyncFd;

/// Clears the kinds in `ready` of what a guard saw (`event`), at the tick it saw them
/// (invariant 2); the guard keeps the rest.
fn clear_matching(registration: &Registration, event: &mut Option<ReadyEvent>, ready: Ready) {
    if let Some(seen) = *event {
        registration.clear_readiness(seen.narrowed(ready));
        let left = seen.narrowed(Ready::ALL - ready);
        *event = (!left.ready.is_empty()).then_some(left);
    }
}

/// A guard's `try_io` outcome: `WouldBlock` clears everything the guard saw (as
/// `clear_ready`) and becomes `Err(TryIoError)`, so the caller waits for a new edge; any
/// other result is returned as is.
fn settle_try_io<R>(
    registration: &Registration,
    event: &mut Option<ReadyEvent>,
    result: io::Result<R>,
) -> Result<io::Result<R>, TryIoError> {
    if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
        clear_matching(registration, event, Ready::ALL);
        return Err(TryIoError(()));
    }
    Ok(result)
}

/// What [`AsyncFd::readable`], [`AsyncFd::writable`] and [`AsyncFd::ready`] return: the
/// readiness seen, to be cleared when your I/O on the fd returns `WouldBlock`.
///
/// Dropped without [`clear_ready`](Self::clear_ready), the readiness stays: the next wait
/// returns at once.
///
/// # Examples
///
/// See [`AsyncFd`].
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    event: Option<ReadyEvent>,
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    pub(super) fn new(async_fd: &'a AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyGuard {
            async_fd,
            event: Some(event),
        }
    }

    /// The readiness this guard saw (empty once cleared or retained).
    ///
    /// # Examples
    ///
    /// See [`AsyncFd::with_interest`].
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |event| event.ready)
    }

    /// Clears the readiness this guard saw (closed and error readiness are final and
    /// stay), so the next wait sleeps until the reactor reports a new event. Call it when
    /// your I/O returned `WouldBlock`. An event that arrived after the guard was made is
    /// kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// a.writable().await.unwrap().clear_ready();
    /// // Nothing new happened, so the fd no longer counts as writable.
    /// let again = ctxrt::time::timeout(Duration::from_millis(20), a.writable()).await;
    /// assert!(again.is_err());
    /// # }
    /// ```
    pub fn clear_ready(&mut self) {
        clear_matching(&self.async_fd.registration, &mut self.event, Ready::ALL);
    }

    /// Clears only the kinds in `ready` of what this guard saw; the rest stays for
    /// [`ready`](Self::ready) and a later clear.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::{Interest, Ready};
    /// use std::io::Write;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// b.write_all(b"x").unwrap();
    /// a.readable().await.unwrap().retain_ready(); // let the read edge arrive
    /// let mut guard = a.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
    /// assert!(guard.ready().is_readable() && guard.ready().is_writable());
    /// guard.clear_ready_matching(Ready::WRITABLE);
    /// assert!(guard.ready().is_readable() && !guard.ready().is_writable());
    /// # }
    /// ```
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        clear_matching(&self.async_fd.registration, &mut self.event, ready);
    }

    /// Keeps the readiness (the same as dropping the guard): the next wait returns at once.
    ///
    /// # Examples
    ///
    /// See [`clear_ready_matching`](Self::clear_ready_matching).
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// Runs `f`; if it returns `WouldBlock`, clears the readiness and returns
    /// `Err(TryIoError)` (wait again), else its result.
    ///
    /// # Errors
    ///
    /// [`TryIoError`] when `f` would block.
    ///
    /// # Examples
    ///
    /// See [`AsyncFd`].
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        let result = f(self.async_fd);
        settle_try_io(&self.async_fd.registration, &mut self.event, result)
    }

    /// The `AsyncFd` this guard is for.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let guard = a.writable().await.unwrap();
    /// assert!(std::ptr::eq(guard.get_ref(), &a));
    /// assert!(guard.get_inner().peer_addr().is_ok());
    /// # }
    /// ```
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The wrapped value.
    ///
    /// # Examples
    ///
    /// See [`get_ref`](Self::get_ref).
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("async_fd", self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}

/// [`AsyncFdReadyGuard`] that lends the `AsyncFd` mutably; from [`AsyncFd::readable_mut`],
/// [`AsyncFd::writable_mut`] and [`AsyncFd::ready_mut`].
///
/// # Examples
///
/// See [`AsyncFd::readable_mut`].
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    async_fd: &'a mut AsyncFd<T>,
    event: Option<ReadyEvent>,
}

impl<'a, T: AsRawFd> AsyncFdReadyMutGuard<'a, T> {
    pub(super) fn new(async_fd: &'a mut AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyMutGuard {
            async_fd,
            event: Some(event),
        }
    }

    /// The readiness this guard saw (empty once cleared or retained).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let mut guard = a.writable_mut().await.unwrap();
    /// assert!(guard.ready().is_writable());
    /// guard.clear_ready();
    /// assert!(guard.ready().is_empty());
    /// # }
    /// ```
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |event| event.ready)
    }

    /// As [`AsyncFdReadyGuard::clear_ready`].
    ///
    /// # Examples
    ///
    /// See [`ready`](Self::ready).
    pub fn clear_ready(&mut self) {
        clear_matching(&self.async_fd.registration, &mut self.event, Ready::ALL);
    }

    /// As [`AsyncFdReadyGuard::clear_ready_matching`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::Ready;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let mut guard = a.writable_mut().await.unwrap();
    /// guard.clear_ready_matching(Ready::WRITABLE);
    /// assert!(guard.ready().is_empty());
    /// # }
    /// ```
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        clear_matching(&self.async_fd.registration, &mut self.event, ready);
    }

    /// As [`AsyncFdReadyGuard::retain_ready`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// a.writable_mut().await.unwrap().retain_ready();
    /// a.writable_mut().await.unwrap(); // still writable: returns at once
    /// # }
    /// ```
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// As [`AsyncFdReadyGuard::try_io`], with the `AsyncFd` lent mutably.
    ///
    /// # Errors
    ///
    /// [`TryIoError`] when `f` would block.
    ///
    /// # Examples
    ///
    /// See [`AsyncFd::readable_mut`].
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        let result = f(self.async_fd);
        settle_try_io(&self.async_fd.registration, &mut self.event, result)
    }

    /// The `AsyncFd` this guard is for.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let mut guard = a.writable_mut().await.unwrap();
    /// assert!(guard.get_ref().get_ref().peer_addr().is_ok());
    /// assert!(guard.get_mut().get_mut().peer_addr().is_ok());
    /// assert!(guard.get_inner().peer_addr().is_ok());
    /// assert!(guard.get_inner_mut().peer_addr().is_ok());
    /// # }
    /// ```
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.async_fd
    }

    /// The `AsyncFd` this guard is for, mutably.
    ///
    /// # Examples
    ///
    /// See [`get_ref`](Self::get_ref).
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.async_fd
    }

    /// The wrapped value.
    ///
    /// # Examples
    ///
    /// See [`get_ref`](Self::get_ref).
    pub fn get_inner(&self) -> &T {
        self.async_fd.get_ref()
    }

    /// The wrapped value, mutably.
    ///
    /// # Examples
    ///
    /// See [`get_ref`](Self::get_ref).
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.async_fd.get_mut()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("async_fd", &*self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}

/// The operation given to a guard's `try_io` returned `WouldBlock`; the readiness was
/// cleared, so wait again.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// # #[ctxrt::main(flavor = "current_thread")]
/// # async fn main() {
/// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
/// let mut guard = a.writable().await.unwrap(); // writable, but nothing to read
/// let result = guard.try_io(|fd| fd.get_ref().read(&mut [0u8; 1]));
/// assert!(result.is_err());
/// # }
/// ```
#[derive(Debug)]
pub struct TryIoError(());

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operation would block; the readiness was cleared, wait again")
    }
}

impl std::error::Error for TryIoError {}
