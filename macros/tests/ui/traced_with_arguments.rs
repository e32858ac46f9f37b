#[ctxrt::traced(level = "info")]
fn handle() {}

fn main() {}
