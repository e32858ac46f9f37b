//! `Sleep::reset` moves a pending sleep earlier or later, waking the waiting task at the
//! new deadline even though nothing polls it in between.

use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::time::{sleep, Instant, Sleep};
use ctxrt_tests::within;

fn reset_earlier_wakes_the_waiter(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "reset earlier", async {
        let start = Instant::now();
        let (tx, rx) = futures_channel::oneshot::channel::<()>();
        let waiter = ctxrt::spawn(async move {
            let mut delay = Box::pin(sleep(Duration::from_secs(3600)));
            let mut rx = rx;
            // Wait on the sleep and the "reset now" signal together.
            std::future::poll_fn(|cx| {
                if std::pin::Pin::new(&mut rx).poll(cx).is_ready() {
                    std::task::Poll::Ready(())
                } else {
                    delay
                        .as_mut()
                        .poll(cx)
                        .map(|_| panic!("fired before the reset"))
                }
            })
            .await;
            delay
                .as_mut()
                .reset(Instant::now() + Duration::from_millis(5));
            delay.await;
        });
        sleep(Duration::from_millis(5)).await;
        tx.send(()).unwrap();
        waiter.await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(60));
    }));
}

fn reset_later_does_not_fire_at_the_old_deadline(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "reset later", async {
        let mut delay: std::pin::Pin<Box<Sleep>> = Box::pin(sleep(Duration::from_millis(5)));
        // Armed with the early deadline first.
        let pending =
            std::future::poll_fn(|cx| std::task::Poll::Ready(delay.as_mut().poll(cx).is_pending()))
                .await;
        assert!(pending);
        let later = Instant::now() + Duration::from_millis(40);
        delay.as_mut().reset(later);
        delay.as_mut().await;
        assert!(Instant::now() >= later, "fired at the old deadline");
        // Reset after firing re-arms it.
        let again = Instant::now() + Duration::from_millis(5);
        delay.as_mut().reset(again);
        assert!(!delay.is_elapsed());
        delay.as_mut().await;
        assert!(Instant::now() >= again);
    }));
}

use std::future::Future;

ctxrt_tests::on_both_flavors!(
    reset_earlier_wakes_the_waiter,
    reset_later_does_not_fire_at_the_old_deadline
);
