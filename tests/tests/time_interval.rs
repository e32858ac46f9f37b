//! `interval` under each `MissedTickBehavior`, on a paused clock: a consumer that is late
//! by 3.5 periods sees Burst catch up, Delay restart from the late tick, Skip jump to the
//! next tick on the original schedule.

use std::time::Duration;

use ctxrt::time::{advance, interval, Instant, MissedTickBehavior};

const PERIOD: Duration = Duration::from_millis(10);

async fn ticks_after_a_stall(behavior: MissedTickBehavior) -> Vec<Duration> {
    let start = Instant::now();
    let mut ticks = interval(PERIOD);
    ticks.set_missed_tick_behavior(behavior);
    let mut seen = vec![ticks.tick().await - start]; // at once
    seen.push(ticks.tick().await - start); // 10 ms
    advance(Duration::from_millis(35)).await; // now 45 ms: late
    for _ in 0..4 {
        seen.push(ticks.tick().await - start);
    }
    seen
}

fn ms(list: &[u64]) -> Vec<Duration> {
    list.iter().map(|&m| Duration::from_millis(m)).collect()
}

#[ctxrt::test(start_paused = true)]
async fn burst_fires_missed_ticks_at_once() {
    let seen = ticks_after_a_stall(MissedTickBehavior::Burst).await;
    assert_eq!(seen, ms(&[0, 10, 20, 30, 40, 50]));
}

#[ctxrt::test(start_paused = true)]
async fn delay_restarts_the_schedule_from_the_late_tick() {
    let seen = ticks_after_a_stall(MissedTickBehavior::Delay).await;
    assert_eq!(seen, ms(&[0, 10, 20, 55, 65, 75]));
}

#[ctxrt::test(start_paused = true)]
async fn skip_jumps_to_the_next_tick_on_the_schedule() {
    let seen = ticks_after_a_stall(MissedTickBehavior::Skip).await;
    assert_eq!(seen, ms(&[0, 10, 20, 50, 60, 70]));
}

#[test]
#[should_panic(expected = "greater than zero")]
fn a_zero_period_panics() {
    let rt = ctxrt_tests::current_thread();
    rt.block_on(async { interval(Duration::ZERO) });
}
