#[ctxrt::main(flavor = "bar")]
async fn main() {}
