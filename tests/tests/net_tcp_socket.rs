//! `TcpSocket`: options set before listen/connect take effect (reuseport lets two
//! listeners share a port; buffer sizes read back), a configured client connects and
//! carries data, and connecting to a closed port is an error, not a hang.

use std::time::Duration;

use ctxrt::net::TcpSocket;
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;
use futures::io::{AsyncReadExt, AsyncWriteExt};

fn configured_listener_and_client_carry_data(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "tcp socket", async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.set_reuseport(true).unwrap();
        socket.set_recv_buffer_size(128 * 1024).unwrap();
        assert!(socket.reuseaddr().unwrap());
        assert!(socket.reuseport().unwrap());
        assert!(socket.recv_buffer_size().unwrap() >= 128 * 1024);
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        let listener = socket.listen(64).unwrap();
        assert_eq!(listener.local_addr().unwrap(), addr);

        // SO_REUSEPORT on both: a second listener binds the same port.
        let second = TcpSocket::new_v4().unwrap();
        second.set_reuseport(true).unwrap();
        second.bind(addr).unwrap();
        let second = second.listen(64).unwrap();
        assert_eq!(second.local_addr().unwrap(), addr);
        drop(second);

        let server = ctxrt::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 6];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf).await.unwrap();
        });
        let client = TcpSocket::new_v4().unwrap();
        client.set_send_buffer_size(64 * 1024).unwrap();
        assert!(client.send_buffer_size().unwrap() >= 64 * 1024);
        client.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let bound = client.local_addr().unwrap();
        let mut stream = client.connect(addr).await.unwrap();
        assert_eq!(stream.local_addr().unwrap(), bound);
        assert_eq!(stream.peer_addr().unwrap(), addr);
        stream.write_all(b"socket").await.unwrap();
        let mut buf = [0u8; 6];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"socket");
        server.await.unwrap();
    }));
}

fn connect_to_a_closed_port_is_an_error(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(20),
        "tcp socket refused",
        async {
            // A port that was just free: bind, note it, close.
            let probe = TcpSocket::new_v4().unwrap();
            probe.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = probe.local_addr().unwrap();
            drop(probe);
            let err = TcpSocket::new_v4()
                .unwrap()
                .connect(addr)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        },
    ));
}

ctxrt_tests::on_both_flavors!(
    configured_listener_and_client_carry_data,
    connect_to_a_closed_port_is_an_error,
);
