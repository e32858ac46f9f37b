//! The reactor and the I/O traits: readiness of registered resources.
//!
//! Each runtime built with `enable_io` owns one `mio::Poll` (`driver.rs`); every socket
//! made on it is registered edge-triggered under a token naming its `ScheduledIo` in a
//! slab (`scheduled_io.rs`, which documents the readiness word, the waker slots and the
//! generation tag). A task that meets `WouldBlock` stores its waker in its direction's
//! slot and is woken by the worker that is parked in the driver when the event comes.
//! While it waits, the task's context sits in the task cell (it is idle); the reactor
//! holds only its waker.
//!
//! Streams implement `futures-io`'s `AsyncRead`/`AsyncWrite`, re-exported here.

#[cfg(unix)]
mod async_fd;
pub(crate) mod poll_evented;
mod ready;
pub(crate) mod registration;
pub(crate) mod scheduled_io;

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use ready::{Interest, Ready};

/// Unix-only I/O: [`AsyncFd`](unix::AsyncFd), readiness for your own file descriptors.
///
/// # Examples
///
/// ```
/// use ctxrt::io::unix::AsyncFd;
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
///     a.set_nonblocking(true).unwrap();
///     let a = AsyncFd::new(a).unwrap();
///     assert!(a.writable().await.unwrap().ready().is_writable());
/// }
/// ```
#[cfg(unix)]
pub mod unix {
    pub use super::async_fd::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
}
