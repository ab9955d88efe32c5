//! Every loading strategy beside hand-written rusqlite, in one run.
//!
//! For each dataset size (default 1 000 and 10 000 authors, 10 books each,
//! 3 of 50 tags per book) and each workload, every implementation runs once
//! with a counting allocator on (peak live heap bytes during the run, and
//! the checksum all implementations must agree on), then `reps` times
//! interleaved (round-robin over the implementations in each repetition)
//! for wall time. Each run opens a fresh session (empty identity map) or
//! connection on the same database file; opening it is not timed.
//!
//! ```sh
//! cargo run --release --example strategies
//! cargo run --release --example strategies -- --size 10000 --workload W4 --impl selectin --reps 1
//! ```
//!
//! Options: `--size N` (repeatable), `--reps N`, `--workload W1..W4`
//! (repeatable), `--impl NAME` (repeatable: select, dynamic, joined,
//! selectin, bulk, hand-n1, hand-join, hand-in), `--no-memory`.

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use common::data::Dataset;
use common::{execute, prepare, Imp, Workload};

// ----- a counting allocator: peak live heap bytes during one run ---------------

/// Forwards to the system allocator; while `COUNTING` is on it tracks the
/// bytes allocated minus freed and their peak. Off (the timed runs), it costs
/// one relaxed load per call. SQLite's own page cache is allocated by SQLite
/// (C malloc) and is not counted: the figure is the Rust heap, where the
/// object graph, the identity map and the loaders' buffers live.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes as isize, Relaxed) + bytes as isize;
    PEAK.fetch_max(live, Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes as isize, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Relaxed) {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() && COUNTING.load(Relaxed) {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        if COUNTING.load(Relaxed) {
            shrank(layout.size());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && COUNTING.load(Relaxed) {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `work` with counting on and answers its result, the peak of live
/// bytes above the level at the start, and the bytes still live when it
/// returns (its result held: the graph, the identity map, the session's
/// caches).
fn peak_bytes<T>(work: impl FnOnce() -> T) -> (T, usize, usize) {
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let out = work();
    COUNTING.store(false, Relaxed);
    let live = LIVE.load(Relaxed).max(0) as usize;
    (out, PEAK.load(Relaxed).max(0) as usize, live)
}

// ----- command line ------------------------------------------------------------

struct Args {
    sizes: Vec<i64>,
    reps: Option<usize>,
    workloads: Vec<Workload>,
    imps: Vec<Imp>,
    memory: bool,
}

fn usage(problem: &str) -> ! {
    eprintln!("strategies: {problem}");
    eprintln!(
        "usage: strategies [--size N]... [--reps N] [--workload W1|W2|W3|W4]... \
         [--impl select|dynamic|joined|selectin|bulk|hand-n1|hand-join|hand-in]... [--no-memory]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        sizes: Vec::new(),
        reps: None,
        workloads: Vec::new(),
        imps: Vec::new(),
        memory: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--size" => args.sizes.push(
                value("--size")
                    .parse()
                    .unwrap_or_else(|_| usage("--size takes a number of authors")),
            ),
            "--reps" => {
                args.reps = Some(
                    value("--reps")
                        .parse()
                        .unwrap_or_else(|_| usage("--reps takes a number")),
                )
            }
            "--workload" => {
                let w = value("--workload");
                args.workloads.push(
                    Workload::parse(&w).unwrap_or_else(|| usage(&format!("unknown workload {w}"))),
                );
            }
            "--impl" => {
                let i = value("--impl");
                args.imps.push(
                    Imp::parse(&i).unwrap_or_else(|| usage(&format!("unknown implementation {i}"))),
                );
            }
            "--no-memory" => args.memory = false,
            // `cargo bench` passes --bench to every target it runs.
            "--bench" => {}
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if args.sizes.is_empty() {
        args.sizes = vec![1_000, 10_000];
    }
    if args.workloads.is_empty() {
        args.workloads = Workload::ALL.to_vec();
    }
    if args.imps.is_empty() {
        args.imps = Imp::ALL.to_vec();
    }
    args
}

/// Default repetitions: enough for a stable median, small enough that the
/// whole default run stays within about three minutes on 2 cores.
fn default_reps(size: i64) -> usize {
    if size <= 2_000 {
        21
    } else {
        9
    }
}

// ----- measuring -----------------------------------------------------------------

struct Row {
    imp: Imp,
    statements: u64,
    checksum: u64,
    peak: Option<usize>,
    retained: Option<usize>,
    times: Vec<Duration>,
}

impl Row {
    fn median(&self) -> Duration {
        let mut t = self.times.clone();
        t.sort();
        let n = t.len();
        if n % 2 == 1 {
            t[n / 2]
        } else {
            (t[n / 2 - 1] + t[n / 2]) / 2
        }
    }
    fn min(&self) -> Duration {
        self.times.iter().copied().min().unwrap_or_default()
    }
    fn max(&self) -> Duration {
        self.times.iter().copied().max().unwrap_or_default()
    }
}

fn measure(dataset: &Dataset, workload: Workload, args: &Args, reps: usize) -> Vec<Row> {
    let imps: Vec<Imp> = args
        .imps
        .iter()
        .copied()
        .filter(|i| i.runs(workload))
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    // One run each with the allocator counting: checksum, statements, peak
    // memory; it also warms the OS page cache.
    for &imp in &imps {
        let mut prepared = prepare(imp, &dataset.path);
        let (outcome, peak, retained) = if args.memory {
            let (outcome, peak, retained) = peak_bytes(|| execute(imp, workload, &mut prepared));
            (outcome, Some(peak), Some(retained))
        } else {
            (execute(imp, workload, &mut prepared), None, None)
        };
        drop(outcome.graph);
        drop(prepared);
        rows.push(Row {
            imp,
            statements: outcome.statements,
            checksum: outcome.checksum,
            peak,
            retained,
            times: Vec::with_capacity(reps),
        });
    }
    if let Some(first) = rows.first() {
        for row in &rows {
            assert_eq!(
                row.checksum,
                first.checksum,
                "{} {}: {} loaded a different graph than {}",
                dataset.authors,
                workload.name(),
                row.imp.name(),
                first.imp.name()
            );
        }
    }
    // Timed runs, round-robin over the implementations in each repetition.
    for _ in 0..reps {
        for row in &mut rows {
            let mut prepared = prepare(row.imp, &dataset.path);
            let start = Instant::now();
            let outcome = execute(row.imp, workload, &mut prepared);
            let elapsed = start.elapsed();
            assert_eq!(outcome.checksum, row.checksum);
            assert_eq!(outcome.statements, row.statements);
            row.times.push(elapsed);
            drop(outcome.graph);
            drop(prepared);
        }
    }
    rows
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// The statement count, flagged when it differs from the hand-written code
/// of the same shape (they send the same statements when eagerly keeps
/// its contract).
fn statements(row: &Row, reference: Option<&Row>) -> String {
    match reference {
        Some(r) if r.statements != row.statements => {
            format!("{} (≠ {})", row.statements, r.statements)
        }
        _ => row.statements.to_string(),
    }
}

fn mib(bytes: usize) -> String {
    format!("{:.2}", bytes as f64 / (1024.0 * 1024.0))
}

/// Target check of one eagerly row against its reference, for the summary.
struct Verdict {
    line: String,
    time_met: bool,
    mem_met: bool,
}

fn print_table(size: i64, results: &[(Workload, Vec<Row>)], verdicts: &mut Vec<Verdict>) {
    println!();
    println!(
        "| workload | implementation | statements | median ms | min–max ms | peak MiB | retained MiB | time ÷ ref | peak ÷ ref |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (workload, rows) in results {
        let by_imp: HashMap<&'static str, &Row> = rows.iter().map(|r| (r.imp.name(), r)).collect();
        for row in rows {
            let reference = row.imp.reference().and_then(|r| by_imp.get(r.name()));
            let time_ratio =
                reference.map(|r| row.median().as_secs_f64() / r.median().as_secs_f64());
            let mem_ratio = reference.and_then(|r| match (row.peak, r.peak) {
                (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
                _ => None,
            });
            let fmt_ratio = |r: Option<f64>| r.map_or("".to_owned(), |r| format!("{r:.2}x"));
            println!(
                "| {} | {} | {} | {} | {}–{} | {} | {} | {} | {} |",
                workload.name(),
                row.imp.name(),
                statements(row, reference.copied()),
                ms(row.median()),
                ms(row.min()),
                ms(row.max()),
                row.peak.map_or("–".to_owned(), mib),
                row.retained.map_or("–".to_owned(), mib),
                fmt_ratio(time_ratio),
                fmt_ratio(mem_ratio),
            );
            if let (Some(target), Some(time), Some(reference)) =
                (row.imp.target(), time_ratio, reference)
            {
                let time_met = time <= target;
                let mem_met = mem_ratio.is_none_or(|m| m <= target);
                let verdict = |met: bool| if met { "met" } else { "MISSED" };
                verdicts.push(Verdict {
                    line: format!(
                        "{size} {} {} vs {} (target {target}x): time {time:.2}x {}, peak memory {} {}",
                        workload.name(),
                        row.imp.name(),
                        reference.imp.name(),
                        verdict(time_met),
                        fmt_ratio(mem_ratio),
                        verdict(mem_met),
                    ),
                    time_met,
                    mem_met,
                });
            }
        }
    }
}

/// The 1, 5 and 15 minute load averages (Linux), to judge how quiet the
/// machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn main() {
    let args = parse_args();
    let started = Instant::now();
    println!(
        "eagerly strategies vs hand-written rusqlite (release build: {})",
        !cfg!(debug_assertions)
    );
    println!(
        "time: wall time of one run (query, loads, checksum walk), median over the repetitions;"
    );
    println!("peak MiB: peak live Rust heap bytes during one run (counting allocator);");
    println!("retained MiB: live bytes at the end of the run, the graph still held;");
    println!("ratios: eagerly ÷ hand-written code of the same statement shape");
    println!("(select, dynamic ↔ N+1; joined ↔ JOIN; selectin, bulk ↔ IN-500).");
    for w in &args.workloads {
        println!("{}: {}", w.name(), w.description());
    }
    println!(
        "object sizes (bytes, before heap-allocated strings and collections): eagerly Author {}, Book {}, Tag {} \
         (+16 Arc header each, +1 identity-map entry); hand-written Author {}, Book {}, Tag {} (Arc only for shared Tag and W2's author)",
        std::mem::size_of::<common::orm::Author>(),
        std::mem::size_of::<common::orm::Book>(),
        std::mem::size_of::<common::orm::Tag>(),
        std::mem::size_of::<common::hand::Author>(),
        std::mem::size_of::<common::hand::Book>(),
        std::mem::size_of::<common::hand::Tag>(),
    );
    println!("load average at start: {}", load_average());
    let mut verdicts = Vec::new();
    for &size in &args.sizes {
        let build = Instant::now();
        let dataset = Dataset::build(size);
        let reps = args.reps.unwrap_or_else(|| default_reps(size));
        println!();
        println!(
            "## {size} authors, {} books, {} book_tags rows ({} repetitions; dataset built in {:.1}s)",
            dataset.books(),
            dataset.books() * common::data::TAGS_PER_BOOK as i64,
            reps,
            build.elapsed().as_secs_f64()
        );
        let mut results = Vec::new();
        for &workload in &args.workloads {
            eprintln!("measuring {size} authors, {}...", workload.name());
            results.push((workload, measure(&dataset, workload, &args, reps)));
        }
        print_table(size, &results, &mut verdicts);
    }
    if !verdicts.is_empty() {
        println!();
        println!("## Targets");
        println!();
        for v in &verdicts {
            println!("- {}", v.line);
        }
        let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
        println!();
        println!(
            "time targets met: {} of {}; peak-memory targets met: {} of {}",
            count(|v| v.time_met),
            verdicts.len(),
            count(|v| v.mem_met),
            verdicts.len()
        );
    }
    println!();
    println!(
        "total {:.1}s; load average at end: {}",
        started.elapsed().as_secs_f64(),
        load_average()
    );
}
