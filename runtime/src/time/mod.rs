//! Timers: [`sleep`], [`timeout`], [`interval`] and test time ([`pause`], [`advance`]).
//!
//! Each runtime built with `enable_time` owns one timer store (`source.rs`): its clock
//! and one hierarchical timing wheel (`wheel.rs`, 6 levels × 64 slots at 1 ms, as tokio's)
//! behind its own lock, reached through the runtime's driver (`driver.rs`). One wheel per
//! runtime rather than one per worker is a measured choice (issue 9): per-worker wheels
//! (`2b519f1`) were no faster on the timer rows and ran 1.4 % more instructions per sleep
//! (`benches/README.md`, "Timer wheels"), so the simpler layout stays. A [`Sleep`] arms
//! its entry on its first poll (a timeout around a future that is ready at once never
//! touches the wheel), re-arms it in O(1) on `reset`, and frees it in O(1) when dropped.
//! The worker parked in the driver fires due timers, sleeping in `Poll::poll` until the
//! nearest deadline; busy workers fire due ones on their fairness tick.
//!
//! Timers fire no earlier than their deadline (deadlines round up to the next
//! millisecond) and, on an idle runtime, about a millisecond after it.
//!
//! The one `unsafe` here is the pin projection in `timeout.rs`, whose invariant is in
//! that file's header.

mod instant;
mod interval;
mod sleep;
pub(crate) mod source;
mod timeout;
pub(crate) mod wheel;

pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Timeout};

use crate::driver::{self, DriverHandle, Part};
use crate::sync::Arc;

/// Errors of the time API.
pub mod error {
    use std::fmt;

    /// A [`timeout`](super::timeout) ran out before its future finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{error::Elapsed, sleep, timeout, Duration};
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let err: Elapsed = timeout(Duration::ZERO, sleep(Duration::from_secs(1))).await.unwrap_err();
    ///     assert_eq!(err.to_string(), "deadline has elapsed");
    /// }
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Elapsed(());

    impl Elapsed {
        pub(crate) fn new() -> Elapsed {
            Elapsed(())
        }
    }

    impl fmt::Display for Elapsed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("deadline has elapsed")
        }
    }

    impl std::error::Error for Elapsed {}

    impl From<Elapsed> for std::io::Error {
        fn from(elapsed: Elapsed) -> std::io::Error {
            std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed)
        }
    }
}

#[track_caller]
fn paused_driver(what: &str) -> Arc<DriverHandle> {
    let handle = crate::runtime::Handle::try_current().unwrap_or_else(|_| {
        panic!("{what} must be called inside a current_thread ctxrt runtime with time enabled")
    });
    assert!(
        handle.shared.flavor == crate::scheduler::Flavor::CurrentThread,
        "{what} needs a current_thread runtime: paused time on a multi-thread runtime would \
         race its workers (use Builder::new_current_thread() or #[ctxrt::test])"
    );
    driver::current(Part::Time, what)
}

/// Pauses this runtime's clock: from now on it moves only by [`advance`], or straight to
/// the next timer's deadline whenever every task is idle (auto-advance), so timer-heavy
/// code runs deterministically and instantly. Also `#[ctxrt::test(start_paused = true)]`.
///
/// # Panics
///
/// Outside a `current_thread` runtime with time enabled, or if time is already paused.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{sleep, Duration, Instant};
///
/// let rt = ctxrt::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// rt.block_on(async {
///     ctxrt::time::pause();
///     let start = Instant::now();
///     sleep(Duration::from_secs(3600)).await; // returns at once, in real time
///     assert!(start.elapsed() >= Duration::from_secs(3600));
/// });
/// ```
#[track_caller]
pub fn pause() {
    let driver = paused_driver("ctxrt::time::pause()");
    driver.time.as_ref().expect("time enabled").pause();
}

/// Lets this runtime's paused clock run again.
///
/// # Panics
///
/// Outside a `current_thread` runtime with time enabled, or if time is not paused.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// rt.block_on(async {
///     ctxrt::time::pause();
///     ctxrt::time::resume();
/// });
/// ```
#[track_caller]
pub fn resume() {
    let driver = paused_driver("ctxrt::time::resume()");
    driver.time.as_ref().expect("time enabled").resume();
}

/// Moves this runtime's paused clock forward by `duration`, firing every timer that
/// comes due, then yields so the woken tasks run.
///
/// # Panics
///
/// Outside a `current_thread` runtime with time enabled, or if time is not paused.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{advance, Duration, Instant};
///
/// let rt = ctxrt::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     advance(Duration::from_secs(5)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(5));
/// });
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> impl std::future::Future<Output = ()> {
    let driver = paused_driver("ctxrt::time::advance()");
    async move {
        let wakers = driver
            .time
            .as_ref()
            .expect("time enabled")
            .advance(duration);
        for waker in wakers {
            waker.wake();
        }
        crate::task::yield_now().await;
    }
}
