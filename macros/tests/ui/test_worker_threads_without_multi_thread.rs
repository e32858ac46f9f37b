#[ctxrt::test(worker_threads = 2)]
async fn spreads() {}

fn main() {}
