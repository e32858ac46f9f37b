//! `compare`: runs every registered workload, ctxrt against its baseline, and prints the
//! table (see `ctxrt_benches::report`), optionally saving it as Markdown and JSON.
//!
//! ```text
//! cargo run --release -p ctxrt-benches --bin compare [-- OPTIONS]
//!   --quick          one tiny pair per workload (CI: proves it runs, in seconds)
//!   --out DIR        also write DIR/compare.md and DIR/compare.json
//!   --pairs N        subject/baseline pairs per workload (default 21)
//!   --batch-ms MS    calibrated batch length, slower side (default 50)
//!   --iters N        fixed iterations per timed sample, no calibration (for profiling)
//!   --filter TEXT    only workloads whose name contains TEXT (repeatable: any of them)
//!   --list           print the workloads and what they measure, then exit
//!   --only SIDE      run only `subject` or `baseline` of each workload, once, with
//!                    --iters items (no pairs, no ratio): for profilers that cannot tell
//!                    the two sides apart (perf stat, callgrind)
//! ```
//!
//! The binary also answers `runner::CHILD_FLAG`: memory samples re-run it to measure RSS
//! in a fresh process.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ctxrt_benches::report::{format_value, Report};
use ctxrt_benches::{registry, runner, Batch, RunConfig, Workload};

/// What the command line asked for.
struct Options {
    config: RunConfig,
    out: Option<PathBuf>,
    filters: Vec<String>,
    list: bool,
    only: Option<String>,
}

const USAGE: &str = "usage: compare [--quick] [--out DIR] [--pairs N] [--batch-ms MS] \
                     [--iters N] [--filter TEXT]... [--list] [--only subject|baseline --iters N]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut quick = false;
    let mut pairs = None;
    let mut batch_ms = None;
    let mut iters = None;
    let mut options = Options {
        config: RunConfig::full(),
        out: None,
        filters: Vec::new(),
        list: false,
        only: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        let number = |name: &str, text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{name} takes a whole number, not `{text}`"))
        };
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => options.out = Some(PathBuf::from(value("--out")?)),
            "--pairs" => pairs = Some(number("--pairs", value("--pairs")?)?),
            "--batch-ms" => batch_ms = Some(number("--batch-ms", value("--batch-ms")?)?),
            "--iters" => iters = Some(number("--iters", value("--iters")?)?),
            "--filter" => options.filters.push(value("--filter")?),
            "--list" => options.list = true,
            "--only" => match value("--only")?.as_str() {
                side @ ("subject" | "baseline") => options.only = Some(side.to_string()),
                other => return Err(format!("--only takes subject or baseline, not `{other}`")),
            },
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if quick {
        options.config = RunConfig::quick();
    }
    if let Some(pairs) = pairs {
        options.config.pairs = usize::try_from(pairs.max(1)).unwrap_or(usize::MAX);
    }
    if let Some(ms) = batch_ms {
        options.config.batch_time = Duration::from_millis(ms);
    }
    if iters.is_some() {
        options.config.fixed_iters = iters;
    }
    if options.only.is_some() && iters.is_none() {
        return Err("--only needs --iters N (items to run; nothing is calibrated)".to_string());
    }
    Ok(options)
}

fn selected(workloads: Vec<Workload>, filters: &[String]) -> Vec<Workload> {
    workloads
        .into_iter()
        .filter(|w| filters.is_empty() || filters.iter().any(|f| w.name.contains(f.as_str())))
        .collect()
}

/// `--only`: one sample of one side, printed, for profiling.
fn run_one_side(workload: &Workload, side: &str, items: u64) {
    let contender = if side == "subject" {
        workload.subject
    } else {
        workload.baseline
    };
    let iters = match workload.batch {
        Batch::Timed => items.div_ceil(workload.items).max(1),
        Batch::Fixed { .. } => items,
    };
    let per_item =
        (contender.run)(iters).per_iteration(iters * workload.items, workload.unit, workload.name);
    println!(
        "{} / {}: {} per item ({} iterations of {} items)",
        workload.name,
        contender.name,
        format_value(per_item, workload.unit),
        iters,
        workload.items
    );
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = registry();
    if runner::child_main(&args, &all) {
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let workloads = selected(all, &options.filters);
    if options.list {
        for w in &workloads {
            println!("{} [{}]: {}", w.name, w.unit, w.description);
        }
        return ExitCode::SUCCESS;
    }
    if workloads.is_empty() {
        eprintln!("no workload matches {:?}; see --list", options.filters);
        return ExitCode::from(2);
    }
    if let Some(side) = &options.only {
        let items = options.config.fixed_iters.unwrap_or(1);
        for w in &workloads {
            run_one_side(w, side, items);
        }
        return ExitCode::SUCCESS;
    }

    let started = Instant::now();
    let mut rows = Vec::with_capacity(workloads.len());
    for (i, workload) in workloads.iter().enumerate() {
        let row = runner::run_workload(workload, &options.config);
        eprintln!(
            "[{}/{}] {}: ratio {:.2} ({} iters/sample, {:.1} s)",
            i + 1,
            workloads.len(),
            workload.name,
            row.ratio_median(),
            row.iters,
            row.wall.as_secs_f64()
        );
        rows.push(row);
    }
    let command = std::iter::once("compare".to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let report = Report::new(rows, options.config, command);
    println!("{}\n", report.summary());
    print!("{}", report.text_table());
    println!("\ntotal {:.1} s", started.elapsed().as_secs_f64());

    if let Some(dir) = &options.out {
        let written = fs::create_dir_all(dir)
            .and_then(|()| fs::write(dir.join("compare.md"), report.markdown()))
            .and_then(|()| {
                let json = serde_json::to_string_pretty(&report.json())
                    .expect("a serde_json::Value always serializes");
                fs::write(dir.join("compare.json"), json + "\n")
            });
        if let Err(err) = written {
            eprintln!("cannot write the report to {}: {err}", dir.display());
            return ExitCode::FAILURE;
        }
        println!(
            "wrote {} and {}",
            dir.join("compare.md").display(),
            dir.join("compare.json").display()
        );
    }
    ExitCode::SUCCESS
}
