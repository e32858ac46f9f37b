//! A thread's spare value cell (kept by a reset for the next binding of its var, for
//! types without drop glue) is freed when the thread exits, with the rest of its context:
//! counted by a global allocator, a thread that bound and unbound a `u64` var leaves no
//! live allocation behind once joined. (One test per binary: the allocator counts every
//! thread's allocations.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use ctxrt_context::ContextVar;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: `Counting` forwards every call to the system allocator unchanged (it only counts
// live blocks), so it keeps `GlobalAlloc`'s contract exactly as `System` does.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's `alloc` contract (a non-zero-size `layout`) passes through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: `ptr` came from `alloc` above with this `layout`, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

static PLAIN: ContextVar<u64> = ContextVar::new("exit.plain");

fn bind_and_unbind_on_a_thread() {
    std::thread::spawn(|| {
        for i in 0..3 {
            // Binding an unbound var allocates its cell; the reset unbinds it and keeps
            // the cell as the thread's spare.
            let token = PLAIN.set(i);
            assert_eq!(PLAIN.get(), Some(i));
            PLAIN.reset(token).unwrap();
        }
        assert_eq!(PLAIN.get(), None);
    })
    .join()
    .unwrap();
}

#[test]
fn a_threads_spare_cell_is_freed_when_it_exits() {
    // Warm up whatever std allocates once per process (thread bookkeeping, the var's id).
    bind_and_unbind_on_a_thread();
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..5 {
        bind_and_unbind_on_a_thread();
    }
    let after = LIVE.load(Ordering::SeqCst);
    assert_eq!(
        after,
        before,
        "live allocations grew by {} over 5 threads",
        after - before
    );
}
