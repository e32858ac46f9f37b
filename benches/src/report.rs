//! The comparison table, as terminal text, Markdown and JSON.
//!
//! One row per workload: `workload | subject | subject median | baseline | baseline median
//! | ratio | pair ratios | target | status`. The subject is ctxrt; the baseline is tokio or,
//! for within-ctxrt rows, the ctxrt configuration named in the `baseline` column. The
//! ratio is the median of per-pair ratios (not the ratio of the medians); `pair ratios`
//! gives their min–max so the noise is visible. Lower is better in every column.

use std::fmt::Write as _;
use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::runner::{RowResult, RunConfig};
use crate::workload::Unit;

/// The machine a run was measured on.
///
/// # Examples
///
/// ```
/// let machine = ctxrt_benches::report::Machine::detect();
/// assert!(machine.nproc >= 1);
/// ```
#[derive(Debug, Clone)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo` (`"unknown"` if unreadable).
    pub cpu_model: String,
    /// Logical CPUs available to this process (what `nproc` prints).
    pub nproc: usize,
}

impl Machine {
    /// Reads the CPU model and the available parallelism.
    pub fn detect() -> Machine {
        let cpu_model = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, model)| model.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
        Machine { cpu_model, nproc }
    }
}

/// A finished run, ready to print or save.
#[derive(Debug, Clone)]
pub struct Report {
    /// One result per workload, in registry order.
    pub rows: Vec<RowResult>,
    /// How the run was sized.
    pub config: RunConfig,
    /// Where it ran.
    pub machine: Machine,
    /// When it finished, seconds since the Unix epoch.
    pub unix_time: u64,
    /// The command line that produced it.
    pub command: String,
}

const HEADERS: [&str; 9] = [
    "workload",
    "subject",
    "subject median",
    "baseline",
    "baseline median",
    "ratio",
    "pair ratios",
    "target",
    "status",
];

/// Which columns are numbers (right-aligned).
const NUMERIC: [bool; 9] = [false, false, true, false, true, true, true, true, false];

impl Report {
    /// A report of `rows` measured now on this machine.
    pub fn new(rows: Vec<RowResult>, config: RunConfig, command: String) -> Report {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Report {
            rows,
            config,
            machine: Machine::detect(),
            unix_time,
            command,
        }
    }

    /// One line: mode, pairs, machine and date.
    pub fn summary(&self) -> String {
        let mode = if self.config.quick {
            "quick (1 tiny pair per workload: proves it runs, measures little)".to_string()
        } else {
            format!(
                "full ({} alternating pairs per workload, ~{} ms batches)",
                self.config.pairs,
                self.config.batch_time.as_millis()
            )
        };
        format!(
            "{mode}; {} CPUs, {}; {}",
            self.machine.nproc,
            self.machine.cpu_model,
            utc_date_time(self.unix_time)
        )
    }

    fn cells(row: &RowResult) -> [String; 9] {
        let unit = row.workload.unit;
        let (low, high) = row.ratio_range();
        [
            row.workload.name.to_string(),
            row.workload.subject.name.to_string(),
            format_value(row.subject_median(), unit),
            row.workload.baseline.name.to_string(),
            format_value(row.baseline_median(), unit),
            format_ratio(row.ratio_median()),
            format!("{}–{}", format_ratio(low), format_ratio(high)),
            format_target(row),
            row.status().to_string(),
        ]
    }

    /// The table as aligned plain text, for the terminal.
    pub fn text_table(&self) -> String {
        let rows: Vec<[String; 9]> = self.rows.iter().map(Report::cells).collect();
        let mut widths = HEADERS.map(|h| h.chars().count());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &[String; 9]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                let sep = if i == 0 { "" } else { " | " };
                if NUMERIC[i] {
                    let _ = write!(out, "{sep}{}{cell}", " ".repeat(pad));
                } else {
                    let _ = write!(out, "{sep}{cell}{}", " ".repeat(pad));
                }
            }
            out.trim_end().to_string() + "\n"
        };
        let mut out = line(&HEADERS.map(String::from));
        out += &(widths.map(|w| "-".repeat(w)).join("-+-") + "\n");
        for row in &rows {
            out += &line(row);
        }
        out
    }

    /// The table as Markdown, with the run's command, machine and date above it.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Command: `{}`  ", self.command);
        let _ = writeln!(out, "Run: {}\n", self.summary());
        let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
        let align: Vec<&str> = NUMERIC
            .iter()
            .map(|&numeric| if numeric { "---:" } else { "---" })
            .collect();
        let _ = writeln!(out, "| {} |", align.join(" | "));
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", Report::cells(row).join(" | "));
        }
        out
    }

    /// The report as JSON, every sample included.
    pub fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let (low, high) = row.ratio_range();
                json!({
                    "workload": row.workload.name,
                    "description": row.workload.description,
                    "unit": row.workload.unit.suffix(),
                    "iterations_per_sample": row.iters,
                    "items_per_iteration": row.workload.items,
                    "subject": {
                        "name": row.workload.subject.name,
                        "median": row.subject_median(),
                        "samples": row.subject,
                    },
                    "baseline": {
                        "name": row.workload.baseline.name,
                        "median": row.baseline_median(),
                        "samples": row.baseline,
                    },
                    "ratio": {
                        "median_of_pairs": row.ratio_median(),
                        "min": low,
                        "max": high,
                        "pairs": row.ratios,
                    },
                    "target": row.workload.target,
                    "subject_max": row.workload.subject_max,
                    "status": row.status().to_string(),
                    "wall_seconds": row.wall.as_secs_f64(),
                })
            })
            .collect();
        json!({
            "command": self.command,
            "mode": if self.config.quick { "quick" } else { "full" },
            "pairs": self.config.pairs,
            "batch_ms": self.config.batch_time.as_millis() as u64,
            "machine": { "nproc": self.machine.nproc, "cpu_model": self.machine.cpu_model },
            "unix_time": self.unix_time,
            "date_utc": utc_date_time(self.unix_time),
            "rows": rows,
        })
    }
}

/// A per-iteration value with its unit, e.g. `3.21 ns` or `48.0 B`.
///
/// # Examples
///
/// ```
/// use ctxrt_benches::{report::format_value, Unit};
/// assert_eq!(format_value(3.214, Unit::Nanos), "3.21 ns");
/// assert_eq!(format_value(1234.4, Unit::Nanos), "1234 ns");
/// assert_eq!(format_value(48.0, Unit::Bytes), "48.0 B");
/// ```
pub fn format_value(value: f64, unit: Unit) -> String {
    let suffix = match unit {
        Unit::Nanos => "ns",
        Unit::Bytes => "B",
    };
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let magnitude = value.abs();
    if unit == Unit::Bytes || (10.0..1000.0).contains(&magnitude) {
        format!("{value:.1} {suffix}")
    } else if magnitude < 10.0 {
        format!("{value:.2} {suffix}")
    } else {
        format!("{value:.0} {suffix}")
    }
}

/// The target cell: the ratio goal, then any absolute limit on the subject
/// (`≤ 0.65, ≤ 200.0 B`), or `-`.
fn format_target(row: &RowResult) -> String {
    let ratio = row.workload.target.map(|t| format!("≤ {t:.2}"));
    let absolute = row
        .workload
        .subject_max
        .map(|max| format!("≤ {}", format_value(max, row.workload.unit)));
    let parts: Vec<String> = ratio.into_iter().chain(absolute).collect();
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(", ")
    }
}

fn format_ratio(ratio: f64) -> String {
    if ratio.is_finite() {
        format!("{ratio:.2}")
    } else {
        "n/a".to_string()
    }
}

/// `unix` seconds as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
///
/// # Examples
///
/// ```
/// use ctxrt_benches::report::utc_date_time;
/// assert_eq!(utc_date_time(0), "1970-01-01 00:00 UTC");
/// assert_eq!(utc_date_time(951_825_600), "2000-02-29 12:00 UTC");
/// ```
pub fn utc_date_time(unix: u64) -> String {
    // Howard Hinnant's `civil_from_days`, with days counted from 0000-03-01.
    let days = (unix / 86_400) as i64 + 719_468;
    let seconds = unix % 86_400;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3_600,
        seconds % 3_600 / 60
    )
}
