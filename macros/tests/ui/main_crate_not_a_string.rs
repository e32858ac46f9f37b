#[ctxrt::main(crate = ctxrt)]
async fn main() {}
