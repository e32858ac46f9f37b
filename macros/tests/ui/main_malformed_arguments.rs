#[ctxrt::main(4)]
async fn main() {}
