//! A task whose poll panics has its future dropped during the unwind, as tokio does: the
//! future's `Drop`s (roll-back-on-panic guards) see `std::thread::panicking() == true`,
//! and still run inside the task's context. The JoinHandle gets the panic. On both
//! flavours. (It used to be dropped after the panic was caught, when nothing was
//! panicking any more.)

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(a_panicking_polls_future_is_dropped_during_the_unwind);

static OWNER: ContextVar<&'static str> = ContextVar::new("owner");

/// Reports, when dropped, whether the thread was panicking and what `OWNER` was.
struct RollbackGuard(mpsc::Sender<(bool, Option<&'static str>)>);

impl Drop for RollbackGuard {
    fn drop(&mut self) {
        let _ = self.0.send((std::thread::panicking(), OWNER.get()));
    }
}

/// Panics on its first poll.
struct PanicsWhenPolled {
    _guard: RollbackGuard,
}

impl Future for PanicsWhenPolled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<()> {
        panic!("the poll panics");
    }
}

fn a_panicking_polls_future_is_dropped_during_the_unwind(rt: Runtime) {
    let (report, reported) = mpsc::channel();
    let err = rt
        .block_on(async move {
            let _ = OWNER.set("the task");
            // A hand-written future: its fields drop only when the future is dropped (an
            // `async` block's locals would drop in its own unwind anyway).
            ctxrt::spawn(PanicsWhenPolled {
                _guard: RollbackGuard(report),
            })
            .await
        })
        .expect_err("the task panicked");
    assert!(err.is_panic());
    let (panicking, owner) = reported
        .recv_timeout(Duration::from_secs(10))
        .expect("the guard was dropped");
    assert!(
        panicking,
        "the future was dropped after the unwind, not during it"
    );
    assert_eq!(
        owner,
        Some("the task"),
        "dropped outside the task's context"
    );
}
