//! A timer on a runtime built without `enable_time`, or outside any runtime, panics with
//! a message naming the call that enables timers — it never hangs.

use std::time::Duration;

use ctxrt::runtime::Builder;

#[test]
#[should_panic(expected = "enable_time")]
fn sleep_on_a_runtime_without_time_panics() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async { ctxrt::time::sleep(Duration::from_millis(1)).await });
}

#[test]
#[should_panic(expected = "enable_time")]
fn timeout_on_a_multi_thread_runtime_without_time_panics() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async { ctxrt::time::timeout(Duration::from_millis(1), async {}).await })
        .unwrap();
}

#[test]
#[should_panic(expected = "inside a ctxrt runtime")]
fn sleep_outside_a_runtime_panics() {
    drop(ctxrt::time::sleep(Duration::from_millis(1)));
}

#[test]
#[should_panic(expected = "enable_io")]
fn time_only_runtime_has_no_io() {
    let rt = Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(async {
        let _ = ctxrt::net::TcpListener::bind("127.0.0.1:0").await;
    });
}
