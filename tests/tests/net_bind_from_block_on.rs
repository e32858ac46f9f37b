//! As with tokio's `async fn`s, the futures of `TcpListener::bind`, `TcpStream::connect`
//! and `UdpSocket::bind` may be made outside the runtime and handed to `block_on`
//! (`rt.block_on(TcpListener::bind(addr))`): the driver is looked up when they are first
//! polled, not when they are made. Polled outside any runtime, they still panic with the
//! `enable_io` message.

use ctxrt::net::{TcpListener, TcpStream, UdpSocket};
use ctxrt::runtime::Runtime;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(futures_made_outside_the_runtime_run_in_block_on);

fn futures_made_outside_the_runtime_run_in_block_on(rt: Runtime) {
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = rt.spawn(async move { listener.accept().await.map(|(_, peer)| peer) });
    let stream = rt.block_on(TcpStream::connect(addr)).unwrap();
    assert_eq!(
        rt.block_on(accept).unwrap().unwrap(),
        stream.local_addr().unwrap()
    );
    let udp = rt.block_on(UdpSocket::bind("127.0.0.1:0")).unwrap();
    assert_ne!(udp.local_addr().unwrap().port(), 0);
}

#[test]
#[should_panic(expected = "enable_io")]
fn polled_outside_any_runtime_panics() {
    let _ = futures::executor::block_on(TcpListener::bind("127.0.0.1:0"));
}
