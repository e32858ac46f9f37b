//! Connecting to a port nobody listens on fails with `ConnectionRefused`, promptly.

use std::time::Duration;

use ctxrt::net::TcpStream;
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;

fn connect_to_a_closed_port_is_refused(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "refused connect", async {
        // A port that was just free: bind, note it, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err:?}");
    }));
}

ctxrt_tests::on_both_flavors!(connect_to_a_closed_port_is_refused);
