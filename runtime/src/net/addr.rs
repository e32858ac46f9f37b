//! [`ToSocketAddrs`]: what `bind` and `connect` accept.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Types that resolve to socket addresses: `SocketAddr`, `(IpAddr, u16)`, `&str` and
/// `String` as `"host:port"`, `(&str, u16)`, `&[SocketAddr]`. Strings that are not
/// literal addresses are resolved on the blocking pool, inheriting the caller's context.
/// Sealed: implemented only here.
///
/// # Examples
///
/// ```
/// use ctxrt::net::TcpListener;
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let by_str = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let by_tuple = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
///     let by_name = TcpListener::bind("localhost:0").await.unwrap();
///     assert!(by_str.local_addr().unwrap().ip().is_loopback());
///     assert!(by_tuple.local_addr().unwrap().ip().is_loopback());
///     assert!(by_name.local_addr().unwrap().ip().is_loopback());
/// }
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::*;

    /// What a `ToSocketAddrs` turns into.
    pub enum Resolved {
        /// Known without a lookup.
        Ready(io::Result<Vec<SocketAddr>>),
        /// A name to look up on the blocking pool.
        Lookup(String),
    }

    /// The resolution step of `ToSocketAddrs`.
    pub trait Sealed {
        /// The addresses, or the name to look up.
        fn resolve(&self) -> Resolved;
    }
}

use sealed::{Resolved, Sealed};

/// Resolves `addr`, on the blocking pool if it is a name.
pub(crate) async fn to_socket_addrs<A: ToSocketAddrs>(addr: A) -> io::Result<Vec<SocketAddr>> {
    match addr.resolve() {
        Resolved::Ready(result) => result,
        Resolved::Lookup(host) => {
            let job = crate::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&host).map(Iterator::collect)
            });
            match job.await {
                Ok(result) => result,
                Err(err) => Err(io::Error::other(err.to_string())),
            }
        }
    }
}

macro_rules! ready_addr {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl Sealed for $ty {
            fn resolve(&self) -> Resolved {
                Resolved::Ready(Ok(vec![SocketAddr::from(*self)]))
            }
        }
    )*};
}

ready_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
    ([u8; 4], u16),
    ([u16; 8], u16)
);

impl ToSocketAddrs for [SocketAddr] {}
impl Sealed for [SocketAddr] {
    fn resolve(&self) -> Resolved {
        Resolved::Ready(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn resolve(&self) -> Resolved {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Resolved::Ready(Ok(vec![addr])),
            Err(_) => Resolved::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn resolve(&self) -> Resolved {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn resolve(&self) -> Resolved {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Resolved::Ready(Ok(vec![SocketAddr::new(ip, self.1)])),
            Err(_) => Resolved::Lookup(format!("{}:{}", self.0, self.1)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn resolve(&self) -> Resolved {
        (self.0.as_str(), self.1).resolve()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Sealed + ?Sized> Sealed for &T {
    fn resolve(&self) -> Resolved {
        (**self).resolve()
    }
}
