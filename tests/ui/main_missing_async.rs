#[ctxrt::main]
fn main() {}
