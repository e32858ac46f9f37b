//! hyper 1.x on ctxrt (cargo feature `hyper`): the runtime pieces hyper asks its user
//! for.
//!
//! - [`CtxrtExecutor`]: hyper's [`rt::Executor`](::hyper::rt::Executor). hyper spawns
//!   HTTP/2 connection and stream tasks through it; they are ctxrt tasks, so each inherits
//!   the context of the connection task that spawned it.
//! - [`CtxrtTimer`]: hyper's [`rt::Timer`](::hyper::rt::Timer) over `ctxrt::time`, for
//!   header-read timeouts and HTTP/2 keep-alive; `reset` re-arms the existing [`Sleep`]
//!   in place instead of allocating a new one.
//! - hyper's [`rt::Read`](::hyper::rt::Read) / [`rt::Write`](::hyper::rt::Write) on
//!   ctxrt's own [`TcpStream`] and [`UnixStream`]: pass the stream to hyper as it is. A
//!   read goes straight from the socket into hyper's (uninitialised) read buffer, as
//!   tokio's sockets do under `hyper_util::rt::TokioIo`.
//! - [`FuturesIo`]: the same traits over any `futures-io` stream (a third-party one, or
//!   ctxrt's streams behind another futures-io layer).
//!
//! # Unsafe code
//!
//! hyper hands reads a buffer that may be uninitialised; `futures-io` readers want
//! `&mut [u8]`. [`FuturesIo`]'s read initialises (zeroes) the part of the buffer it lends
//! out, then reports what the reader filled; ctxrt's sockets skip the zeroing (hyper's
//! buffer is 8 KiB or more, and a keep-alive connection reads twice per request: once
//! for the request, once to find the socket drained). The `unsafe` blocks rely on these
//! invariants:
//!
//! 1. Through `ReadBufCursor::as_mut`, only initialised bytes (zeroes) are written, so no
//!    byte that was initialised before is de-initialised.
//! 2. The slice lent to the reader is exactly the `len` bytes just zeroed, so viewing it as
//!    `&mut [u8]` reads no uninitialised memory.
//! 3. `advance(n)` is called only with the `n` the reader returned, and a well-behaved
//!    reader returns `n <= len`; a larger `n` is an error, never an advance, so the
//!    cursor's filled part is always initialised.
//! 4. A ctxrt socket's read through `ReadBufCursor::as_mut` writes only bytes received
//!    from the socket (`read(2)`, invariant 2 in `io/poll_evented.rs`), so nothing
//!    initialised is de-initialised, and the `n` it reports are initialised: `advance(n)`
//!    marks only initialised bytes filled.
//!
//! # Examples
//!
//! ```
//! use ctxrt::hyper::CtxrtExecutor;
//! use ctxrt::ContextVar;
//! use hyper::rt::Executor;
//!
//! static CONN: ContextVar<u32> = ContextVar::new("conn");
//!
//! let rt = ctxrt::runtime::Runtime::new().unwrap();
//! let seen = rt.block_on(async {
//!     CONN.set(7);
//!     let (tx, rx) = futures::channel::oneshot::channel();
//!     CtxrtExecutor::new().execute(async move {
//!         let _ = tx.send(CONN.get());
//!     });
//!     rx.await.unwrap()
//! });
//! assert_eq!(seen, Some(7));
//! ```
//!
//! ctxrt's `TcpStream` goes to hyper's server and client as it is:
//!
//! ```
//! use bytes::Bytes;
//! use ctxrt::net::{TcpListener, TcpStream};
//! use http_body_util::{BodyExt, Empty, Full};
//!
//! let rt = ctxrt::runtime::Runtime::new().unwrap();
//! let body = rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     ctxrt::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let hello = hyper::service::service_fn(|_req| async {
//!             Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("hi"))))
//!         });
//!         hyper::server::conn::http1::Builder::new()
//!             .serve_connection(stream, hello)
//!             .await
//!             .unwrap();
//!     });
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(stream).await.unwrap();
//!     ctxrt::spawn(conn);
//!     let req = hyper::Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new());
//!     let resp = sender.send_request(req.unwrap()).await.unwrap();
//!     resp.into_body().collect().await.unwrap().to_bytes()
//! });
//! assert_eq!(body, "hi");
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use std::time::{Duration, Instant as StdInstant};

#[cfg(unix)]
use crate::net::UnixStream;
use crate::net::{split::sealed::Sealed, TcpStream};
use crate::runtime::Handle;
use crate::time::{Instant, Sleep};

/// hyper's executor on ctxrt: `execute` spawns the future as a ctxrt task, in a copy of
/// the caller's context (the connection task's, when hyper calls it).
///
/// Made with [`CtxrtExecutor::new`], it spawns onto the runtime current when `execute` is
/// called (panicking outside any runtime, as `ctxrt::spawn` does); made with
/// [`CtxrtExecutor::with_handle`], onto that runtime from anywhere.
///
/// # Examples
///
/// ```
/// use ctxrt::hyper::CtxrtExecutor;
/// use hyper::rt::Executor;
///
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let exec = CtxrtExecutor::with_handle(rt.handle().clone());
/// let (tx, rx) = std::sync::mpsc::channel();
/// exec.execute(async move { tx.send(1).unwrap() });
/// assert_eq!(rx.recv().unwrap(), 1);
/// ```
#[derive(Clone, Default)]
pub struct CtxrtExecutor {
    handle: Option<Handle>,
}

impl CtxrtExecutor {
    /// An executor that spawns onto the current runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let _exec = ctxrt::hyper::CtxrtExecutor::new();
    /// ```
    pub fn new() -> Self {
        CtxrtExecutor { handle: None }
    }

    /// An executor that spawns onto `handle`'s runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _exec = ctxrt::hyper::CtxrtExecutor::with_handle(rt.handle().clone());
    /// ```
    pub fn with_handle(handle: Handle) -> Self {
        CtxrtExecutor {
            handle: Some(handle),
        }
    }
}

impl fmt::Debug for CtxrtExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CtxrtExecutor")
            .field("bound_to_handle", &self.handle.is_some())
            .finish()
    }
}

impl<F> ::hyper::rt::Executor<F> for CtxrtExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        match &self.handle {
            Some(handle) => drop(handle.spawn(fut)),
            None => drop(crate::spawn(fut)),
        }
    }
}

/// hyper's timer on ctxrt: sleeps are [`ctxrt::time::Sleep`](Sleep)s on the current
/// runtime's timer wheel (so the runtime needs `enable_time`, which `Runtime::new` and the
/// macros turn on).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ctxrt::hyper::CtxrtTimer;
/// use hyper::rt::Timer;
///
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = std::time::Instant::now();
///     CtxrtTimer::new().sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CtxrtTimer {
    _private: (),
}

impl CtxrtTimer {
    /// The timer.
    ///
    /// # Examples
    ///
    /// ```
    /// let _timer = ctxrt::hyper::CtxrtTimer::new();
    /// ```
    pub fn new() -> Self {
        CtxrtTimer { _private: () }
    }
}

impl ::hyper::rt::Timer for CtxrtTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(CtxrtSleep {
            inner: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: StdInstant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(CtxrtSleep {
            inner: crate::time::sleep_until(Instant::from_std(deadline)),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: StdInstant) {
        match sleep.as_mut().downcast_mut_pin::<CtxrtSleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }

    fn now(&self) -> StdInstant {
        // The runtime's clock, so paused test time applies to hyper's deadlines too.
        Instant::now().into_std()
    }
}

pin_project_lite::pin_project! {
    /// A ctxrt [`Sleep`] as hyper's `rt::Sleep`.
    struct CtxrtSleep {
        #[pin]
        inner: Sleep,
    }
}

impl CtxrtSleep {
    fn reset(self: Pin<&mut Self>, deadline: StdInstant) {
        self.project().inner.reset(Instant::from_std(deadline));
    }
}

impl Future for CtxrtSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl ::hyper::rt::Sleep for CtxrtSleep {}

pin_project_lite::pin_project! {
    /// Adapts a `futures-io` stream to hyper's [`Read`](::hyper::rt::Read) and
    /// [`Write`](::hyper::rt::Write), for serving or calling HTTP over any futures-io
    /// stream. ctxrt's own [`TcpStream`] and [`UnixStream`] need no adapter: hand them to
    /// hyper as they are (their reads skip the zeroing this adapter does).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::hyper::FuturesIo;
    ///
    /// // Any futures-io stream works; an in-memory cursor stands in for a socket here.
    /// let io = FuturesIo::new(futures::io::Cursor::new(Vec::<u8>::new()));
    /// assert!(io.get_ref().get_ref().is_empty());
    /// ```
    #[derive(Debug)]
    pub struct FuturesIo<T> {
        #[pin]
        inner: T,
    }
}

/// The most a read lends (and so zeroes) at once.
const MAX_READ: usize = 64 * 1024;

impl<T> FuturesIo<T> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// let _io = ctxrt::hyper::FuturesIo::new(futures::io::Cursor::new([0u8; 4]));
    /// ```
    pub fn new(inner: T) -> Self {
        FuturesIo { inner }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let io = ctxrt::hyper::FuturesIo::new(futures::io::Cursor::new([1u8]));
    /// assert_eq!(io.get_ref().get_ref(), &[1]);
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut io = ctxrt::hyper::FuturesIo::new(futures::io::Cursor::new([1u8]));
    /// io.get_mut().set_position(1);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let io = ctxrt::hyper::FuturesIo::new(futures::io::Cursor::new([1u8]));
    /// assert_eq!(io.into_inner().into_inner(), [1]);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: futures_io::AsyncRead> ::hyper::rt::Read for FuturesIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        mut buf: ::hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: invariant 1: only zeroes are written through this view.
        let spare: &mut [MaybeUninit<u8>] = unsafe { buf.as_mut() };
        let len = spare.len().min(MAX_READ);
        let spare = &mut spare[..len];
        for byte in spare.iter_mut() {
            byte.write(0);
        }
        // SAFETY: invariant 2: all `len` bytes were initialised just above, and
        // `MaybeUninit<u8>` has the layout of `u8`.
        let init: &mut [u8] = unsafe { &mut *(spare as *mut [MaybeUninit<u8>] as *mut [u8]) };
        match self.project().inner.poll_read(cx, init) {
            Poll::Ready(Ok(n)) if n <= len => {
                // SAFETY: invariant 3: `n <= len` bytes at the cursor are initialised.
                unsafe { buf.advance(n) };
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Ok(n)) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("reader returned {n} bytes for a {len}-byte buffer"),
            ))),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: futures_io::AsyncWrite> ::hyper::rt::Write for FuturesIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

impl<T: ::hyper::rt::Read> futures_io::AsyncRead for FuturesIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read_buf = ::hyper::rt::ReadBuf::new(buf);
        match self.project().inner.poll_read(cx, read_buf.unfilled()) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(read_buf.filled().len())),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: ::hyper::rt::Write> futures_io::AsyncWrite for FuturesIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

/// hyper's `Read`/`Write` on a ctxrt stream: reads go from the socket straight into
/// hyper's buffer (invariant 4), writes straight to the socket (nothing to flush), and
/// shutdown closes the write side.
macro_rules! hyper_stream_impls {
    ($ty:ty) => {
        impl ::hyper::rt::Read for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                mut buf: ::hyper::rt::ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                // SAFETY: invariant 4: only bytes read from the socket are written here.
                let spare: &mut [MaybeUninit<u8>] = unsafe { buf.as_mut() };
                self.poll_read_uninit_priv(cx, spare).map_ok(|n| {
                    // SAFETY: invariant 4: the `n` bytes just read are initialised.
                    unsafe { buf.advance(n) };
                })
            }
        }

        impl ::hyper::rt::Write for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: Pin<&mut Self>,
                _cx: &mut TaskContext<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown_priv(std::net::Shutdown::Write))
            }
        }
    };
}

hyper_stream_impls!(TcpStream);
#[cfg(unix)]
hyper_stream_impls!(UnixStream);
