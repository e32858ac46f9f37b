#[ctxrt::main]
struct Main;

fn main() {}
