//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`], over mio's, with
//! the TCP types' shape (their readiness comes from the same reactor registration).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::io::registration::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::{Interest, Ready};

/// A Unix stream socket listening for connections, as tokio's `UnixListener`.
///
/// # Examples
///
/// ```
/// use ctxrt::net::{UnixListener, UnixStream};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let path = std::env::temp_dir().join(format!("ctxrt-doc-listener-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path).unwrap();
///     let client = UnixStream::connect(&path).await.unwrap();
///     let (server, _addr) = listener.accept().await.unwrap();
///     assert_eq!(server.peer_addr().unwrap().as_pathname(), None); // the client is unnamed
///     drop(client);
///     std::fs::remove_file(&path).unwrap();
/// }
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds a listener to the filesystem `path` (which must not exist yet).
    ///
    /// # Errors
    ///
    /// What `bind(2)`/`listen(2)` report, e.g. `AddrInUse` when the path exists.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let listener = mio::net::UnixListener::bind(path)?;
        let io = PollEvented::new(listener, Interest::READABLE, "ctxrt::net::UnixListener")?;
        Ok(UnixListener { io })
    }

    /// Waits for the next connection; returns it and the peer's (usually unnamed) address.
    ///
    /// # Errors
    ///
    /// What `accept(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self
            .io
            .registration()
            .async_io(Interest::READABLE, || self.io.get_ref().accept())
            .await?;
        Ok((UnixStream::new(stream)?, addr))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let path = std::env::temp_dir().join(format!("ctxrt-doc-laddr-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let listener = ctxrt::net::UnixListener::bind(&path).unwrap();
    /// assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A connected Unix stream socket, as tokio's `UnixStream`; implements futures-io's
/// `AsyncRead`/`AsyncWrite` (and tokio's with the feature `tokio-io`).
///
/// # Examples
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let (mut a, mut b) = ctxrt::net::UnixStream::pair().unwrap();
///     a.write_all(b"ping").await.unwrap();
///     let mut buf = [0u8; 4];
///     b.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
/// }
/// ```
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    #[track_caller]
    fn new(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        let io = PollEvented::new(
            stream,
            Interest::READABLE | Interest::WRITABLE,
            "ctxrt::net::UnixStream",
        )?;
        Ok(UnixStream { io })
    }

    /// Connects to the listener bound at `path`.
    ///
    /// # Errors
    ///
    /// What `connect(2)` reports (`NotFound` for a missing path, `ConnectionRefused` when
    /// nothing listens there).
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    #[track_caller]
    pub fn connect(
        path: impl AsRef<Path>,
    ) -> impl std::future::Future<Output = io::Result<UnixStream>> {
        let stream = mio::net::UnixStream::connect(path).and_then(UnixStream::new);
        async move {
            let stream = stream?;
            // A non-blocking connect completes when the socket turns writable.
            stream
                .io
                .registration()
                .readiness(Interest::WRITABLE)
                .await?;
            if let Some(err) = stream.io.get_ref().take_error()? {
                return Err(err);
            }
            Ok(stream)
        }
    }

    /// A pair of connected, unnamed streams.
    ///
    /// # Errors
    ///
    /// What `socketpair(2)` reports.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// See [`UnixStream`].
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::new(a)?, UnixStream::new(b)?))
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = ctxrt::net::UnixStream::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = ctxrt::net::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read side, the write side or both.
    ///
    /// # Errors
    ///
    /// What `shutdown(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, mut b) = ctxrt::net::UnixStream::pair().unwrap();
    /// a.shutdown(std::net::Shutdown::Write).unwrap();
    /// let mut rest = Vec::new();
    /// assert_eq!(b.read_to_end(&mut rest).await.unwrap(), 0);
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is ready for any of `interest`.
    ///
    /// # Errors
    ///
    /// When the runtime's reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::Interest;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = ctxrt::net::UnixStream::pair().unwrap();
    /// assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
    /// # }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the stream may be readable (then use [`try_read`](Self::try_read)).
    ///
    /// # Errors
    ///
    /// When the runtime's reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, b) = ctxrt::net::UnixStream::pair().unwrap();
    /// a.writable().await.unwrap();
    /// a.try_write(b"hi").unwrap();
    /// b.readable().await.unwrap();
    /// let mut buf = [0u8; 2];
    /// assert_eq!(b.try_read(&mut buf).unwrap(), 2);
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the stream may be writable (then use [`try_write`](Self::try_write)).
    ///
    /// # Errors
    ///
    /// When the runtime's reactor has shut down.
    ///
    /// # Examples
    ///
    /// See [`readable`](Self::readable).
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Reads what is available now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is available (the readiness is then cleared, so the next
    /// [`readable`](Self::readable) waits for new data); other `read(2)` errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (_a, b) = ctxrt::net::UnixStream::pair().unwrap();
    /// let mut buf = [0u8; 8];
    /// let err = b.try_read(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # }
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.io.get_ref().read(buf))
    }

    /// Writes what fits now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full; other `write(2)` errors.
    ///
    /// # Examples
    ///
    /// See [`readable`](Self::readable).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || self.io.get_ref().write(buf))
    }

    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut TaskContext<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.get_ref().read(buf))
    }

    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || self.io.get_ref().write(buf))
    }

    #[cfg(all(feature = "tokio-io", not(loom)))]
    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.registration().poll_io(cx, Direction::Write, || {
            self.io.get_ref().write_vectored(bufs)
        })
    }
}

macro_rules! async_io_impls {
    ($ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown(Shutdown::Write))
            }
        }
    };
}

async_io_impls!(UnixStream);
async_io_impls!(&UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

/// A Unix datagram socket, as tokio's `UnixDatagram`.
///
/// # Examples
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let (a, b) = ctxrt::net::UnixDatagram::pair().unwrap();
///     a.send(b"one").await.unwrap();
///     let mut buf = [0u8; 8];
///     let n = b.recv(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"one");
/// }
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    #[track_caller]
    fn new(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        let io = PollEvented::new(
            socket,
            Interest::READABLE | Interest::WRITABLE,
            "ctxrt::net::UnixDatagram",
        )?;
        Ok(UnixDatagram { io })
    }

    /// A socket bound to the filesystem `path` (which must not exist yet).
    ///
    /// # Errors
    ///
    /// What `bind(2)` reports.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let dir = std::env::temp_dir();
    /// let path = dir.join(format!("ctxrt-doc-dgram-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let server = ctxrt::net::UnixDatagram::bind(&path).unwrap();
    /// let client = ctxrt::net::UnixDatagram::unbound().unwrap();
    /// client.send_to(b"hello", &path).await.unwrap();
    /// let mut buf = [0u8; 8];
    /// let (n, _from) = server.recv_from(&mut buf).await.unwrap();
    /// assert_eq!(&buf[..n], b"hello");
    /// std::fs::remove_file(&path).unwrap();
    /// # }
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address.
    ///
    /// # Errors
    ///
    /// What `socket(2)` reports.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// See [`bind`](Self::bind).
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::unbound()?)
    }

    /// A pair of connected, unnamed sockets.
    ///
    /// # Errors
    ///
    /// What `socketpair(2)` reports.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::new(a)?, UnixDatagram::new(b)?))
    }

    /// Sets the default destination for [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts.
    ///
    /// # Errors
    ///
    /// What `connect(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let path = std::env::temp_dir().join(format!("ctxrt-doc-dconn-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let server = ctxrt::net::UnixDatagram::bind(&path).unwrap();
    /// let client = ctxrt::net::UnixDatagram::unbound().unwrap();
    /// client.connect(&path).unwrap();
    /// client.send(b"x").await.unwrap();
    /// let mut buf = [0u8; 1];
    /// assert_eq!(server.recv(&mut buf).await.unwrap(), 1);
    /// std::fs::remove_file(&path).unwrap();
    /// # }
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends `buf` to `target`, waiting while the socket's buffer is full.
    ///
    /// # Errors
    ///
    /// What `sendto(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`bind`](Self::bind).
    pub async fn send_to(&self, buf: &[u8], target: impl AsRef<Path>) -> io::Result<usize> {
        let target = target.as_ref();
        self.io
            .registration()
            .async_io(Interest::WRITABLE, || {
                self.io.get_ref().send_to(buf, target)
            })
            .await
    }

    /// Receives one datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// What `recvfrom(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`bind`](Self::bind).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .async_io(Interest::READABLE, || self.io.get_ref().recv_from(buf))
            .await
    }

    /// Sends `buf` to the connected peer.
    ///
    /// # Errors
    ///
    /// What `send(2)` reports (`NotConnected` before [`connect`](Self::connect)).
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Interest::WRITABLE, || self.io.get_ref().send(buf))
            .await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// What `recv(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram`].
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Interest::READABLE, || self.io.get_ref().recv(buf))
            .await
    }

    /// This socket's address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let socket = ctxrt::net::UnixDatagram::unbound().unwrap();
    /// assert!(socket.local_addr().unwrap().is_unnamed());
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports (`NotConnected` before [`connect`](Self::connect)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = ctxrt::net::UnixDatagram::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Waits until the socket is ready for any of `interest`.
    ///
    /// # Errors
    ///
    /// When the runtime's reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::Interest;
    /// # #[ctxrt::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (a, _b) = ctxrt::net::UnixDatagram::pair().unwrap();
    /// assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
    /// # }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
