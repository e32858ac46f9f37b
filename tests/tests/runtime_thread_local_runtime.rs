//! A `Runtime` kept in a `thread_local!` is shut down cleanly when its thread exits, with
//! tasks still alive in it: shutdown used to touch the runtime's own thread-locals after
//! they were destroyed, and the process aborted. The scenario runs in a child process (this
//! test binary re-run with an env var), so an abort fails this test instead of the whole
//! binary. On both flavours.

use std::cell::RefCell;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ctxrt::runtime::{Builder, Runtime};

const CHILD: &str = "CTXRT_TEST_THREAD_LOCAL_RUNTIME";

thread_local! {
    static RUNTIME: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

static FUTURES_DROPPED: AtomicUsize = AtomicUsize::new(0);

struct CountsDrop;

impl Drop for CountsDrop {
    fn drop(&mut self) {
        FUTURES_DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

/// In the child: a thread keeps a runtime (with pending tasks) in a thread-local and exits.
fn child(current_thread: bool) {
    let thread = std::thread::spawn(move || {
        // Touched first, so it is destroyed last, after the runtime's own thread-locals
        // (destructors run in reverse order of first use).
        RUNTIME.with(|_| ());
        let rt = if current_thread {
            Builder::new_current_thread().build().unwrap()
        } else {
            Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap()
        };
        for _ in 0..10 {
            let guard = CountsDrop;
            drop(rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
        }
        rt.block_on(async { ctxrt::task::yield_now().await });
        RUNTIME.with(|slot| *slot.borrow_mut() = Some(rt));
    });
    thread.join().expect("the thread exited cleanly");
    // Give a multi-thread runtime's workers a moment to finish exiting.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(FUTURES_DROPPED.load(Ordering::SeqCst), 10);
    println!("child done");
}

fn run_in_child(flavor: &str) {
    if let Ok(which) = std::env::var(CHILD) {
        if which == flavor {
            child(flavor == "current_thread");
        }
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe)
        .args([flavor, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, flavor)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("child done"),
        "the child process failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

#[test]
fn multi_thread() {
    run_in_child("multi_thread");
}

#[test]
fn current_thread() {
    run_in_child("current_thread");
}
