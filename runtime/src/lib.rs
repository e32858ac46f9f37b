//! ctxrt: a work-stealing async runtime in which every task owns a context snapshot.
#![deny(unsafe_op_in_unsafe_fn)]

pub use ctxrt_context as context;
pub use ctxrt_context::{Context, ContextVar};
