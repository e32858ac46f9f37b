struct App;

impl App {
    #[ctxrt::main]
    async fn run(&self, port: u16) {
        drop(port);
    }
}

fn main() {
    let _ = App;
}
