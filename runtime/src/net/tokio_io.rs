//! Feature `tokio-io`: tokio's `AsyncRead`/`AsyncWrite` for the TCP and Unix streams and
//! their halves (one generic impl per half type, `split.rs`), so code written against tokio streams (and `hyper_util::rt::TokioIo`) runs unchanged.
//!
//! The traits come from the `tokio` crate ctxrt already depends on for `ctxrt::sync`
//! (tokio's `io` traits need none of its features). Each impl forwards to the same
//! readiness-driven `poll_*_priv` functions as the futures-io impls, reading into the
//! unfilled part of tokio's `ReadBuf` and advancing it by what was read.

use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio_sync::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::split::sealed::Sealed;
use super::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, SplitStream, TcpStream, WriteHalf};

/// Reads into `buf`'s unfilled bytes through `poll_read` (a futures-io style read).
fn read_into(
    buf: &mut ReadBuf<'_>,
    poll_read: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    let unfilled = buf.initialize_unfilled();
    match poll_read(unfilled) {
        Poll::Ready(Ok(n)) => {
            buf.advance(n);
            Poll::Ready(Ok(()))
        }
        Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
        Poll::Pending => Poll::Pending,
    }
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
                read_into(buf, |unfilled| stream.poll_read_priv(cx, unfilled))
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
