//! The halves of a stream, shared by [`TcpStream`] and `UnixStream`: borrowed
//! ([`ReadHalf`], [`WriteHalf`]) and owned ([`OwnedReadHalf`], [`OwnedWriteHalf`]).
//!
//! The halves are generic over the stream they split ([`SplitStream`], sealed; the
//! parameter defaults to [`TcpStream`], so `ctxrt::net::ReadHalf<'_>` is the TCP one as
//! before, and `ctxrt::net::unix::ReadHalf<'_>` names the Unix one). Each half reads or
//! writes through the stream's `PollEvented` (`io/poll_evented.rs`); each direction has
//! its own waker slot in the reactor, so the two halves can wait in two tasks at once.
//!
//! This file also holds the one macro that gives a stream type (and `&` it) futures-io's
//! `AsyncRead`/`AsyncWrite`, so TCP and Unix share those impls too.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use super::TcpStream;
use crate::sync::Arc;

pub(crate) mod sealed {
    use std::io;
    use std::net::Shutdown;
    use std::task::{Context as TaskContext, Poll};

    /// What the halves need of a stream; implemented by forwarding to its `PollEvented`.
    pub trait Sealed: Sized {
        /// Reads into `buf`, waiting for readability (`PollEvented::poll_read`).
        fn poll_read_priv(
            &self,
            cx: &mut TaskContext<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>>;
        /// Reads into possibly uninitialised `buf`, waiting for readability
        /// (`PollEvented::poll_read_uninit`); `Ok(n)`: its first `n` bytes are initialised.
        #[cfg(unix)]
        fn poll_read_uninit_priv(
            &self,
            cx: &mut TaskContext<'_>,
            buf: &mut [std::mem::MaybeUninit<u8>],
        ) -> Poll<io::Result<usize>>;
        /// Writes from `buf`, waiting for writability (`PollEvented::poll_write`).
        fn poll_write_priv(&self, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
        /// Writes from `bufs` (`PollEvented::poll_write_vectored`).
        fn poll_write_vectored_priv(
            &self,
            cx: &mut TaskContext<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>>;
        /// `shutdown(2)`.
        fn shutdown_priv(&self, how: Shutdown) -> io::Result<()>;
        /// `getpeername(2)`.
        fn peer_addr_priv(&self) -> io::Result<<Self as super::SplitStream>::Addr>
        where
            Self: super::SplitStream;
        /// `getsockname(2)`.
        fn local_addr_priv(&self) -> io::Result<<Self as super::SplitStream>::Addr>
        where
            Self: super::SplitStream;
    }
}

/// A stream that [`split`](TcpStream::split) and [`into_split`](TcpStream::into_split)
/// work on: [`TcpStream`] and `UnixStream`. Sealed: it names the halves' type parameter.
///
/// # Examples
///
/// ```
/// use ctxrt::net::{OwnedReadHalf, SplitStream, TcpStream};
///
/// fn peer_of<S: SplitStream>(half: &OwnedReadHalf<S>) -> std::io::Result<S::Addr> {
///     half.peer_addr()
/// }
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let listener = ctxrt::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let (read, _write) = TcpStream::connect(addr).await.unwrap().into_split();
///     assert_eq!(peer_of(&read).unwrap(), addr);
/// }
/// ```
pub trait SplitStream: sealed::Sealed + fmt::Debug {
    /// The stream's address type (`std::net::SocketAddr` for TCP,
    /// `std::os::unix::net::SocketAddr` for Unix).
    type Addr: fmt::Debug;
}

/// The borrowed read half of a stream; see [`TcpStream::split`].
///
/// # Examples
///
/// See [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a, S: SplitStream = TcpStream>(pub(super) &'a S);

/// The borrowed write half of a stream; see [`TcpStream::split`].
///
/// # Examples
///
/// See [`TcpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a, S: SplitStream = TcpStream>(pub(super) &'a S);

pub(crate) fn split<S: SplitStream>(stream: &mut S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>) {
    (ReadHalf(stream), WriteHalf(stream))
}

/// The owned read half of a stream; see [`TcpStream::into_split`].
///
/// # Examples
///
/// See [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf<S: SplitStream = TcpStream>(pub(super) Arc<S>);

/// The owned write half of a stream; shuts the write side down when dropped.
///
/// # Examples
///
/// See [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedWriteHalf<S: SplitStream = TcpStream> {
    pub(super) stream: Arc<S>,
    shutdown_on_drop: bool,
}

pub(crate) fn split_owned<S: SplitStream>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Arc::new(stream);
    (
        OwnedReadHalf(stream.clone()),
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        },
    )
}

/// The halves given to [`OwnedReadHalf::reunite`] came from different streams.
///
/// # Examples
///
/// ```
/// use ctxrt::net::{TcpListener, TcpStream};
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let (r1, _w1) = TcpStream::connect(addr).await.unwrap().into_split();
///     let (_r2, w2) = TcpStream::connect(addr).await.unwrap().into_split();
///     assert!(r1.reunite(w2).is_err());
/// }
/// ```
#[derive(Debug)]
pub struct ReuniteError<S: SplitStream = TcpStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: SplitStream> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl<S: SplitStream> std::error::Error for ReuniteError<S> {}

impl<S: SplitStream> OwnedReadHalf<S> {
    /// Puts the halves back together.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (with both halves back) if they are from different streams.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::into_split`].
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.0, &other.stream) {
            return Err(ReuniteError(self, other));
        }
        let mut other = other;
        other.shutdown_on_drop = false;
        let stream = other.stream.clone();
        drop(other);
        drop(self);
        match Arc::try_unwrap(stream) {
            Ok(stream) => Ok(stream),
            Err(_) => unreachable!("both halves were dropped"),
        }
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`SplitStream`].
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.0.peer_addr_priv()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.0.local_addr_priv()
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.stream.peer_addr_priv()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.stream.local_addr_priv()
    }
}

impl<S: SplitStream> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.stream.shutdown_priv(Shutdown::Write);
        }
    }
}

impl<S: SplitStream> ReadHalf<'_, S> {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.0.peer_addr_priv()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.0.local_addr_priv()
    }
}

impl<S: SplitStream> WriteHalf<'_, S> {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.0.peer_addr_priv()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.0.local_addr_priv()
    }
}

impl<S: SplitStream> AsRef<S> for ReadHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S: SplitStream> AsRef<S> for WriteHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S: SplitStream> AsRef<S> for OwnedReadHalf<S> {
    fn as_ref(&self) -> &S {
        &self.0
    }
}

impl<S: SplitStream> AsRef<S> for OwnedWriteHalf<S> {
    fn as_ref(&self) -> &S {
        &self.stream
    }
}

impl<S: SplitStream> futures_io::AsyncRead for ReadHalf<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read_priv(cx, buf)
    }
}

impl<S: SplitStream> futures_io::AsyncRead for OwnedReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read_priv(cx, buf)
    }
}

/// Gives a write half futures-io's `AsyncWrite` over `$stream(self)`, the split stream.
macro_rules! write_half_impl {
    ($ty:ty, |$this:ident| $stream:expr) => {
        impl<S: SplitStream> futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_vectored_priv(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                let $this = &*self;
                Poll::Ready($stream.shutdown_priv(Shutdown::Write))
            }
        }
    };
}

write_half_impl!(WriteHalf<'_, S>, |this| this.0);
write_half_impl!(OwnedWriteHalf<S>, |this| &*this.stream);

/// futures-io's `AsyncRead`/`AsyncWrite` for a stream type and for `&` it, through its
/// [`sealed::Sealed`] impl (so TCP and Unix streams share them). Writes go straight to
/// the socket: flush has nothing to do; close shuts the write side.
macro_rules! stream_async_io_impls {
    ($ty:ty) => {
        $crate::net::split::stream_async_io_impls!(@one $ty, $ty);
        $crate::net::split::stream_async_io_impls!(@one &$ty, $ty);
    };
    (@one $ty:ty, $stream:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                {
                    let stream: &$stream = &self;
                    $crate::net::split::sealed::Sealed::poll_read_priv(stream, cx, buf)
                }
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                {
                    let stream: &$stream = &self;
                    $crate::net::split::sealed::Sealed::poll_write_priv(stream, cx, buf)
                }
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                {
                    let stream: &$stream = &self;
                    $crate::net::split::sealed::Sealed::poll_write_vectored_priv(stream, cx, bufs)
                }
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let stream: &$stream = &self;
                std::task::Poll::Ready($crate::net::split::sealed::Sealed::shutdown_priv(
                    stream,
                    std::net::Shutdown::Write,
                ))
            }
        }
    };
}

pub(crate) use stream_async_io_impls;

/// A stream's [`sealed::Sealed`] impl: everything forwards to its `io: PollEvented`.
macro_rules! split_stream_impl {
    ($ty:ty, $addr:ty) => {
        impl $crate::net::split::sealed::Sealed for $ty {
            fn poll_read_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }

            #[cfg(unix)]
            fn poll_read_uninit_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [std::mem::MaybeUninit<u8>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read_uninit(cx, buf)
            }

            fn poll_write_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }

            fn poll_write_vectored_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write_vectored(cx, bufs)
            }

            fn shutdown_priv(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.io.get_ref().shutdown(how)
            }

            fn peer_addr_priv(&self) -> std::io::Result<$addr> {
                self.io.get_ref().peer_addr()
            }

            fn local_addr_priv(&self) -> std::io::Result<$addr> {
                self.io.get_ref().local_addr()
            }
        }

        impl $crate::net::split::SplitStream for $ty {
            type Addr = $addr;
        }

        $crate::net::split::stream_async_io_impls!($ty);
    };
}

pub(crate) use split_stream_impl;
