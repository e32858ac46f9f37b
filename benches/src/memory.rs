//! Resident-memory probes for [`Unit::Bytes`](crate::Unit::Bytes) workloads.
//!
//! RSS is read from `/proc/self/statm` (resident pages, second field) times the page size,
//! which comes from the kernel's auxiliary vector (`AT_PAGESZ` in `/proc/self/auxv`), so
//! 16 KiB / 64 KiB page kernels report correctly. Linux only; elsewhere the probes return
//! an error and memory workloads cannot run.
//!
//! RSS growth is only meaningful in a process whose allocator has not cached memory freed
//! by an earlier sample, so the runner gives every `Bytes` sample a fresh process (see
//! `runner.rs`). A memory workload's side therefore only has to: read [`rss_bytes`], build
//! and hold its `iters` items, read it again, report the difference as
//! [`Measurement::Bytes`](crate::Measurement::Bytes), then drop the items. [`RssProbe`]
//! does the reading.

use std::fs;
use std::io;

/// `AT_PAGESZ` in `<elf.h>`: the auxv key whose value is the page size.
const AT_PAGESZ: usize = 6;

/// The page size the kernel reports for this process, in bytes.
///
/// # Errors
///
/// If `/proc/self/auxv` cannot be read or lacks `AT_PAGESZ` (not Linux).
///
/// # Examples
///
/// ```
/// # if cfg!(target_os = "linux") {
/// let page = ctxrt_benches::memory::page_size().unwrap();
/// assert!(page.is_power_of_two());
/// # }
/// ```
pub fn page_size() -> io::Result<u64> {
    let auxv = fs::read("/proc/self/auxv")?;
    let word = size_of::<usize>();
    auxv.chunks_exact(2 * word)
        .map(|pair| {
            let (key, value) = pair.split_at(word);
            (read_word(key), read_word(value))
        })
        .find(|&(key, _)| key == AT_PAGESZ)
        .map(|(_, value)| value as u64)
        .ok_or_else(|| io::Error::other("/proc/self/auxv has no AT_PAGESZ entry"))
}

fn read_word(bytes: &[u8]) -> usize {
    let mut word = [0u8; size_of::<usize>()];
    word.copy_from_slice(bytes);
    usize::from_ne_bytes(word)
}

/// This process's resident set size in bytes, from `/proc/self/statm`.
///
/// # Errors
///
/// If `/proc/self/statm` or the page size cannot be read (not Linux).
///
/// # Examples
///
/// ```
/// # if cfg!(target_os = "linux") {
/// assert!(ctxrt_benches::memory::rss_bytes().unwrap() > 0);
/// # }
/// ```
pub fn rss_bytes() -> io::Result<u64> {
    let statm = fs::read_to_string("/proc/self/statm")?;
    let resident_pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .ok_or_else(|| io::Error::other(format!("unexpected /proc/self/statm: {statm:?}")))?;
    Ok(resident_pages * page_size()?)
}

/// RSS at a starting point, to measure growth from.
///
/// # Examples
///
/// ```
/// # if cfg!(target_os = "linux") {
/// use ctxrt_benches::memory::RssProbe;
/// let probe = RssProbe::start();
/// let held: Vec<u8> = vec![1; 8 << 20]; // touched, so resident
/// assert!(probe.growth() >= 4 << 20);
/// drop(held);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RssProbe {
    start: u64,
}

impl RssProbe {
    /// Reads RSS now.
    ///
    /// # Panics
    ///
    /// If RSS cannot be read (not Linux): memory workloads cannot run there.
    pub fn start() -> RssProbe {
        RssProbe {
            start: read_or_panic(),
        }
    }

    /// Bytes of RSS gained since [`RssProbe::start`] (negative if the process shrank).
    ///
    /// # Panics
    ///
    /// If RSS cannot be read (not Linux).
    pub fn growth(&self) -> i64 {
        read_or_panic() as i64 - self.start as i64
    }
}

fn read_or_panic() -> u64 {
    match rss_bytes() {
        Ok(bytes) => bytes,
        Err(err) => panic!(
            "cannot read RSS from /proc/self/statm ({err}); memory workloads need Linux's \
             procfs — run them on Linux or filter them out with --filter"
        ),
    }
}
