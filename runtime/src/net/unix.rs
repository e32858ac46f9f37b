//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`] (also at
//! `ctxrt::net::*`), and the Unix stream's split halves, as tokio's `tokio::net::unix`.
//!
//! Each type is a `PollEvented` of mio's (`io/poll_evented.rs`), the same core as the TCP
//! types: the readiness loops and the split halves (`net/split.rs`, generic over the
//! stream) are shared, not copied.
//!
//! # Examples
//!
//! ```
//! use ctxrt::net::unix::{OwnedReadHalf, OwnedWriteHalf};
//! use ctxrt::net::UnixStream;
//!
//! #[ctxrt::main(flavor = "current_thread")]
//! async fn main() {
//!     let (a, _b) = UnixStream::pair().unwrap();
//!     let (read, write): (OwnedReadHalf, OwnedWriteHalf) = a.into_split();
//!     let _a: UnixStream = read.reunite(write).unwrap();
//! }
//! ```

use std::fmt;
use std::io;
use std::net::Shutdown;
pub use std::os::unix::net::SocketAddr;
use std::path::Path;

use super::split::{split, split_owned, split_stream_impl};
use crate::io::poll_evented::PollEvented;
use crate::io::{Interest, Ready};

/// The borrowed read half of a [`UnixStream`]; see [`UnixStream::split`].
pub type ReadHalf<'a> = super::ReadHalf<'a, UnixStream>;
/// The borrowed write half of a [`UnixStream`]; see [`UnixStream::split`].
pub type WriteHalf<'a> = super::WriteHalf<'a, UnixStream>;
/// The owned read half of a [`UnixStream`]; see [`UnixStream::into_split`].
pub type OwnedReadHalf = super::OwnedReadHalf<UnixStream>;
/// The owned write half of a [`UnixStream`] (shuts the write side down when dropped); see
/// [`UnixStream::into_split`].
pub type OwnedWriteHalf = super::OwnedWriteHalf<UnixStream>;
/// Unix halves given to [`OwnedReadHalf::reunite`](super::OwnedReadHalf::reunite) came
/// from different streams.
pub type ReuniteError = super::ReuniteError<UnixStream>;

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

    /// Takes a bound, listening std listener (made non-blocking here).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let path = std::env::temp_dir().join(format!("ctxrt-doc-lstd-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    /// let _guard = rt.enter();
    /// let listener = ctxrt::net::UnixListener::from_std(std_listener).unwrap();
    /// let back: std::os::unix::net::UnixListener = listener.into_std().unwrap();
    /// assert_eq!(back.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        let listener = mio::net::UnixListener::from_std(listener);
        let io = PollEvented::new(listener, Interest::READABLE, "ctxrt::net::UnixListener")?;
        Ok(UnixListener { io })
    }

    /// Deregisters the listener and returns it as a std one (still non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be deregistered.
    ///
    /// # Examples
    ///
    /// See [`UnixListener::from_std`].
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner()?.into())
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
            .async_io(Interest::READABLE, |listener| listener.accept())
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
            stream.io.ready(Interest::WRITABLE).await?;
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

    /// Takes a connected std stream (made non-blocking here).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let _guard = rt.enter();
    /// let stream = ctxrt::net::UnixStream::from_std(a).unwrap();
    /// let _back: std::os::unix::net::UnixStream = stream.into_std().unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::new(mio::net::UnixStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a std one (still non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be deregistered.
    ///
    /// # Examples
    ///
    /// See [`UnixStream::from_std`].
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner()?.into())
    }

    /// Borrowed read and write halves, usable at the same time (e.g. in `join`).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let (mut a, mut b) = ctxrt::net::UnixStream::pair().unwrap();
    ///     // Spelled out because futures' by-value `AsyncReadExt::split` is in scope here.
    ///     let (mut read, mut write) = ctxrt::net::UnixStream::split(&mut a);
    ///     let mut buf = [0u8; 2];
    ///     let (sent, got) = futures::join!(
    ///         async { write.write_all(b"hi").await.and(b.write_all(b"yo").await) },
    ///         read.read_exact(&mut buf),
    ///     );
    ///     sent.unwrap();
    ///     got.unwrap();
    ///     assert_eq!(&buf, b"yo");
    /// }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Owned read and write halves, for two tasks. Dropping the write half shuts the
    /// write side down; [`OwnedReadHalf::reunite`](super::OwnedReadHalf::reunite) puts
    /// them back together.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let (a, mut b) = ctxrt::net::UnixStream::pair().unwrap();
    ///     let (mut read, mut write) = a.into_split();
    ///     let writer = ctxrt::spawn(async move { write.write_all(b"ping").await });
    ///     let mut buf = [0u8; 4];
    ///     b.read_exact(&mut buf).await.unwrap();
    ///     writer.await.unwrap().unwrap(); // and the write half is dropped: half-closed
    ///     assert_eq!(&buf, b"ping");
    ///     b.write_all(b"pong").await.unwrap();
    ///     read.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"pong");
    ///     assert_eq!(b.read(&mut buf).await.unwrap(), 0);
    /// }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
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
        self.io.ready(interest).await
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
        self.io.try_read(buf)
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
        self.io.try_write(buf)
    }
}

split_stream_impl!(UnixStream, SocketAddr);

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

    /// Takes a std datagram socket (made non-blocking here).
    ///
    /// # Errors
    ///
    /// If it cannot be made non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let (a, _b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    /// let _guard = rt.enter();
    /// let socket = ctxrt::net::UnixDatagram::from_std(a).unwrap();
    /// let _back: std::os::unix::net::UnixDatagram = socket.into_std().unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::new(mio::net::UnixDatagram::from_std(socket))
    }

    /// Deregisters the socket and returns it as a std one (still non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be deregistered.
    ///
    /// # Examples
    ///
    /// See [`UnixDatagram::from_std`].
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.io.into_inner()?.into())
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
            .async_io(Interest::WRITABLE, |socket| socket.send_to(buf, target))
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
            .async_io(Interest::READABLE, |socket| socket.recv_from(buf))
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
            .async_io(Interest::WRITABLE, |socket| socket.send(buf))
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
            .async_io(Interest::READABLE, |socket| socket.recv(buf))
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
        self.io.ready(interest).await
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
