//! A peer that resets the connection (closes with unread data / SO_LINGER 0) while we
//! keep writing gives an `io::Error`, never a hang or a panic.

use std::time::Duration;

use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;
use futures_util::io::AsyncWriteExt;

fn set_linger_zero(stream: std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket fd and a correctly sized `linger` option value.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            std::ptr::addr_of!(linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop(stream); // RST
}

fn writes_to_a_reset_peer_fail(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "peer reset", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        set_linger_zero(server.into_std().unwrap());
        let chunk = vec![7u8; 64 * 1024];
        let mut result = Ok(());
        for _ in 0..1000 {
            result = client.write_all(&chunk).await;
            if result.is_err() {
                break;
            }
        }
        let err = result.expect_err("writing 64 MiB to a reset peer kept succeeding");
        assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
            "unexpected error {err:?}"
        );
    }));
}

ctxrt_tests::on_both_flavors!(writes_to_a_reset_peer_fail);
