//! [`UdpSocket`].

use std::fmt;
use std::io;
use std::net::SocketAddr;

use super::{to_socket_addrs, ToSocketAddrs};
use crate::io::poll_evented::PollEvented;
use crate::io::Interest;

/// A UDP socket registered with the runtime's reactor.
///
/// # Examples
///
/// ```
/// use ctxrt::net::UdpSocket;
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 8];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// }
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
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
    /// See [`UdpSocket`].
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        // Checked when first polled, as tokio's `async fn` does, so
        // `rt.block_on(UdpSocket::bind(..))` works from outside the runtime.
        drop(crate::driver::current(
            crate::driver::Part::Io,
            "ctxrt::net::UdpSocket::bind",
        ));
        let mut last_err = None;
        for addr in to_socket_addrs(addr).await? {
            match mio::net::UdpSocket::bind(addr) {
                Ok(socket) => {
                    let io = PollEvented::new(
                        socket,
                        Interest::READABLE | Interest::WRITABLE,
                        "ctxrt::net::UdpSocket",
                    )?;
                    return Ok(UdpSocket { io });
                }
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(super::no_addresses))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` unless [`UdpSocket::connect`] was called.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket::connect`].
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sends `buf` to `target`.
    ///
    /// # Errors
    ///
    /// What `sendto(2)` reports, or `InvalidInput` if `target` resolved to nothing.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let addr = to_socket_addrs(target)
            .await?
            .into_iter()
            .next()
            .ok_or_else(super::no_addresses)?;
        self.io
            .async_io(Interest::WRITABLE, |socket| socket.send_to(buf, addr))
            .await
    }

    /// Waits for a datagram; returns its length and sender.
    ///
    /// # Errors
    ///
    /// What `recvfrom(2)` reports.
    ///
    /// # Examples
    ///
    /// See [`UdpSocket`].
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Interest::READABLE, |socket| socket.recv_from(buf))
            .await
    }

    /// Sets the default peer: [`UdpSocket::send`] goes there, and only its datagrams
    /// are received.
    ///
    /// # Errors
    ///
    /// What `connect(2)` reports, or `InvalidInput` if `addr` resolved to nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::UdpSocket;
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    ///     a.send(b"hi").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     assert_eq!(b.recv_from(&mut buf).await.unwrap().0, 2);
    /// }
    /// ```
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let mut last_err = None;
        for addr in to_socket_addrs(addr).await? {
            match self.io.get_ref().connect(addr) {
                Ok(()) => return Ok(()),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(super::no_addresses))
    }

    /// Sends `buf` to the connected peer.
    ///
    /// # Errors
    ///
    /// What `send(2)` reports (e.g. not connected).
    ///
    /// # Examples
    ///
    /// See [`UdpSocket::connect`].
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .async_io(Interest::WRITABLE, |socket| socket.send(buf))
            .await
    }

    /// Waits for a datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// What `recv(2)` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::net::UdpSocket;
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     a.send_to(b"yo", b.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0; 2];
    ///     assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
    /// }
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io(Interest::READABLE, |socket| socket.recv(buf))
            .await
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
