//! [`PollEvented`]: a mio source together with its reactor [`Registration`] — the one
//! core every socket type is built on.
//!
//! The socket types (`TcpStream`, `UnixStream`, the listeners, the datagram sockets) are
//! thin: each holds a `PollEvented` of its mio type and forwards to it. The readiness
//! loops live here once: `poll_read`/`poll_write` for the `AsyncRead`/`AsyncWrite` impls
//! (of the streams and of their split halves, `net/split.rs`), `try_read`/`try_write`,
//! `ready`, and `async_io`/`try_io` for socket-specific calls (`accept`, `recv_from`,
//! `peek`). Each loop waits in one direction's waker slot (`scheduled_io.rs`), so a read
//! half and a write half can wait in two tasks at once.
//!
//! Invariants (numbered for the `SAFETY` comments):
//! 1. The source is present from `new` until `into_inner` or drop, and is deregistered
//!    from the poll before it is closed (so no event is delivered for an fd number that a
//!    later socket reuses: invariant 2 in `scheduled_io.rs` handles the late ones). So
//!    while `&self` is alive, the source's fd is open and is this source's.
//! 2. `read_uninit` hands `read(2)` a pointer and length taken from one `&mut` slice:
//!    the kernel writes at most that many bytes there and never reads them, so no
//!    uninitialised byte is read, and the `n` it reports written are initialised.

use std::io::{self, Read, Write};
#[cfg(unix)]
use std::mem::MaybeUninit;
#[cfg(unix)]
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context as TaskContext, Poll};

use super::registration::Registration;
use super::scheduled_io::Direction;
use super::{Interest, Ready};

/// A mio source registered with the reactor; deregistered (then closed) when dropped.
pub(crate) struct PollEvented<E: mio::event::Source> {
    io: Option<E>,
    registration: Registration,
}

impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` for `interest`; `what` names the caller in the panic message.
    ///
    /// Panics outside a runtime or without `enable_io` (the message names it).
    #[track_caller]
    pub(crate) fn new(mut io: E, interest: Interest, what: &str) -> io::Result<Self> {
        let registration = Registration::new(&mut io, interest, what)?;
        Ok(PollEvented {
            io: Some(io),
            registration,
        })
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    pub(crate) fn get_ref(&self) -> &E {
        self.io.as_ref().expect("present until into_inner or drop")
    }

    /// Deregisters and returns the source.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self.io.take().expect("present until into_inner or drop");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    /// Waits until the source is ready for any of `interest`, and says which.
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.registration.readiness(interest).await?.ready)
    }

    /// Runs `op` on the source whenever `interest` is ready, until it does not block.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.async_io(interest, || op(io)).await
    }

    /// Runs `op` on the source once if `interest` is ready now, else `WouldBlock`.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.try_io(interest, || op(io))
    }
}

/// The byte-stream loops, for sources that read and write through a shared reference
/// (mio's `TcpStream` and `UnixStream`).
impl<E: mio::event::Source> PollEvented<E>
where
    for<'a> &'a E: Read + Write,
{
    pub(crate) fn poll_read(
        &self,
        cx: &mut TaskContext<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut io = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Read, || io.read(buf))
    }

    pub(crate) fn poll_write(
        &self,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut io = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Write, || io.write(buf))
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut io = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Write, || io.write_vectored(bufs))
    }

    /// Reads into `buf` without initialising it first, waiting for readability: `read(2)`
    /// straight into the caller's (possibly uninitialised) memory, as tokio's sockets do,
    /// so an adapter lending hyper's read buffer need not zero it (`hyper.rs`). `Ok(n)`
    /// means the first `n` bytes of `buf` are initialised (invariant 2).
    #[cfg(unix)]
    pub(crate) fn poll_read_uninit(
        &self,
        cx: &mut TaskContext<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>>
    where
        E: AsRawFd,
    {
        let fd = self.get_ref().as_raw_fd();
        self.registration
            .poll_io(cx, Direction::Read, || read_uninit(fd, buf))
    }

    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, |mut io| io.read(buf))
    }

    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Interest::WRITABLE, |mut io| io.write(buf))
    }
}

/// `read(2)` on `fd` into `buf`; `Ok(n)`: the first `n` bytes of `buf` are initialised.
#[cfg(unix)]
fn read_uninit(fd: RawFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // SAFETY: invariant 1: `fd` is the open fd of the source `&self` holds (the caller's
    // borrow keeps it open); invariant 2: pointer and length come from one exclusive
    // slice, which read(2) only writes, at most `buf.len()` bytes of.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast::<libc::c_void>(), buf.len()) };
    // A negative return is -1 with errno set; anything else is a byte count <= buf.len().
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Deregister before the source (and its fd) is closed (module invariant).
            let _ = self.registration.deregister(&mut io);
            drop(io);
        }
    }
}
