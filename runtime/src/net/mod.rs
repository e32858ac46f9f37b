//! Networking on the runtime's reactor: [`TcpListener`], [`TcpStream`], [`UdpSocket`],
//! and on unix `UnixListener`, `UnixStream`, `UnixDatagram`.
//!
//! Every socket is registered with the reactor of the runtime it was made on (which
//! needs `enable_io`) and deregistered when dropped. A connection's handler task keeps
//! its own context, as every task does: while it waits for readiness its context is in
//! its task cell and the reactor holds only its waker.
//!
//! Addresses are taken through [`ToSocketAddrs`], as in tokio: socket addresses are used
//! as they are, `"host:port"` strings that are not literal addresses are resolved on the
//! blocking pool (the lookup job inherits the caller's context like any blocking job).
//!
//! Streams implement futures-io's `AsyncRead`/`AsyncWrite`. With the cargo feature
//! `tokio-io`, [`TcpStream`] and its halves ([`ReadHalf`], [`WriteHalf`],
//! [`OwnedReadHalf`], [`OwnedWriteHalf`]) and the Unix stream also implement tokio's `AsyncRead`/`AsyncWrite`,
//! so code written against tokio streams (`tokio::io::AsyncReadExt`,
//! `hyper_util::rt::TokioIo`) takes them unchanged; `poll_shutdown` shuts the write side.

mod addr;
pub(crate) mod split;
mod tcp_listener;
mod tcp_socket;
mod tcp_stream;
#[cfg(all(feature = "tokio-io", not(loom)))]
mod tokio_io;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use addr::ToSocketAddrs;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, SplitStream, WriteHalf};
pub use tcp_listener::TcpListener;
pub use tcp_socket::TcpSocket;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};

pub(crate) use addr::to_socket_addrs;

/// The TCP stream's halves under tokio's path (`tokio::net::tcp::OwnedReadHalf` ports as
/// `ctxrt::net::tcp::OwnedReadHalf`); the same types as [`ReadHalf`] etc. in this module.
///
/// # Examples
///
/// ```
/// use ctxrt::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
/// use ctxrt::net::{TcpListener, TcpStream};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (read, write): (OwnedReadHalf, OwnedWriteHalf) = stream.into_split();
///     let _stream: TcpStream = read.reunite(write).unwrap();
/// }
/// ```
pub mod tcp {
    pub use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
}

/// The error of a resolution that produced no address.
pub(crate) fn no_addresses() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "could not resolve to any address",
    )
}
