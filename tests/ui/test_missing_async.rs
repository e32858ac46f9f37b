// Uses `ctxrt_macros` directly until `ctxrt` re-exports the attributes; then this becomes `#[ctxrt::...]`.
#[ctxrt_macros::test]
fn adds() {
    assert_eq!(1 + 1, 2);
}

fn main() {}
