//! [`TcpListener`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::task::{Context as TaskContext, Poll};

use super::{to_socket_addrs, TcpStream, ToSocketAddrs};
use crate::io::poll_evented::PollEvented;
use crate::io::scheduled_io::Direction;
use crate::io::Interest;

/// A TCP socket listening for connections, registered with the runtime's reactor.
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
///     let client = ctxrt::spawn(async move { TcpStream::connect(addr).await.unwrap() });
///     let (_server_side, peer) = listener.accept().await.unwrap();
///     let client = client.await.unwrap();
///     assert_eq!(client.local_addr().unwrap(), peer);
/// }
/// ```
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first of `addr`'s addresses that works.
    ///
    /// # Errors
    ///
    /// The last bind error, or `InvalidInput` if `addr` resolved to nothing.
    ///
    /// # Panics
    ///
    /// When polled outside a runtime, or on one built without `enable_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = ctxrt::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     assert_ne!(listener.local_addr().unwrap().port(), 0);
    /// }
    /// ```
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        // Checked when first polled, as tokio's `async fn` does, so
        // `rt.block_on(TcpListener::bind(..))` works from outside the runtime.
        drop(crate::driver::current(
            crate::driver::Part::Io,
            "ctxrt::net::TcpListener::bind",
        ));
        let mut last_err = None;
        for addr in to_socket_addrs(addr).await? {
            match mio::net::TcpListener::bind(addr) {
                Ok(listener) => return TcpListener::new(listener),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(super::no_addresses))
    }

    #[track_caller]
    fn new(listener: mio::net::TcpListener) -> io::Result<TcpListener> {
        let io = PollEvented::new(listener, Interest::READABLE, "ctxrt::net::TcpListener")?;
        Ok(TcpListener { io })
    }

    /// Takes a std listener (which must be non-blocking... it is made so here).
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
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let _guard = rt.enter();
    /// let listener = ctxrt::net::TcpListener::from_std(std_listener).unwrap();
    /// let back: std::net::TcpListener = listener.into_std().unwrap();
    /// # drop(back);
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::new(mio::net::TcpListener::from_std(listener))
    }

    /// Deregisters the listener and returns it as a std one (still non-blocking).
    ///
    /// # Errors
    ///
    /// If it cannot be deregistered.
    ///
    /// # Examples
    ///
    /// ```
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = ctxrt::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let std_listener = listener.into_std().unwrap();
    ///     assert!(std_listener.local_addr().is_ok());
    /// }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        use std::os::fd::{FromRawFd, IntoRawFd};
        let listener = self.io.into_inner()?;
        // SAFETY: the fd was just released by mio's listener, which owned it; ownership
        // passes to the std listener (no `unsafe` invariant of this crate is involved).
        Ok(unsafe { std::net::TcpListener::from_raw_fd(listener.into_raw_fd()) })
    }

    /// Waits for a connection.
    ///
    /// # Errors
    ///
    /// What `accept(2)` reports (other than `WouldBlock`), or the runtime's shutdown.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self
            .io
            .async_io(Interest::READABLE, |socket| socket.accept())
            .await?;
        Ok((TcpStream::new(stream)?, addr))
    }

    /// Polls for a connection.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::accept`].
    ///
    /// # Examples
    ///
    /// ```
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = ctxrt::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let _client = std::net::TcpStream::connect(addr).unwrap();
    ///     let (_stream, _) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
    /// }
    /// ```
    pub fn poll_accept(
        &self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.get_ref().accept())
        {
            Poll::Ready(Ok((stream, addr))) => {
                Poll::Ready(TcpStream::new(stream).map(|s| (s, addr)))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address it listens on.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`TcpListener::bind`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
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
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let listener = ctxrt::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     listener.set_ttl(64).unwrap();
    ///     assert_eq!(listener.ttl().unwrap(), 64);
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
    /// See [`TcpListener::set_ttl`].
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
