//! A `timeout` (and a `sleep`) keeps the deadline it got when it was made, creation time
//! plus its duration, however late it is first polled: a timer arms only on its first
//! poll, but its deadline is never taken from that poll. On a paused clock, so the
//! instants are exact.

use std::time::Duration;

use ctxrt::time::{advance, sleep, timeout, Instant};

#[ctxrt::test(start_paused = true)]
async fn a_timeout_first_polled_late_fires_at_creation_plus_duration() {
    let start = Instant::now();
    let guarded = timeout(Duration::from_millis(100), sleep(Duration::from_secs(3600)));
    advance(Duration::from_millis(60)).await;
    // Auto-advance jumps to the earliest timer: the timeout's, 100 ms after creation (it
    // would be 160 ms if the deadline were taken at this first poll).
    assert!(guarded.await.is_err(), "the timeout should have fired");
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

#[ctxrt::test(start_paused = true)]
async fn a_timeout_first_polled_after_its_deadline_fires_at_once() {
    let start = Instant::now();
    let guarded = timeout(Duration::from_millis(50), sleep(Duration::from_secs(3600)));
    advance(Duration::from_millis(80)).await;
    assert!(guarded.await.is_err(), "the timeout should have fired");
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(80),
        "it waited again"
    );
}

#[ctxrt::test(start_paused = true)]
async fn a_timeout_whose_future_is_ready_returns_it_even_when_polled_late() {
    let guarded = timeout(Duration::from_millis(10), std::future::ready(7));
    advance(Duration::from_millis(50)).await;
    // As tokio's: the future is polled first, so a ready one wins over a passed deadline.
    assert_eq!(guarded.await, Ok(7));
}

#[ctxrt::test(start_paused = true)]
async fn a_sleep_first_polled_late_ends_at_creation_plus_duration() {
    let start = Instant::now();
    let delay = sleep(Duration::from_millis(100));
    assert_eq!(delay.deadline(), start + Duration::from_millis(100));
    advance(Duration::from_millis(30)).await;
    delay.await;
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}
