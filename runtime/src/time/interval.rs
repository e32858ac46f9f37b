//! [`Interval`], [`interval`], [`interval_at`] and [`MissedTickBehavior`].

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use super::{sleep_until, Instant, Sleep};

/// What an [`Interval`] does when ticks were missed (the task was late).
///
/// # Examples
///
/// ```
/// use ctxrt::time::{interval, Duration, MissedTickBehavior};
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let _guard = rt.enter();
/// let mut ticks = interval(Duration::from_millis(10));
/// ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
/// assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Skip);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, then keep the original schedule (the default).
    #[default]
    Burst,
    /// Restart the schedule from the late tick: the next one is a period after it.
    Delay,
    /// Skip the missed ticks: the next one is the next multiple of the period on the
    /// original schedule.
    Skip,
}

impl MissedTickBehavior {
    fn next_timeout(self, timeout: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => timeout + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                let late = now.duration_since(timeout).as_nanos();
                let period_nanos = period.as_nanos();
                let into = u64::try_from(late % period_nanos).unwrap_or(0);
                now + period - Duration::from_nanos(into)
            }
        }
    }
}

/// Ticks every `period`, the first tick at once.
///
/// # Panics
///
/// If `period` is zero; outside a runtime or without `enable_time`.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{interval, Duration, Instant};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         ticks.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(4));
/// }
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero; outside a runtime or without `enable_time`.
///
/// # Examples
///
/// ```
/// use ctxrt::time::{interval_at, Duration, Instant};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let start = Instant::now() + Duration::from_millis(3);
///     let mut ticks = interval_at(start, Duration::from_millis(5));
///     assert_eq!(ticks.tick().await, start);
/// }
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        period > Duration::ZERO,
        "ctxrt::time::interval: the period must be greater than zero"
    );
    Interval {
        delay: Box::pin(sleep_until(start)),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// Ticks on a schedule; see [`interval`].
///
/// # Examples
///
/// ```
/// use ctxrt::time::{interval, Duration};
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let mut ticks = interval(Duration::from_millis(1));
///     let first = ticks.tick().await;
///     let second = ticks.tick().await;
///     assert!(second > first);
/// }
/// ```
#[derive(Debug)]
pub struct Interval {
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{interval, Duration};
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     interval(Duration::from_millis(1)).tick().await;
    /// }
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{interval, Duration};
    ///
    /// #[ctxrt::main(flavor = "current_thread")]
    /// async fn main() {
    ///     let mut ticks = interval(Duration::from_millis(1));
    ///     std::future::poll_fn(|cx| ticks.poll_tick(cx)).await;
    /// }
    /// ```
    pub fn poll_tick(&mut self, cx: &mut TaskContext<'_>) -> Poll<Instant> {
        if self.delay.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let timeout = self.delay.deadline();
        let now = Instant::now();
        // A tick up to 5 ms late counts as on time, as in tokio.
        let next = if now > timeout + Duration::from_millis(5) {
            self.missed_tick_behavior
                .next_timeout(timeout, now, self.period)
        } else {
            timeout + self.period
        };
        self.delay.as_mut().reset(next);
        Poll::Ready(timeout)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{interval, Duration};
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// interval(Duration::from_secs(1)).reset();
    /// ```
    pub fn reset(&mut self) {
        self.delay.as_mut().reset(Instant::now() + self.period);
    }

    /// The behaviour on missed ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{interval, Duration, MissedTickBehavior};
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// assert_eq!(interval(Duration::from_secs(1)).missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the behaviour on missed ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{interval, Duration, MissedTickBehavior};
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// interval(Duration::from_secs(1)).set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::time::{interval, Duration};
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// assert_eq!(interval(Duration::from_secs(1)).period(), Duration::from_secs(1));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}
