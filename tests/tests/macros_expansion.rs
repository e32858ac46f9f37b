//! What `#[ctxrt::test]` expands to, observed from inside the tests it generates: a plain
//! `#[test]` that builds a fresh runtime and `block_on`s the body on the test's own thread.
//! By default the runtime is `current_thread` (spawned tasks run on the test thread, no
//! `ctxrt-worker` thread is involved); with `flavor = "multi_thread", worker_threads = 2`
//! tasks run on exactly the two `ctxrt-worker-N` threads. The return type is kept (a test
//! may return `Result<(), E>` and use `?`), and so are other attributes
//! (`#[should_panic]`) and the visibility. Every test starts in an empty context.

use std::collections::BTreeSet;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ctxrt::runtime::Handle;
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};

static LABEL: ContextVar<&'static str> = ContextVar::new("label");

fn thread_name() -> String {
    thread::current().name().unwrap_or("unnamed").to_string()
}

#[ctxrt::test]
async fn default_flavor_runs_everything_on_the_test_thread() {
    let me = thread::current().id();
    let name = thread_name();
    // libtest runs each test on a thread named after it.
    assert!(
        name.ends_with("default_flavor_runs_everything_on_the_test_thread") || name == "main",
        "the body runs on the test's own thread, not {name}"
    );
    assert!(
        Handle::try_current().is_ok(),
        "a runtime is current in the body"
    );
    let mut tasks = Vec::new();
    for _ in 0..20 {
        tasks.push(ctxrt::spawn(async {
            yield_now().await;
            (thread::current().id(), thread_name())
        }));
    }
    for task in tasks {
        let (id, task_thread) = task.await.expect("task completes");
        assert_eq!(
            id, me,
            "a current_thread runtime runs its tasks on the test thread"
        );
        assert!(!task_thread.starts_with("ctxrt-worker"), "{task_thread}");
    }
    // Blocking jobs still get a pool thread.
    let job_thread = ctxrt::spawn_blocking(thread_name).await.expect("job");
    assert!(job_thread.starts_with("ctxrt-blocking-"), "{job_thread}");
}

#[ctxrt::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_flavor_runs_tasks_on_exactly_two_workers() {
    let body_thread = thread_name();
    assert!(
        !body_thread.starts_with("ctxrt-"),
        "block_on runs the body on the test thread, not {body_thread}"
    );
    // Two tasks that each block their thread until both have arrived can only finish if
    // two workers run them at once.
    let arrived = Arc::new(AtomicUsize::new(0));
    let rendezvous = |arrived: Arc<AtomicUsize>| async move {
        arrived.fetch_add(1, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(10);
        while arrived.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        (arrived.load(Ordering::SeqCst), thread_name())
    };
    let a = ctxrt::spawn(rendezvous(arrived.clone()));
    let b = ctxrt::spawn(rendezvous(arrived.clone()));
    let (a_seen, a_thread) = a.await.expect("task a");
    let (b_seen, b_thread) = b.await.expect("task b");
    assert_eq!(
        (a_seen, b_seen),
        (2, 2),
        "the two tasks ran at the same time"
    );
    let pair: BTreeSet<String> = [a_thread, b_thread].into_iter().collect();
    let workers: BTreeSet<String> = ["ctxrt-worker-0", "ctxrt-worker-1"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(pair, workers);
    // Many more tasks never see a third worker.
    let mut tasks = Vec::new();
    for _ in 0..100 {
        tasks.push(ctxrt::spawn(async {
            yield_now().await;
            thread_name()
        }));
    }
    for task in tasks {
        let name = task.await.expect("task");
        assert!(workers.contains(&name), "ran on {name}");
    }
}

#[ctxrt::test]
async fn a_test_may_return_a_result() -> Result<(), io::Error> {
    // `JoinError` converts into `io::Error`, so `?` works on a JoinHandle's result.
    let half = ctxrt::spawn(async { 21 }).await?;
    let parsed: u32 = "2".parse().map_err(io::Error::other)?;
    assert_eq!(half * parsed, 42);
    Ok(())
}

#[ctxrt::test(flavor = "multi_thread")]
async fn a_multi_thread_test_may_return_a_result() -> Result<(), Box<dyn std::error::Error>> {
    let output = ctxrt::spawn_blocking(|| "from the pool").await?;
    assert_eq!(output, "from the pool");
    Ok(())
}

#[ctxrt::test]
#[should_panic(expected = "the body's panic reaches the test harness")]
async fn other_attributes_are_kept_and_a_panic_fails_the_test() {
    yield_now().await;
    panic!("the body's panic reaches the test harness");
}

#[ctxrt::test]
async fn every_test_starts_in_an_empty_context() {
    assert!(Context::current().is_empty());
    let _ = LABEL.set("set in the body");
    let seen = ctxrt::spawn(async { LABEL.get() }).await.expect("task");
    assert_eq!(seen, Some("set in the body"));
}

mod nested {
    use super::{Context, LABEL};

    #[ctxrt::test]
    pub(crate) async fn visibility_and_module_paths_are_kept() {
        assert!(Context::current().is_empty());
        assert_eq!(LABEL.get(), None, "nothing leaks in from other tests");
    }
}
