//! An accept loop keeps serving after clients that connect and disconnect at once.

use std::time::Duration;

use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};

fn accept_loop_survives_early_disconnects(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(30), "accept loop", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ctxrt::spawn(async move {
            let mut served = 0;
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut byte = [0u8; 1];
                // A client gone before saying anything reads 0 or an error: keep accepting.
                if let Ok(1) = stream.read(&mut byte).await {
                    stream.write_all(&byte).await.unwrap();
                    served += 1;
                    if byte[0] == b'q' {
                        return served;
                    }
                }
            }
        });
        for _ in 0..20 {
            drop(TcpStream::connect(addr).await.unwrap());
        }
        for byte in [b'a', b'q'] {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(&[byte]).await.unwrap();
            let mut echo = [0u8; 1];
            stream.read_exact(&mut echo).await.unwrap();
            assert_eq!(echo[0], byte);
        }
        assert_eq!(server.await.unwrap(), 2);
    }));
}

ctxrt_tests::on_both_flavors!(accept_loop_survives_early_disconnects);
