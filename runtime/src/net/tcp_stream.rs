//! [`TcpStream`].

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};

use super::split::{split, split_owned, split_stream_impl};
use super::{to_socket_addrs, OwnedReadHalf, OwnedWriteHalf, ReadHalf, ToSocketAddrs, WriteHalf};
use crate::io::poll_evented::PollEvented;
use crate::io::{Interest, Ready};

/// A TCP connection registered with the runtime's reactor. Implements `futures-io`'s
/// `AsyncRead` and `AsyncWrite` (also through `&TcpStream`).
///
/// A peer that closed its side reads as `Ok(0)`; a reset peer gives an `io::Error`.
///
/// # Examples
///
/// ```
/// use ctxrt::net::{TcpListener, TcpStream};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = ctxrt::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         stream.readable().await.unwrap();
///         let mut buf = [0; 5];
///         let n = stream.try_read(&mut buf).unwrap();
///         buf[..n].to_vec()
///     });
///     let client = TcpStream::connect(addr).await.unwrap();
///     client.writable().await.unwrap();
///     client.try_write(b"hello").unwrap();
///     assert_eq!(server.await.unwrap(), b"hello");
/// }
/// ```
pub struct TcpStream {
    io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    pub(crate) fn new(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let io = PollEvented::new(
            stream,
            Interest::READABLE | Interest::WRITABLE,
            "ctxrt::net::TcpStream",
        )?;
        Ok(TcpStream { io })
    }

    /// Connects to the first of `addr`'s addresses that accepts.
    ///
    /// # Errors
    ///
    /// The last connection error (e.g. `ConnectionRefused`), or `InvalidInput` if `addr`
    /// resolved to nothing.
    ///
    /// # Panics
    ///
    /// When polled outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        // Checked when first polled, as tokio's `async fn` does, so
        // `rt.block_on(TcpStream::connect(..))` works from outside the runtime.
        drop(crate::driver::current(
            crate::driver::Part::Io,
            "ctxrt::net::TcpStream::connect",
        ));
        let mut last_err = None;
        for addr in to_socket_addrs(addr).await? {
            match TcpStream::connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(super::no_addresses))
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::new(mio::net::TcpStream::connect(addr)?)?
            .connected()
            .await
    }

    /// Waits for a non-blocking connect started on this stream to finish.
    pub(crate) async fn connected(self) -> io::Result<TcpStream> {
        let stream = self;
        // A non-blocking connect completes when the socket turns writable.
        stream.io.ready(Interest::WRITABLE).await?;
        if let Some(err) = stream.io.get_ref().take_error()? {
            return Err(err);
        }
        match stream.io.get_ref().peer_addr() {
            Ok(_) => Ok(stream),
            // Not connected after all: the real error, if the socket has one.
            Err(err) if err.kind() == io::ErrorKind::NotConnected => Err(stream
                .io
                .get_ref()
                .take_error()?
                .unwrap_or(io::Error::from(io::ErrorKind::ConnectionRefused))),
            Err(err) => Err(err),
        }
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
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let _guard = rt.enter();
    /// let stream = ctxrt::net::TcpStream::from_std(std_stream).unwrap();
    /// let _back: std::net::TcpStream = stream.into_std().unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::new(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a std one (still non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be deregistered.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::from_std`].
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        use std::os::fd::{FromRawFd, IntoRawFd};
        let stream = self.io.into_inner()?;
        // SAFETY: the fd was just released by mio's stream, which owned it; ownership
        // passes to the std stream (no `unsafe` invariant of this crate is involved).
        Ok(unsafe { std::net::TcpStream::from_raw_fd(stream.into_raw_fd()) })
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`](super::TcpListener).
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
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let stream = TcpStream::connect(addr).await.unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap(), addr);
    /// }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     stream.set_nodelay(true).unwrap();
    ///     assert!(stream.nodelay().unwrap());
    /// }
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::set_nodelay`].
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     stream.set_ttl(42).unwrap();
    ///     assert_eq!(stream.ttl().unwrap(), 42);
    /// }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// What `getsockopt(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream::set_ttl`].
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Shuts down the read side, the write side (the peer reads end-of-stream) or both.
    ///
    /// # Errors
    ///
    /// What `shutdown(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     stream.shutdown(std::net::Shutdown::Write).unwrap();
    /// }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is ready for any of `interest`, and says which.
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::Interest;
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let ready = stream.ready(Interest::WRITABLE).await.unwrap();
    ///     assert!(ready.is_writable());
    /// }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Waits until the stream is readable (or closed, or in error).
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the stream is writable (or closed, or in error).
    ///
    /// # Errors
    ///
    /// If the runtime shut down.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Reads what is available now, without waiting: `WouldBlock` if nothing is.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or what `read(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// Writes what fits now, without waiting: `WouldBlock` if nothing does.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or what `write(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpStream`].
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// Waits for data and copies it into `buf` without consuming it.
    ///
    /// # Errors
    ///
    /// What `recv(2)` with `MSG_PEEK` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (server, _) = listener.accept().await.unwrap();
    ///     client.writable().await.unwrap();
    ///     client.try_write(b"hi").unwrap();
    ///     let mut buf = [0; 2];
    ///     assert_eq!(server.peek(&mut buf).await.unwrap(), 2);
    ///     assert_eq!(server.try_read(&mut buf).unwrap(), 2); // still there
    /// }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io(Interest::READABLE, |stream| stream.peek(buf))
            .await
    }

    /// Borrowed read and write halves, usable at the same time (e.g. in `join`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let mut stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (read, write) = stream.split();
    ///     assert_eq!(read.peer_addr().unwrap(), write.peer_addr().unwrap());
    /// }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Owned read and write halves, for two tasks. Dropping the write half shuts the
    /// write side down; [`OwnedReadHalf::reunite`] puts them back together.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::{TcpListener, TcpStream};
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (read, write) = stream.into_split();
    ///     let _stream = read.reunite(write).unwrap();
    /// }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }
}

split_stream_impl!(TcpStream, SocketAddr);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
