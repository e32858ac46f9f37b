//! Half-close: after the client shuts down its write side the server reads end-of-stream
//! (0 bytes) and can still write its reply, which the client reads.

use std::net::Shutdown;
use std::time::Duration;

use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};

fn server_replies_after_client_half_close(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(20), "half-close", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ctxrt::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            stream.read_to_end(&mut request).await.unwrap(); // ends at the half-close
            stream
                .write_all(&request.len().to_be_bytes())
                .await
                .unwrap();
            request
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"all of the request").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, 18usize.to_be_bytes());
        assert_eq!(server.await.unwrap(), b"all of the request");
    }));
}

ctxrt_tests::on_both_flavors!(server_replies_after_client_half_close);
