//! A JoinHandle dropped while its task is completing leaves the output to the task, which
//! drops it inside the task's context (issue 8, defect 9). It used to be dropped in a
//! fresh, empty context: the task's context had already been released when the
//! completion found that the JoinHandle was gone.
//!
//! Each round races a handle drop on another thread against the task's completion, with a
//! context value whose drop is slow so the completion takes a while. Whoever drops the
//! output, its `Drop` must see a context that belongs to the dropper: the task's (the task
//! dropped it, before or during its completion) or the dropping thread's (the handle
//! dropped an output that was already complete). Never an empty one. On both flavours.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use ctxrt::runtime::Runtime;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::on_both_flavors;

on_both_flavors!(an_output_orphaned_during_completion_drops_in_the_tasks_context);

static WHO: ContextVar<&'static str> = ContextVar::new("who");
static SLOW: ContextVar<SlowDrop> = ContextVar::new("slow");

const ROUNDS: usize = 300;

/// Reports what `WHO` is in the context it is dropped in.
struct Reporter(mpsc::Sender<Option<&'static str>>);

impl Drop for Reporter {
    fn drop(&mut self) {
        let _ = self.0.send(WHO.get());
    }
}

/// Spins a little when dropped, so releasing the task's context takes a while.
struct SlowDrop;

impl Drop for SlowDrop {
    fn drop(&mut self) {
        let until = Instant::now() + Duration::from_micros(50);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }
}

fn an_output_orphaned_during_completion_drops_in_the_tasks_context(rt: Runtime) {
    let mut by_task = 0;
    let mut by_dropper = 0;
    for round in 0..ROUNDS {
        let (report, reported) = mpsc::channel();
        let finishing = Arc::new(AtomicBool::new(false));
        let dropper_started = Arc::new(AtomicBool::new(false));
        let dropper = rt.block_on(async {
            let flag = finishing.clone();
            let started = dropper_started.clone();
            let handle = ctxrt::spawn(async move {
                let _ = WHO.set("the task");
                let _ = SLOW.set(SlowDrop);
                let deadline = Instant::now() + Duration::from_secs(10);
                while !started.load(Ordering::SeqCst) {
                    assert!(Instant::now() < deadline, "the dropper never started");
                    ctxrt::task::yield_now().await;
                }
                flag.store(true, Ordering::SeqCst);
                Reporter(report)
            });
            let flag = finishing.clone();
            // Drop the handle on another thread as the task finishes, a little later each
            // round, so the drop lands before, during and after the completion.
            let started = dropper_started.clone();
            let dropper = std::thread::spawn(move || {
                started.store(true, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(10);
                while !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                let until = Instant::now() + Duration::from_nanos((round % 100) as u64 * 1_000);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
                let mut context = Context::new().with_value(&WHO, "the dropper");
                context.run(|| drop(handle));
            });
            // Keep a current_thread runtime driving until the task has finished.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !finishing.load(Ordering::SeqCst) {
                assert!(Instant::now() < deadline, "the task never finished");
                ctxrt::task::yield_now().await;
            }
            for _ in 0..10 {
                ctxrt::task::yield_now().await;
            }
            dropper
        });
        dropper.join().expect("dropper thread");
        let seen = reported
            .recv_timeout(Duration::from_secs(10))
            .expect("the output was dropped");
        match seen {
            Some("the task") => by_task += 1,
            Some("the dropper") => by_dropper += 1,
            other => panic!(
                "round {round}: the output was dropped in a context that is neither the \
                 task's nor the dropper's (WHO = {other:?})"
            ),
        }
    }
    assert_eq!(by_task + by_dropper, ROUNDS);
}
