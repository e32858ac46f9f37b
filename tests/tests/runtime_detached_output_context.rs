//! A detached task's output is dropped inside the task's context, as its future is. It
//! used to be dropped after the context was released: its `Drop` saw the worker's context
//! (on `current_thread`, the `block_on` caller's), and a `set` there stuck to the worker
//! thread or changed the caller's context. On both flavours.

use std::sync::mpsc;
use std::time::Duration;

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(a_detached_tasks_output_drops_inside_the_tasks_context);

static WHO: ContextVar<&'static str> = ContextVar::new("who");

/// On drop, reports what `WHO` is, then sets it.
struct Reporter(mpsc::Sender<Option<&'static str>>);

impl Drop for Reporter {
    fn drop(&mut self) {
        let _ = self.0.send(WHO.get());
        let _ = WHO.set("set by the output's drop");
    }
}

fn a_detached_tasks_output_drops_inside_the_tasks_context(rt: Runtime) {
    let (report, reported) = mpsc::channel();
    rt.block_on(async {
        let _ = WHO.set("the block_on caller");
        let (release, released) = oneshot::channel::<()>();
        let task = ctxrt::spawn(async move {
            let _ = WHO.set("the task");
            released.await.unwrap();
            Reporter(report)
        });
        // Detach it, then let it finish: nobody will read the output.
        drop(task);
        release.send(()).unwrap();
        // Let a current_thread runtime run the task, polling this future in between.
        for _ in 0..100 {
            ctxrt::task::yield_now().await;
        }
        let seen = reported
            .recv_timeout(Duration::from_secs(10))
            .expect("the output was dropped");
        assert_eq!(
            seen,
            Some("the task"),
            "the output's drop saw another context"
        );
        assert_eq!(
            WHO.get(),
            Some("the block_on caller"),
            "the drop's set leaked out"
        );
        // Later tasks (which inherit from here) and the workers are unaffected too.
        let later = ctxrt::spawn(async { WHO.get() }).await.unwrap();
        assert_eq!(later, Some("the block_on caller"));
    });
    rt.block_on(async {
        assert_eq!(WHO.get(), None, "the drop's set stuck to this thread");
    });
    let seen_outside = rt.block_on(rt.spawn_blocking(|| WHO.get())).unwrap();
    assert_eq!(seen_outside, None);
}
