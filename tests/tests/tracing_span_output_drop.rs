//! With the `tracing` feature, a spanned task's future and output are dropped inside its
//! span, whoever on the runtime drops them: a detached task's output when it finishes, a
//! cancelled task's future when it is aborted, and an output the task is left holding
//! because its `JoinHandle` went while it was completing. An output the `JoinHandle`
//! itself drops is dropped where the handle is, in that thread's span. Never in no span.
//! On both flavours. (Which of the raced paths a round takes is up to the interleaving;
//! the task-side ones all go through the harness's one `run_in`.)

use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ctxrt::runtime::Runtime;
use ctxrt_tests::EventScopes;
use tracing::{info, info_span, Dispatch};

ctxrt_tests::on_both_flavors!(
    flag: a_detached_tasks_output_drops_inside_its_span,
    an_aborted_tasks_future_drops_inside_its_span,
    a_raced_output_drops_inside_the_tasks_span_or_the_droppers
);

/// Emits `message` when dropped, then reports the drop on `done`.
struct Loud {
    message: &'static str,
    done: mpsc::Sender<()>,
}

impl Drop for Loud {
    fn drop(&mut self) {
        info!("{}", self.message);
        let _ = self.done.send(());
    }
}

fn setup(current_thread: bool) -> (EventScopes, Dispatch, Runtime) {
    let capture = EventScopes::default();
    let dispatch = capture.dispatch();
    let rt = ctxrt_tests::runtime_logging_to(current_thread, dispatch.clone());
    (capture, dispatch, rt)
}

fn request() -> Vec<String> {
    vec!["request".to_string()]
}

fn a_detached_tasks_output_drops_inside_its_span(current_thread: bool) {
    let (capture, dispatch, rt) = setup(current_thread);
    let (done, dropped) = mpsc::channel();
    tracing::dispatcher::with_default(&dispatch, || {
        rt.block_on(async {
            info_span!("request").in_scope(|| {
                drop(ctxrt::spawn(async move {
                    Loud {
                        message: "output dropped",
                        done,
                    }
                }))
            });
            // A current_thread runtime runs the task once block_on yields.
            let deadline = Instant::now() + Duration::from_secs(10);
            while dropped.try_recv().is_err() {
                assert!(
                    Instant::now() < deadline,
                    "the detached task's output was not dropped within 10 s"
                );
                ctxrt::task::yield_now().await;
            }
        })
    });
    drop(rt);
    assert_eq!(capture.scopes_of("output dropped"), vec![request()]);
}

fn an_aborted_tasks_future_drops_inside_its_span(current_thread: bool) {
    let (capture, dispatch, rt) = setup(current_thread);
    let (done, dropped) = mpsc::channel();
    tracing::dispatcher::with_default(&dispatch, || {
        rt.block_on(async {
            let (started_tx, started) = ctxrt::sync::oneshot::channel();
            let task = info_span!("request").in_scope(|| {
                ctxrt::spawn(async move {
                    let _held = Loud {
                        message: "future dropped",
                        done,
                    };
                    let _ = started_tx.send(());
                    std::future::pending::<()>().await;
                })
            });
            started.await.unwrap();
            task.abort();
            assert!(task.await.unwrap_err().is_cancelled());
        })
    });
    dropped
        .recv_timeout(Duration::from_secs(10))
        .expect("the aborted task's future should be dropped within 10 s");
    drop(rt);
    assert_eq!(capture.scopes_of("future dropped"), vec![request()]);
}

const ROUNDS: usize = 200;

fn a_raced_output_drops_inside_the_tasks_span_or_the_droppers(current_thread: bool) {
    let (capture, dispatch, rt) = setup(current_thread);
    let (done, dropped) = mpsc::channel();
    tracing::dispatcher::with_default(&dispatch, || {
        rt.block_on(async {
            for round in 0..ROUNDS {
                // The task finishes and a thread drops its JoinHandle at about the same
                // time, so the output is dropped by the task (before or while it
                // completes) or by the handle (after).
                let start = Arc::new(Barrier::new(2));
                let handle = info_span!("request").in_scope(|| {
                    let start = start.clone();
                    let done = done.clone();
                    ctxrt::spawn(async move {
                        start.wait();
                        Loud {
                            message: "output dropped",
                            done,
                        }
                    })
                });
                let (handle_dropped, dropper_done) = ctxrt::sync::oneshot::channel();
                let dispatch = dispatch.clone();
                thread::spawn(move || {
                    tracing::dispatcher::with_default(&dispatch, || {
                        let _dropper = info_span!("dropper").entered();
                        start.wait();
                        for _ in 0..round % 64 {
                            std::hint::spin_loop();
                        }
                        drop(handle);
                    });
                    let _ = handle_dropped.send(());
                });
                dropper_done.await.unwrap();
            }
        })
    });
    for _ in 0..ROUNDS {
        dropped
            .recv_timeout(Duration::from_secs(10))
            .expect("every output should be dropped within 10 s");
    }
    drop(rt);
    let scopes = capture.scopes_of("output dropped");
    assert_eq!(scopes.len(), ROUNDS);
    for scope in scopes {
        assert!(
            scope == request() || scope == vec!["dropper".to_string()],
            "an output was dropped in the scope {scope:?}, neither the task's span nor the \
             dropping thread's"
        );
    }
}
