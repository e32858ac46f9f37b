//! Dropping a runtime with sockets and timers still registered releases every file
//! descriptor (the poll, its waker, every socket: counted in /proc/self/fd) and drops
//! every pending task's future and context. One test in this file: fd counts are
//! process-wide, so nothing else may run beside it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::ContextVar;

static PROBE: ContextVar<Probe> = ContextVar::new("probe");

/// Counts its drops (a context value).
#[derive(Clone)]
struct Probe(Arc<AtomicUsize>);

impl Drop for Probe {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn run(current_thread: bool) {
    let before = open_fds();
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = if current_thread {
        ctxrt_tests::current_thread()
    } else {
        ctxrt_tests::multi_thread()
    };
    let probe = Probe(drops.clone());
    rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut clients = Vec::new();
        for _ in 0..4 {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let (accepted, _) = listener.accept().await.unwrap();
        // Tasks that will never finish: waiting on a socket, on a timer, on accept.
        PROBE.set(probe);
        let mut reader = accepted;
        let _pending = ctxrt::spawn(async move {
            let mut buf = [0u8; 8];
            let _ = futures_util::io::AsyncReadExt::read(&mut reader, &mut buf).await;
        });
        let _pending = ctxrt::spawn(async move {
            ctxrt::time::sleep(Duration::from_secs(3600)).await;
        });
        let _pending = ctxrt::spawn(async move {
            let _keep = clients;
            let _ = listener.accept().await;
            let _ = listener.accept().await;
        });
        ctxrt::time::sleep(Duration::from_millis(20)).await;
    });
    assert!(
        open_fds() > before,
        "the runtime should hold descriptors while alive"
    );
    drop(rt);
    assert_eq!(
        open_fds(),
        before,
        "descriptors leaked by shutdown (flavor current_thread={current_thread})"
    );
    // The block_on context's copy, plus the three tasks' inherited ones, all dropped:
    // every clone of the probe is gone.
    assert_eq!(
        Arc::strong_count(&drops),
        1,
        "a task's context outlived the runtime"
    );
}

#[test]
fn shutdown_releases_every_fd_and_context() {
    run(true);
    run(false);
}
