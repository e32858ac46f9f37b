//! `JoinSet::try_join_next` takes a finished task's output without waiting: `None` while
//! nothing has finished (or the set is empty), the output once a task has, and it works
//! from a plain thread (no runtime, no task). On both flavours.

use std::time::{Duration, Instant};

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::JoinSet;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(it_never_waits_and_takes_what_finished);

/// Drives `rt` (a current_thread one runs nothing otherwise) until `try_join_next` gives
/// an output; fails after 10 s.
fn try_join_within<T: 'static>(rt: &Runtime, set: &mut JoinSet<T>) -> T {
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(result) = set.try_join_next() {
                break result.unwrap();
            }
            assert!(Instant::now() < deadline, "never finished");
            ctxrt::task::yield_now().await;
        }
    })
}

fn it_never_waits_and_takes_what_finished(rt: Runtime) {
    let mut set = JoinSet::new();
    assert!(set.try_join_next().is_none(), "empty set");
    let (release, released) = oneshot::channel::<()>();
    set.spawn_on(
        async move {
            released.await.unwrap();
            "late"
        },
        rt.handle(),
    );
    set.spawn_on(async { "early" }, rt.handle());
    // Drive a current_thread runtime until "early" has run.
    let early = try_join_within(&rt, &mut set);
    assert_eq!(early, "early");
    assert_eq!(set.len(), 1);
    // "late" is still waiting: nothing to take, and no waiting either.
    assert!(set.try_join_next().is_none());
    release.send(()).unwrap();
    let late = try_join_within(&rt, &mut set);
    assert_eq!(late, "late");
    assert!(set.is_empty());
    assert!(set.try_join_next().is_none());
}
