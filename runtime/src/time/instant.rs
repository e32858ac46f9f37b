//! [`Instant`]: a point in time on the runtime's clock (paused-time aware).

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use super::source::PAUSED_CLOCKS;
use crate::sync::Ordering;

/// A measurement of a monotonic clock: `std::time::Instant`, except that inside a
/// runtime whose time is paused, [`Instant::now`] reads that runtime's clock.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let later = start + Duration::from_millis(5);
/// assert_eq!(later - start, Duration::from_millis(5));
/// assert!(later.duration_since(start) >= Duration::from_millis(5));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The current instant (the runtime's paused clock, if this thread's runtime paused
    /// time).
    ///
    /// # Examples
    ///
    /// ```
    /// let now = ctxrt::time::Instant::now();
    /// assert!(now.elapsed() < ctxrt::time::Duration::from_secs(60));
    /// ```
    #[inline]
    pub fn now() -> Instant {
        // Relaxed: a gate; a clock paused concurrently on another thread's runtime is
        // not this thread's clock.
        if PAUSED_CLOCKS.load(Ordering::Relaxed) != 0 {
            if let Some(now) = Instant::runtime_now() {
                return now;
            }
        }
        Instant(std::time::Instant::now())
    }

    /// The current runtime's clock, if this thread is in a runtime with time enabled.
    /// Out of line: only read once some runtime has paused its clock.
    #[cold]
    #[inline(never)]
    fn runtime_now() -> Option<Instant> {
        let handle = crate::runtime::Handle::try_current().ok()?;
        let time = handle.shared.driver.as_ref()?.time.as_ref()?;
        Some(Instant(time.now()))
    }

    /// Wraps a std instant.
    ///
    /// # Examples
    ///
    /// ```
    /// let std_now = std::time::Instant::now();
    /// assert_eq!(ctxrt::time::Instant::from_std(std_now).into_std(), std_now);
    /// ```
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant(std)
    }

    /// The std instant.
    ///
    /// # Examples
    ///
    /// ```
    /// let _std: std::time::Instant = ctxrt::time::Instant::now().into_std();
    /// ```
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{Duration, Instant};
    /// let a = Instant::now();
    /// assert_eq!(a.duration_since(a + Duration::from_secs(1)), Duration::ZERO);
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time from `earlier` to `self`, `None` if `earlier` is later.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{Duration, Instant};
    /// let a = Instant::now();
    /// assert!(a.checked_duration_since(a + Duration::from_secs(1)).is_none());
    /// ```
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// Same as [`Instant::duration_since`].
    ///
    /// # Examples
    ///
    /// ```
    /// let a = ctxrt::time::Instant::now();
    /// assert_eq!(a.saturating_duration_since(a), ctxrt::time::Duration::ZERO);
    /// ```
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }

    /// Time since `self` ([`Instant::now`] minus it).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = ctxrt::time::Instant::now();
    /// assert!(a.elapsed() < ctxrt::time::Duration::from_secs(60));
    /// ```
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + duration`, `None` on overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{Duration, Instant};
    /// assert!(Instant::now().checked_add(Duration::from_secs(1)).is_some());
    /// ```
    #[inline]
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, `None` on underflow.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{Duration, Instant};
    /// let now = Instant::now();
    /// assert_eq!(now.checked_sub(Duration::ZERO), Some(now));
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }

    /// An instant about 30 years from now: "never", for deadlines.
    pub(crate) fn far_future() -> Instant {
        Instant::now() + Duration::from_secs(86_400 * 365 * 30)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, other: Duration) -> Instant {
        Instant(self.0 + other)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, other: Duration) {
        self.0 += other;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, other: Duration) -> Instant {
        Instant(self.0 - other)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, other: Duration) {
        self.0 -= other;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        self.duration_since(other)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
