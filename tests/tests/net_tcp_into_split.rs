//! `into_split` halves used from two tasks at once: one streams data out while the other
//! reads the replies; dropping the write half half-closes the connection.

use std::time::Duration;

use ctxrt::net::{TcpListener, TcpStream};
use ctxrt::runtime::Runtime;
use ctxrt_tests::within;

const BYTES: usize = 1 << 20;

fn halves_in_two_tasks(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(30), "split halves", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let echo = ctxrt::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (mut read, mut write) = stream.into_split();
            futures_util::io::copy(&mut read, &mut write).await.unwrap()
        });
        let (read, write) = TcpStream::connect(addr).await.unwrap().into_split();
        ctxrt_tests::pattern_through_echo(read, write, BYTES).await;
        assert_eq!(echo.await.unwrap(), BYTES as u64);
    }));
}

ctxrt_tests::on_both_flavors!(halves_in_two_tasks);
