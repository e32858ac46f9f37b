#[ctxrt::test]
#[test]
async fn twice() {}

fn main() {}
