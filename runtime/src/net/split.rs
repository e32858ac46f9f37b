//! The halves of a [`TcpStream`]: borrowed ([`ReadHalf`], [`WriteHalf`]) and owned
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]). Each direction has its own waker slot in the
//! reactor, so the two halves can wait in two tasks at once.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use super::TcpStream;
use crate::sync::Arc;

/// The borrowed read half of a [`TcpStream`]; see [`TcpStream::split`].
///
/// # Examples
///
/// See [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(pub(super) &'a TcpStream);

/// The borrowed write half of a [`TcpStream`]; see [`TcpStream::split`].
///
/// # Examples
///
/// See [`TcpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a>(pub(super) &'a TcpStream);

pub(crate) fn split(stream: &mut TcpStream) -> (ReadHalf<'_>, WriteHalf<'_>) {
    (ReadHalf(stream), WriteHalf(stream))
}

/// The owned read half of a [`TcpStream`]; see [`TcpStream::into_split`].
///
/// # Examples
///
/// See [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf(pub(super) Arc<TcpStream>);

/// The owned write half of a [`TcpStream`]; shuts the write side down when dropped.
///
/// # Examples
///
/// See [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedWriteHalf {
    pub(super) stream: Arc<TcpStream>,
    shutdown_on_drop: bool,
}

pub(crate) fn split_owned(stream: TcpStream) -> (OwnedReadHalf, OwnedWriteHalf) {
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
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl std::error::Error for ReuniteError {}

impl OwnedReadHalf {
    /// Puts the halves back together.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (with both halves back) if they are from different streams.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::into_split`].
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
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
    /// See [`TcpStream::split`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
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
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl OwnedWriteHalf {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
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
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }
}

impl ReadHalf<'_> {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

impl WriteHalf<'_> {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::split`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

macro_rules! read_impl {
    ($ty:ty, $field:tt) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.$field.poll_read_priv(cx, buf)
            }
        }
    };
}

macro_rules! write_impl {
    ($ty:ty, $field:tt) => {
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.$field.poll_write_priv(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.$field.shutdown(Shutdown::Write))
            }
        }
    };
}

read_impl!(ReadHalf<'_>, 0);
write_impl!(WriteHalf<'_>, 0);
read_impl!(OwnedReadHalf, 0);
write_impl!(OwnedWriteHalf, stream);
