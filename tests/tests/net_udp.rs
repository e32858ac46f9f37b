//! UDP: a round trip with send_to/recv_from, and a `connect`ed pair using send/recv,
//! with the receiver waiting before the datagram is sent.

use std::time::Duration;

use ctxrt::net::UdpSocket;
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;

fn round_trip(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "udp round trip", async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        let echo = ctxrt::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            server.send_to(&buf[..n], from).await.unwrap();
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        ctxrt::time::sleep(Duration::from_millis(5)).await; // the server is waiting
        client.send_to(b"datagram", server_addr).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = client.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"datagram");
        assert_eq!(from, server_addr);
        echo.await.unwrap();
    }));
}

fn connected_pair(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "connected udp", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        let receiver = ctxrt::spawn(async move {
            let mut buf = [0u8; 16];
            let n = b.recv(&mut buf).await.unwrap();
            b.send(&buf[..n]).await.unwrap();
            buf[..n].to_vec()
        });
        ctxrt::time::sleep(Duration::from_millis(5)).await;
        a.send(b"hello").await.unwrap();
        let mut buf = [0u8; 16];
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(receiver.await.unwrap(), b"hello");
    }));
}

ctxrt_tests::on_both_flavors!(round_trip, connected_pair);
