//! [`AsyncFd`]: a user's own file descriptor registered with the runtime's reactor, as
//! tokio's `tokio::io::unix::AsyncFd`.
//!
//! An `AsyncFd<T>` owns `T` (anything with a raw fd) and one reactor [`Registration`],
//! the same one every socket type uses (`registration.rs`, `scheduled_io.rs`). It does no
//! I/O itself: a caller waits for readiness ([`AsyncFd::readable`], [`AsyncFd::writable`],
//! [`AsyncFd::ready`]) and gets a guard; it then does its own non-blocking I/O on the fd
//! and, on `WouldBlock`, clears the readiness the guard saw
//! ([`AsyncFdReadyGuard::clear_ready`], or [`AsyncFdReadyGuard::try_io`] which does it)
//! so the next wait sleeps until the reactor reports a new edge. A guard dropped without
//! clearing keeps the readiness: the next wait returns at once.
//!
//! Invariants:
//! 1. The fd is registered from `new` until `into_inner` or drop, and is deregistered
//!    before `T` is given back or dropped (so `T` may close it, and the same fd may be
//!    registered again, by a new `AsyncFd` or anyone else).
//! 2. A guard's clear applies only to the readiness it saw, at the tick it saw it
//!    (`ScheduledIo::clear_readiness`): an edge that arrived after the guard was made is
//!    kept, never lost.
//!
//! The guards live in `guard.rs`.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context as TaskContext, Poll};

mod guard;

pub use guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};

use super::registration::Registration;
use super::scheduled_io::Direction;
use super::Interest;

/// A file descriptor registered with the runtime's reactor; it reports readiness and
/// leaves the I/O to you (as tokio's `AsyncFd`).
///
/// The fd must be in non-blocking mode (`O_NONBLOCK`); `AsyncFd` does not set it. It is
/// deregistered when the `AsyncFd` is dropped (which then drops `T`) or
/// [`into_inner`](AsyncFd::into_inner) gives `T` back.
///
/// # Panics
///
/// [`AsyncFd::new`] and [`AsyncFd::with_interest`] panic outside a runtime, or on one
/// built without `enable_io`; the message names the `Builder` call to add.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use ctxrt::io::unix::AsyncFd;
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let (a, mut b) = UnixStream::pair().unwrap();
///     a.set_nonblocking(true).unwrap();
///     let a = AsyncFd::new(a).unwrap();
///     b.write_all(b"hi").unwrap();
///     let mut buf = [0u8; 8];
///     let n = loop {
///         let mut guard = a.readable().await.unwrap();
///         match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///             Ok(result) => break result.unwrap(),
///             Err(_would_block) => continue, // readiness cleared: wait for the next edge
///         }
///     };
///     assert_eq!(&buf[..n], b"hi");
/// }
/// ```
pub struct AsyncFd<T: AsRawFd> {
    registration: Registration,
    inner: Option<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner`'s fd for readable and writable readiness.
    ///
    /// # Errors
    ///
    /// What `epoll_ctl(2)` reports (e.g. the fd is already registered with this reactor,
    /// or is a regular file, which epoll does not support), or an error if the runtime has
    /// shut down. `inner` is dropped then.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// See [`AsyncFd`].
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner`'s fd for the readiness in `interest` only.
    ///
    /// # Errors
    ///
    /// As [`AsyncFd::new`].
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::{unix::AsyncFd, Interest};
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    ///     a.set_nonblocking(true).unwrap();
    ///     let a = AsyncFd::with_interest(a, Interest::WRITABLE).unwrap();
    ///     let guard = a.writable().await.unwrap();
    ///     assert!(guard.ready().is_writable());
    /// }
    /// ```
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        let fd = inner.as_raw_fd();
        let registration = Registration::new(
            &mut mio::unix::SourceFd(&fd),
            interest,
            "ctxrt::io::unix::AsyncFd",
        )?;
        Ok(AsyncFd {
            registration,
            inner: Some(inner),
        })
    }

    /// The wrapped value.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// assert!(a.get_ref().local_addr().unwrap().is_unnamed());
    /// # }
    /// ```
    pub fn get_ref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("present until into_inner or drop")
    }

    /// The wrapped value, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// a.get_mut().write_all(b"x").unwrap();
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner
            .as_mut()
            .expect("present until into_inner or drop")
    }

    /// Deregisters the fd and gives the wrapped value back (the fd stays open).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::unix::AsyncFd;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = AsyncFd::new(a).unwrap().into_inner();
    /// let _again = AsyncFd::new(a).unwrap(); // deregistered, so it registers anew
    /// # }
    /// ```
    pub fn into_inner(mut self) -> T {
        self.take_inner().expect("present until into_inner or drop")
    }

    /// Deregisters (invariant 1) and takes the value out.
    fn take_inner(&mut self) -> Option<T> {
        let inner = self.inner.take()?;
        let fd = inner.as_raw_fd();
        // Only fails if the fd is no longer registered (closed behind our back); there is
        // nothing left to undo then.
        let _ = self.registration.deregister(&mut mio::unix::SourceFd(&fd));
        Some(inner)
    }

    /// Ready (with a guard) when the fd is readable, read-closed or in error; otherwise
    /// `cx`'s waker is woken when it becomes so.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::Write;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let guard = poll_fn(|cx| a.poll_read_ready(cx)).await.unwrap();
    /// assert!(guard.ready().is_readable());
    /// # }
    /// ```
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.registration
            .poll_ready(cx, Direction::Read)
            .map_ok(|event| AsyncFdReadyGuard::new(self, event))
    }

    /// [`poll_read_ready`](AsyncFd::poll_read_ready) with a guard that lends the value
    /// mutably.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{self, Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use std::task::{ready, Context, Poll};
    /// use ctxrt::io::unix::AsyncFd;
    ///
    /// // The shape of a hand-written `poll_read`: the guard lives within one poll.
    /// fn poll_read_byte(fd: &mut AsyncFd<UnixStream>, cx: &mut Context<'_>) -> Poll<io::Result<u8>> {
    ///     loop {
    ///         let mut guard = ready!(fd.poll_read_ready_mut(cx))?;
    ///         let mut byte = [0u8; 1];
    ///         if let Ok(result) = guard.try_io(|fd| fd.get_mut().read(&mut byte)) {
    ///             return Poll::Ready(result.map(|_| byte[0]));
    ///         }
    ///     }
    /// }
    ///
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = AsyncFd::new(a).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let byte = std::future::poll_fn(|cx| poll_read_byte(&mut a, cx)).await.unwrap();
    /// assert_eq!(byte, b'x');
    /// # }
    /// ```
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = match self.registration.poll_ready(cx, Direction::Read) {
            Poll::Ready(Ok(event)) => event,
            Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            Poll::Pending => return Poll::Pending,
        };
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Ready (with a guard) when the fd is writable, write-closed or in error; otherwise
    /// `cx`'s waker is woken when it becomes so.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let guard = poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
    /// assert!(guard.ready().is_writable());
    /// # }
    /// ```
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.registration
            .poll_ready(cx, Direction::Write)
            .map_ok(|event| AsyncFdReadyGuard::new(self, event))
    }

    /// [`poll_write_ready`](AsyncFd::poll_write_ready) with a guard that lends the value
    /// mutably.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{self, Write};
    /// use std::os::unix::net::UnixStream;
    /// use std::task::{ready, Context, Poll};
    /// use ctxrt::io::unix::AsyncFd;
    ///
    /// // The shape of a hand-written `poll_write`: the guard lives within one poll.
    /// fn poll_write(fd: &mut AsyncFd<UnixStream>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
    ///     loop {
    ///         let mut guard = ready!(fd.poll_write_ready_mut(cx))?;
    ///         if let Ok(result) = guard.try_io(|fd| fd.get_mut().write(buf)) {
    ///             return Poll::Ready(result);
    ///         }
    ///     }
    /// }
    ///
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let n = std::future::poll_fn(|cx| poll_write(&mut a, cx, b"x")).await.unwrap();
    /// assert_eq!(n, 1);
    /// # }
    /// ```
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = match self.registration.poll_ready(cx, Direction::Write) {
            Poll::Ready(Ok(event)) => event,
            Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            Poll::Pending => return Poll::Pending,
        };
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Waits until the fd is ready for any of `interest`; the guard says which.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::Interest;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let guard = a.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
    /// assert!(guard.ready().is_writable() && !guard.ready().is_readable());
    /// # }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyGuard::new(self, event))
    }

    /// [`ready`](AsyncFd::ready) with a guard that lends the value mutably.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use ctxrt::io::Interest;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let mut guard = a.ready_mut(Interest::WRITABLE).await.unwrap();
    /// guard.get_inner_mut().write_all(b"x").unwrap();
    /// # }
    /// ```
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Waits until the fd is readable (or read-closed, or in error).
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// See [`AsyncFd`].
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        poll_fn(|cx| self.poll_read_ready(cx)).await
    }

    /// [`readable`](AsyncFd::readable) with a guard that lends the value mutably.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let mut guard = a.readable_mut().await.unwrap();
    /// let n = guard.try_io(|fd| fd.get_mut().read(&mut [0u8; 4])).unwrap().unwrap();
    /// assert_eq!(n, 1);
    /// # }
    /// ```
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = poll_fn(|cx| self.registration.poll_ready(cx, Direction::Read)).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Waits until the fd is writable (or write-closed, or in error).
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// See [`AsyncFd::with_interest`].
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        poll_fn(|cx| self.poll_write_ready(cx)).await
    }

    /// [`writable`](AsyncFd::writable) with a guard that lends the value mutably.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let mut guard = a.writable_mut().await.unwrap();
    /// let n = guard.try_io(|fd| fd.get_mut().write(b"x")).unwrap().unwrap();
    /// assert_eq!(n, 1);
    /// # }
    /// ```
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = poll_fn(|cx| self.registration.poll_ready(cx, Direction::Write)).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Runs `f` once if `interest` is ready now, clearing the readiness if it returns
    /// `WouldBlock`; `WouldBlock` without calling it if nothing is ready.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or what `f` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use ctxrt::io::Interest;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let err = a.try_io(Interest::READABLE, |s| (&*s).read(&mut [0u8; 1])).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # }
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        self.registration.try_io(interest, || f(inner))
    }

    /// Runs `f` whenever `interest` is ready until it does not return `WouldBlock`
    /// (clearing the readiness each time it does).
    ///
    /// # Errors
    ///
    /// What `f` returns, or an error if the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use ctxrt::io::Interest;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let writer = std::thread::spawn(move || b.write_all(b"later"));
    /// let mut buf = [0u8; 5];
    /// let n = a.async_io(Interest::READABLE, |s| (&*s).read(&mut buf)).await.unwrap();
    /// assert!(n > 0 && buf[..n] == b"later"[..n]);
    /// writer.join().unwrap().unwrap();
    /// # }
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        self.registration.async_io(interest, || f(inner)).await
    }

    /// [`async_io`](AsyncFd::async_io) with the value lent mutably.
    ///
    /// # Errors
    ///
    /// What `f` returns, or an error if the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use ctxrt::io::Interest;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = ctxrt::io::unix::AsyncFd::new(a).unwrap();
    /// let n = a.async_io_mut(Interest::WRITABLE, |s| s.write(b"x")).await.unwrap();
    /// assert_eq!(n, 1);
    /// # }
    /// ```
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let AsyncFd {
            registration,
            inner,
        } = self;
        let inner = inner.as_mut().expect("present until into_inner or drop");
        registration.async_io(interest, || f(inner)).await
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        // Deregister before `T` (which may close the fd) is dropped (invariant 1).
        drop(self.take_inner());
    }
}
