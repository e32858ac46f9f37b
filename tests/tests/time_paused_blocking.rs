//! Paused time does not auto-advance while a `spawn_blocking` job is in flight (tokio's
//! `test-util` rule): the job may be about to wake a task, so jumping the clock to the
//! next timer would fire it early. Once the last job is done, auto-advance resumes.

use std::time::Duration;

use ctxrt::time::{sleep, Instant};

#[ctxrt::test(start_paused = true)]
async fn a_blocking_job_finishes_before_an_idle_runtime_skips_to_the_next_timer() {
    let start = Instant::now();
    let (tx, rx) = futures_channel::oneshot::channel();
    // The job takes real time; the timer task is idle meanwhile, so without the rule the
    // clock would jump an hour ahead and the timer would fire first.
    let job = ctxrt::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(50));
        let _ = tx.send(Instant::now());
    });
    let timer = ctxrt::spawn(async {
        sleep(Duration::from_secs(3600)).await;
        Instant::now()
    });
    let job_done_at = rx.await.expect("the job sends before it ends");
    assert!(
        job_done_at - start < Duration::from_secs(3600),
        "the paused clock auto-advanced past the timer while the blocking job ran"
    );
    // (Once the closure returns, the runtime may auto-advance before this task is polled
    // again, so whether the timer has fired by then is not asserted.)
    job.await.unwrap();
    // No job in flight any more: the idle runtime auto-advances to the timer at once.
    let real = std::time::Instant::now();
    let fired_at = timer.await.unwrap();
    assert_eq!(fired_at - start, Duration::from_secs(3600));
    assert!(
        real.elapsed() < Duration::from_secs(30),
        "paused time slept for real"
    );
}

#[ctxrt::test(start_paused = true)]
async fn a_detached_blocking_job_ending_lets_the_clock_advance() {
    // Nobody awaits the job: its end alone must wake the driver, parked without a
    // timeout while the job ran, so it auto-advances to the sleep below.
    drop(ctxrt::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(20))
    }));
    let real = std::time::Instant::now();
    let start = Instant::now();
    sleep(Duration::from_secs(60)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    assert!(
        real.elapsed() >= Duration::from_millis(20),
        "advanced while the job ran"
    );
    assert!(
        real.elapsed() < Duration::from_secs(30),
        "paused time slept for real"
    );
}
