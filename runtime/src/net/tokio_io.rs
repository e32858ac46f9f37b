//! Feature `tokio-io`: tokio's `AsyncRead`/`AsyncWrite` for the TCP and Unix streams and
//! their halves (one generic impl per half type, `split.rs`), so code written against tokio streams (and `hyper_util::rt::TokioIo`) runs unchanged.
//!
//! The traits come from the `tokio` crate ctxrt already depends on for `ctxrt::sync`
//! (tokio's `io` traits need none of its features). Each impl forwards to the same
//! readiness-driven `poll_*_priv` functions as the futures-io impls, reading into the
//! unfilled part of tokio's `ReadBuf` and advancing it by what was read.
//!
//! On Unix the read goes straight into the `ReadBuf`'s unfilled, possibly uninitialised
//! memory (`read(2)` through `PollEvented::poll_read_uninit`), as tokio's own sockets do:
//! `hyper_util::rt::TokioIo` lends hyper's whole read buffer on every read, and zeroing it
//! first (`ReadBuf::initialize_unfilled`) would cost a `memset` of the buffer per read.
//! Elsewhere the unfilled part is initialised once and read into as `&mut [u8]`.
//!
//! # Invariants (cited by the `unsafe` blocks below)
//!
//! 1. The `&mut [MaybeUninit<u8>]` taken from `ReadBuf::unfilled_mut` is handed only to
//!    `poll_read_uninit_priv`, which passes it to `read(2)`; that writes bytes and never
//!    de-initialises any, as `unfilled_mut`'s contract requires.
//! 2. `poll_read_uninit_priv` returning `Ok(n)` means the first `n` bytes of the slice it was
//!    given are initialised (`read(2)` wrote them, and `n <= slice.len()`), which is what
//!    `ReadBuf::assume_init(n)` requires.

use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio_sync::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::split::sealed::Sealed;
use super::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, SplitStream, TcpStream, WriteHalf};

/// Reads into `buf`'s unfilled bytes through `poll_read` (a futures-io style read), after
/// initialising them; the portable path.
#[cfg(not(unix))]
fn read_into<S: Sealed>(
    buf: &mut ReadBuf<'_>,
    stream: &S,
    cx: &mut TaskContext<'_>,
) -> Poll<io::Result<()>> {
    let unfilled = buf.initialize_unfilled();
    stream
        .poll_read_priv(cx, unfilled)
        .map_ok(|n| buf.advance(n))
}

/// Reads straight into `buf`'s unfilled, possibly uninitialised bytes (no `memset`).
#[cfg(unix)]
fn read_into<S: Sealed>(
    buf: &mut ReadBuf<'_>,
    stream: &S,
    cx: &mut TaskContext<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: invariant 1: the slice only reaches read(2), which never de-initialises.
    let unfilled = unsafe { buf.unfilled_mut() };
    stream.poll_read_uninit_priv(cx, unfilled).map_ok(|n| {
        // SAFETY: invariant 2: `Ok(n)` means read(2) initialised the first `n` unfilled
        // bytes.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
    })
}

macro_rules! tokio_read_impl {
    (<$($gen:ident),*> $ty:ty, |$this:ident| -> $inner:ty { $stream:expr }) => {
        impl<$($gen: SplitStream),*> AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let $this = &*self;
                let stream: &$inner = $stream;
                read_into(buf, stream, cx)
            }
        }
    };
}

macro_rules! tokio_write_impl {
    (<$($gen:ident),*> $ty:ty, |$this:ident| -> $inner:ty { $stream:expr }) => {
        impl<$($gen: SplitStream),*> AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                let stream: &$inner = $stream;
                stream.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut TaskContext<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                let stream: &$inner = $stream;
                stream.poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
                // Writes go straight to the socket; there is nothing buffered to flush.
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: Pin<&mut Self>,
                _cx: &mut TaskContext<'_>,
            ) -> Poll<io::Result<()>> {
                let $this = &*self;
                let stream: &$inner = $stream;
                Poll::Ready(stream.shutdown_priv(Shutdown::Write))
            }
        }
    };
}

tokio_read_impl!(<> TcpStream, |this| -> TcpStream { this });
tokio_write_impl!(<> TcpStream, |this| -> TcpStream { this });
#[cfg(unix)]
tokio_read_impl!(<> super::UnixStream, |this| -> super::UnixStream { this });
#[cfg(unix)]
tokio_write_impl!(<> super::UnixStream, |this| -> super::UnixStream { this });
tokio_read_impl!(<S> ReadHalf<'_, S>, |this| -> S { this.0 });
tokio_write_impl!(<S> WriteHalf<'_, S>, |this| -> S { this.0 });
tokio_read_impl!(<S> OwnedReadHalf<S>, |this| -> S { &this.0 });
tokio_write_impl!(<S> OwnedWriteHalf<S>, |this| -> S { &this.stream });
