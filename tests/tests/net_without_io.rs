//! A socket on a runtime built without `enable_io`, or outside any runtime, panics with
//! a message naming `enable_io` — it never hangs.

use ctxrt::runtime::Builder;

#[test]
#[should_panic(expected = "enable_io")]
fn bind_on_a_runtime_without_io_panics() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let _ = ctxrt::net::TcpListener::bind("127.0.0.1:0").await;
    });
}

#[test]
#[should_panic(expected = "enable_io")]
fn connect_on_a_multi_thread_runtime_without_io_panics() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let _ = ctxrt::net::TcpStream::connect("127.0.0.1:9").await;
    });
}

#[test]
#[should_panic(expected = "enable_io")]
fn from_std_outside_a_runtime_panics() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let _ = ctxrt::net::TcpListener::from_std(listener);
}

#[cfg(unix)]
#[test]
#[should_panic(expected = "enable_io")]
fn unix_from_std_on_a_runtime_without_io_panics() {
    let rt = Builder::new_current_thread().build().unwrap();
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let _guard = rt.enter();
    let _ = ctxrt::net::UnixStream::from_std(a);
}
