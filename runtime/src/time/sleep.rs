//! [`Sleep`], [`sleep`] and [`sleep_until`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use super::driver_ref::DriverRef;
use super::wheel::EntryKey;
use super::Instant;

/// Waits until `duration` has elapsed.
///
/// # Panics
///
/// Outside a runtime, or on one built without `enable_time`.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{sleep, Duration, Instant};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let start = Instant::now();
///     sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// }
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(Instant::far_future);
    Sleep::new(deadline, "ctxrt::time::sleep")
}

/// Waits until `deadline`.
///
/// # Panics
///
/// Outside a runtime, or on one built without `enable_time`.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{sleep_until, Duration, Instant};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// }
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline, "ctxrt::time::sleep_until")
}

/// The future of [`sleep`] / [`sleep_until`]: ready once its deadline has passed. It
/// arms a timer on its first poll; dropping it removes the timer, leaving nothing behind.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{sleep, Duration, Instant};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let mut delay = std::pin::pin!(sleep(Duration::from_secs(3600)));
///     delay.as_mut().reset(Instant::now() + Duration::from_millis(1));
///     delay.await;
/// }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// Its runtime's driver: by id until the first arm, then held (`driver_ref.rs`).
    driver: DriverRef,
    entry: Option<EntryKey>,
    done: bool,
}

impl Sleep {
    #[track_caller]
    #[inline]
    pub(crate) fn new(deadline: Instant, what: &str) -> Sleep {
        Sleep {
            deadline,
            driver: DriverRef::current(what),
            entry: None,
            done: false,
        }
    }

    /// The timer store; only once armed (an entry exists only then).
    fn armed_time(&self) -> &super::source::TimeShared {
        self.driver
            .bound()
            .and_then(|driver| driver.time.as_ref())
            .expect("an armed Sleep holds a driver with time enabled")
    }

    /// The deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{sleep_until, Duration, Instant};
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let at = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(sleep_until(at).deadline(), at);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has been reached (as seen by the last poll).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{sleep, Duration};
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// assert!(!sleep(Duration::from_secs(1)).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.done
    }

    /// Moves the deadline, earlier or later; the waiting task is woken at the new one
    /// (at once if it has passed), even if it does not poll again first.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{sleep, Duration, Instant};
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let mut delay = std::pin::pin!(sleep(Duration::from_millis(1)));
    ///     (&mut delay).await;
    ///     let later = Instant::now() + Duration::from_millis(2);
    ///     delay.as_mut().reset(later);
    ///     delay.await;
    ///     assert!(Instant::now() >= later);
    /// }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        this.done = false;
        if let Some(key) = this.entry {
            let (due, wake_driver) = this.armed_time().reset(key, deadline.into_std());
            if let Some(waker) = due {
                waker.wake();
            }
            if let (true, Some(driver)) = (wake_driver, this.driver.bound()) {
                driver.unpark();
            }
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(());
        }
        let fired = match this.entry {
            Some(key) => this.armed_time().poll(key, cx.waker()),
            None => {
                let driver = this.driver.bind();
                let time = driver
                    .time
                    .as_ref()
                    .expect("made on a driver with time enabled");
                match time.arm(this.deadline.into_std(), cx.waker()) {
                    None => true,
                    Some((key, wake_driver)) => {
                        this.entry = Some(key);
                        if wake_driver {
                            driver.unpark();
                        }
                        false
                    }
                }
            }
        };
        if fired {
            this.done = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        // Never armed (a timeout whose future was ready at once): nothing to do, no
        // driver reference to drop.
        if self.entry.is_some() {
            self.disarm();
        }
    }
}

impl Sleep {
    /// Frees the armed entry. Out of line, so dropping a never-armed `Sleep` stays a
    /// test and a branch wherever it is inlined.
    #[inline(never)]
    fn disarm(&mut self) {
        if let Some(key) = self.entry.take() {
            self.armed_time().remove(key);
        }
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("elapsed", &self.done)
            .finish()
    }
}
