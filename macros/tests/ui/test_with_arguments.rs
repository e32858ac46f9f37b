#[ctxrt::test]
async fn takes_a_value(n: u32) {
    assert!(n > 0);
}

fn main() {}
