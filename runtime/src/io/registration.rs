//! [`Registration`]: one resource's entry in the reactor, and the readiness loops over it
//! (`poll_io`, `try_io`, `async_io`) that every socket type and `AsyncFd` share. Wrapped
//! with its source by `PollEvented` (`poll_evented.rs`) and by `AsyncFd` (`async_fd.rs`).

use std::future::poll_fn;
use std::io;
use std::task::{Context as TaskContext, Poll};

use super::scheduled_io::{Direction, ReadyEvent, ScheduledIo, ShutDown};
use super::Interest;
use crate::driver::{self, DriverHandle, Part};
use crate::sync::Arc;

fn shut_down_error() -> io::Error {
    io::Error::other("the ctxrt runtime that owns this I/O resource has shut down")
}

/// A resource registered with the current runtime's reactor.
pub(crate) struct Registration {
    driver: Arc<DriverHandle>,
    io: Arc<ScheduledIo>,
    token: usize,
}

impl Registration {
    /// Registers `source` for `interest` with the current runtime's reactor.
    ///
    /// Panics outside a runtime or without `enable_io` (the message names it).
    #[track_caller]
    pub(crate) fn new(
        source: &mut impl mio::event::Source,
        interest: Interest,
        what: &str,
    ) -> io::Result<Registration> {
        let driver = driver::current(Part::Io, what);
        let io_shared = driver.io.as_ref().expect("checked by driver::current");
        let Some((io, token)) = io_shared.insert() else {
            return Err(shut_down_error());
        };
        if let Err(err) = io_shared
            .registry
            .register(source, mio::Token(token), interest.to_mio())
        {
            io_shared.release(token);
            return Err(err);
        }
        Ok(Registration { driver, io, token })
    }

    /// Removes `source` from the poll; the caller does this before closing it.
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        let io_shared = self.driver.io.as_ref().expect("registered with io");
        io_shared.registry.deregister(source)
    }

    pub(crate) fn poll_ready(
        &self,
        cx: &mut TaskContext<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.io
            .poll_ready(cx, direction)
            .map(|r| r.map_err(|ShutDown| shut_down_error()))
    }

    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.io.clear_readiness(event);
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for `direction` between
    /// tries (module docs of `scheduled_io.rs`: no event lost in between).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut TaskContext<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.poll_ready(cx, direction) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readiness(event);
                }
                result => return Poll::Ready(result),
            }
        }
    }

    /// Ready with the readiness in `interest`, else registers `cx`'s waker for it.
    pub(crate) fn poll_readiness(
        &self,
        cx: &mut TaskContext<'_>,
        interest: Interest,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.io
            .poll_ready_interest(cx, interest)
            .map(|r| r.map_err(|ShutDown| shut_down_error()))
    }

    /// Waits for readiness in `interest`.
    pub(crate) async fn readiness(&self, interest: Interest) -> io::Result<ReadyEvent> {
        poll_fn(|cx| self.poll_readiness(cx, interest)).await
    }

    /// Runs `op` once if `interest` is ready now; `WouldBlock` otherwise (and readiness
    /// cleared if `op` itself would block).
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let event = match self.io.ready_now(interest) {
            Ok(Some(event)) => event,
            Ok(None) => return Err(io::ErrorKind::WouldBlock.into()),
            Err(ShutDown) => return Err(shut_down_error()),
        };
        let result = op();
        if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
            self.clear_readiness(event);
        }
        result
    }

    /// Runs `op` whenever `interest` is ready, until it does not return `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness(interest).await?;
            match op() {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readiness(event);
                }
                result => return result,
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(io_shared) = &self.driver.io {
            // Invariant 2 in scheduled_io.rs: a late event for this token is now ignored.
            io_shared.release(self.token);
        }
    }
}
