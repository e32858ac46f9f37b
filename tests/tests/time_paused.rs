//! Paused time: `pause`/`advance`/`resume`, auto-advance to the next timer while every
//! task is idle, `#[ctxrt::test(start_paused = true)]`, and the misuse panics.

use std::time::Duration;

use ctxrt::time::{advance, pause, resume, sleep, Instant};

#[ctxrt::test(start_paused = true)]
async fn a_long_sleep_auto_advances_instantly() {
    let real = std::time::Instant::now();
    let start = Instant::now();
    sleep(Duration::from_secs(24 * 3600)).await;
    assert!(start.elapsed() >= Duration::from_secs(24 * 3600));
    assert!(
        real.elapsed() < Duration::from_secs(30),
        "paused time slept for real"
    );
}

#[ctxrt::test(start_paused = true)]
async fn advance_moves_the_clock_exactly_and_fires_what_is_due() {
    let start = Instant::now();
    let task = ctxrt::spawn(async {
        sleep(Duration::from_millis(100)).await;
        Instant::now()
    });
    ctxrt::task::yield_now().await; // let the task arm its timer
    advance(Duration::from_millis(40)).await;
    assert_eq!(start.elapsed(), Duration::from_millis(40));
    assert!(!task.is_finished());
    advance(Duration::from_millis(60)).await;
    let woke = task.await.unwrap();
    assert_eq!(woke - start, Duration::from_millis(100));
}

#[ctxrt::test]
async fn pause_and_resume_on_a_current_thread_runtime() {
    pause();
    let start = Instant::now();
    advance(Duration::from_secs(3)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    resume();
    sleep(Duration::from_millis(1)).await;
    assert!(start.elapsed() >= Duration::from_secs(3));
}

#[test]
#[should_panic(expected = "current_thread")]
fn pause_on_a_multi_thread_runtime_panics() {
    let rt = ctxrt_tests::multi_thread();
    rt.block_on(async { pause() });
}

#[test]
#[should_panic(expected = "not paused")]
fn advance_without_pause_panics() {
    let rt = ctxrt_tests::current_thread();
    rt.block_on(async { advance(Duration::from_secs(1)).await });
}
