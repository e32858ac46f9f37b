//! The task core (`runtime/src/task/raw/`) sits below the scheduler: none of its files
//! names the scheduler, the runtime, the blocking pool or the task API above it (issue 9's
//! import circle). It reaches a scheduler only through its `Schedule` trait, so an arrow
//! back up would be a regression this test catches at once.

use std::fs;
use std::path::PathBuf;

/// Paths the core must not name (with `use` or inline).
const ABOVE: &[&str] = &[
    "crate::scheduler",
    "crate::runtime",
    "crate::blocking",
    "crate::driver",
    "crate::task::local",
    "crate::task::builder",
    "crate::task::join_set",
    "crate::task::block_in_place",
    "super::super",
];

#[test]
fn the_task_core_names_nothing_above_it() {
    let core = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/src/task/raw");
    let mut files = 0;
    let mut offences = Vec::new();
    for entry in fs::read_dir(&core).expect("runtime/src/task/raw exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        files += 1;
        let text = fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            // Docs and comments may describe the layers; only code counts.
            if code.starts_with("//") {
                continue;
            }
            for above in ABOVE {
                if code.contains(above) {
                    offences.push(format!(
                        "{}:{}: {}",
                        path.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(files >= 10, "expected the task core's files, found {files}");
    assert!(
        offences.is_empty(),
        "the task core reaches above the scheduler (use the Schedule trait instead):\n{}",
        offences.join("\n")
    );
}
