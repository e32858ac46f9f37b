#[ctxrt::traced]
struct Handler;

fn main() {}
