// Uses `ctxrt_macros` directly until `ctxrt` re-exports the attributes; then this becomes `#[ctxrt::...]`.
#[ctxrt_macros::test]
async fn takes_a_value(n: u32) {
    assert!(n > 0);
}

fn main() {}
