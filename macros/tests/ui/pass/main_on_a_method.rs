//! `#[ctxrt::main]` on methods: a `self` receiver is not an argument (issue 12, behaviour 7).

struct Server {
    port: u16,
}

impl Server {
    #[ctxrt::main(flavor = "current_thread")]
    async fn serve(&self) -> u16 {
        let port = self.port;
        ctxrt::spawn(async move { port + 1 }).await.unwrap()
    }

    #[ctxrt::main]
    async fn into_port(self) -> u16 {
        ctxrt::spawn(async move { self.port }).await.unwrap()
    }

    #[ctxrt::main(flavor = "current_thread")]
    async fn bump(&mut self) {
        self.port += 1;
    }
}

fn main() {
    let mut server = Server { port: 8080 };
    assert_eq!(server.serve(), 8081);
    server.bump();
    assert_eq!(server.into_port(), 8081);
}
