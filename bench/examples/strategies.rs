//! Every loading strategy beside hand-written rusqlite (or, with `--engine
//! postgres`, hand-written code on the `postgres` crate against a
//! PostgreSQL server), each measurement cell in processes of its own.
//!
//! For each dataset size (default 1 000 and 10 000 authors, 10 books each,
//! 3 of 50 tags per book), each workload and each implementation, this
//! program re-invokes itself with the arguments of that one cell and reads
//! back one result line from each child:
//!
//! - `--rounds` *time* processes (default 3, started round-robin over the
//!   implementations of a workload): each does one warm-up run, then
//!   `--reps` timed runs;
//! - one *memory* process: one run with the counting allocator on (peak and
//!   retained live Rust heap bytes), then the process's peak resident set
//!   (`VmHWM` in `/proc/self/status`).
//!
//! A fresh process per cell keeps one implementation's heap, caches and
//! peak out of another's measurement. Each run opens a fresh session (empty
//! identity map, statement log capacity 0, N+1 guard off) or connection on
//! the same database file outside the clock. The clock covers the load and
//! the drop of the graph and the session; the checksum walk is timed apart
//! (see `time_cell`). The parent builds each dataset once and asserts that
//! every implementation, in every process, loads the same graph.
//!
//! ```sh
//! cargo run --release --example strategies
//! cargo run --release --example strategies -- --size 10000 --workload W4 --impl selectin --reps 5
//! cargo run --release --features postgres --example strategies -- --engine postgres
//! ```
//!
//! Options: `--size N` (repeatable), `--reps N` (timed runs per time
//! process), `--rounds N` (time processes per cell), `--workload W1..W4`
//! (repeatable), `--impl NAME` (repeatable: select, dynamic, joined,
//! selectin, bulk, hand-n1, hand-join, hand-in, and on PostgreSQL
//! hand-any), `--no-memory`, `--engine sqlite|postgres` (default sqlite;
//! postgres needs the feature `postgres`), `--pg-url URL` (default
//! `EAGERLY_PG_URL`, else `postgres://root@127.0.0.1:5432/test`), `--budget
//! SECONDS` (time processes of one cell stop starting, and take fewer
//! timed runs, once they would pass it; default 10 on PostgreSQL, none on
//! SQLite). On PostgreSQL the dataset is loaded into the schema
//! `eagerly_bench`, dropped and recreated per size and dropped at the end.
//! The child form, `--cell time|memory --db FILE|URL --workload W --impl
//! NAME [--reps N] [--engine E] [--budget-ms N]`, measures one cell on an
//! existing dataset.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use eagerly_bench::data::Dataset;
use eagerly_bench::{execute, load, prepare_on, Db, Engine, Imp, Workload};

// ----- a counting allocator: peak live heap bytes during one run ---------------

/// Forwards to the system allocator; while `COUNTING` is on it tracks the
/// bytes allocated minus freed and their peak. Off (the time processes), it
/// costs one relaxed load per call. SQLite's own page cache is allocated by
/// SQLite (C malloc) and is not counted: the figure is the Rust heap, where
/// the object graph, the identity map and the loaders' buffers live. The
/// peak RSS column counts everything, malloc's own overhead included.
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

// ----- what the kernel says about this process -----------------------------------

/// A field of `/proc/self/status` in bytes (`VmHWM`: peak resident set;
/// `VmRSS`: resident set now), or 0 where there is no procfs.
fn proc_status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Nanoseconds this process has spent on a CPU, every thread of it
/// (`CLOCK_PROCESS_CPUTIME_ID`: the async session's connection thread
/// counts), or 0 where it cannot be read. On a busy machine wall time also
/// counts the time a run waited for a CPU; this does not.
/// (`/proc/self/schedstat` would need no FFI, but for a running thread it
/// is only brought up to date at scheduler ticks, too coarse for runs of a
/// few milliseconds.)
#[cfg(target_os = "linux")]
fn cpu_ns() -> u64 {
    use std::ffi::{c_int, c_long};
    #[repr(C)]
    struct Timespec {
        tv_sec: c_long,
        tv_nsec: c_long,
    }
    extern "C" {
        fn clock_gettime(clock: c_int, now: *mut Timespec) -> c_int;
    }
    const CLOCK_PROCESS_CPUTIME_ID: c_int = 2;
    let mut now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    if unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut now) } != 0 {
        return 0;
    }
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn cpu_ns() -> u64 {
    0
}

// ----- command line ------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum CellKind {
    Time,
    Memory,
}

impl CellKind {
    fn name(self) -> &'static str {
        match self {
            CellKind::Time => "time",
            CellKind::Memory => "memory",
        }
    }
}

struct Args {
    sizes: Vec<i64>,
    reps: Option<usize>,
    rounds: usize,
    workloads: Vec<Workload>,
    imps: Vec<Imp>,
    memory: bool,
    engine: Engine,
    /// The PostgreSQL server (`--engine postgres`).
    pg_url: String,
    /// Seconds of time processes per cell, if limited.
    budget: Option<f64>,
    /// Child mode: measure one cell on the dataset `db` (a file, or a
    /// PostgreSQL URL), within `budget_ms` if given.
    cell: Option<CellKind>,
    db: Option<String>,
    budget_ms: Option<u64>,
}

fn usage(problem: &str) -> ! {
    eprintln!("strategies: {problem}");
    eprintln!(
        "usage: strategies [--size N]... [--reps N] [--rounds N] [--workload W1|W2|W3|W4]... \
         [--impl select|dynamic|joined|selectin|bulk|hand-n1|hand-join|hand-in|hand-any]... [--no-memory]\n\
         \x20      [--engine sqlite|postgres] [--pg-url URL] [--budget SECONDS]\n\
         \x20      strategies --cell time|memory --db FILE|URL --workload W --impl NAME [--reps N] [--engine E] [--budget-ms N]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        sizes: Vec::new(),
        reps: None,
        rounds: 3,
        workloads: Vec::new(),
        imps: Vec::new(),
        memory: true,
        engine: Engine::Sqlite,
        pg_url: std::env::var("EAGERLY_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| PG_DEFAULT_URL.to_owned()),
        budget: None,
        cell: None,
        db: None,
        budget_ms: None,
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
            "--rounds" => {
                args.rounds = value("--rounds")
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage("--rounds takes a positive number"))
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
            "--cell" => {
                args.cell = Some(match value("--cell").as_str() {
                    "time" => CellKind::Time,
                    "memory" => CellKind::Memory,
                    other => usage(&format!("unknown cell kind {other}")),
                })
            }
            "--db" => args.db = Some(value("--db")),
            "--engine" => {
                let e = value("--engine");
                args.engine =
                    Engine::parse(&e).unwrap_or_else(|| usage(&format!("unknown engine {e}")));
            }
            "--pg-url" => args.pg_url = value("--pg-url"),
            "--budget" => {
                args.budget = Some(
                    value("--budget")
                        .parse()
                        .ok()
                        .filter(|&s: &f64| s > 0.0)
                        .unwrap_or_else(|| usage("--budget takes a positive number of seconds")),
                )
            }
            "--budget-ms" => {
                args.budget_ms = Some(
                    value("--budget-ms")
                        .parse()
                        .unwrap_or_else(|_| usage("--budget-ms takes a number")),
                )
            }
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
    if args.engine == Engine::Postgres && !cfg!(feature = "postgres") {
        usage("--engine postgres needs the feature: cargo run --release --features postgres --example strategies -- --engine postgres");
    }
    let all = Imp::all(args.engine);
    if args.imps.is_empty() {
        args.imps = all.to_vec();
    }
    if let Some(imp) = args.imps.iter().find(|i| !all.contains(i)) {
        usage(&format!("{} runs on PostgreSQL only", imp.short()));
    }
    if args.engine == Engine::Postgres && args.budget.is_none() {
        args.budget = Some(PG_DEFAULT_BUDGET);
    }
    args
}

/// The server of `--engine postgres` unless `--pg-url` or `EAGERLY_PG_URL`
/// names another.
const PG_DEFAULT_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// Seconds of time processes per cell on PostgreSQL by default: every cell
/// but the N+1 ones at 10 000 authors takes far less; those (up to 110 001
/// statements over TCP per run) get fewer processes and runs instead of
/// minutes each.
const PG_DEFAULT_BUDGET: f64 = 10.0;

/// Default timed runs per time process (after its warm-up): with the
/// default 3 rounds, 21 and 9 runs per cell, enough for a stable median,
/// few enough that the whole default run stays within a few minutes on
/// 2 cores.
fn default_reps(size: i64) -> usize {
    if size <= 2_000 {
        7
    } else {
        3
    }
}

// ----- one cell, in its own process ------------------------------------------------

/// What a child answers on its one result line, as `key=value` words.
const RESULT_PREFIX: &str = "cell-result";

/// Time process: one warm-up run, then `reps` timed runs, each on a fresh
/// session or connection opened outside the clock. The clock covers the
/// load (the query and every load until the graph is in memory) and the
/// drop of the graph and the session: every load ends in that drop, and
/// eagerly's teardown (each object's `Arc` and identity-map entry) is part
/// of its cost. The checksum walk in between is timed apart: it is the same
/// string hashing for every implementation, and inside the clock it would
/// add a constant to both sides of every ratio.
///
/// With a budget, the process takes as many of its `reps` timed runs as fit
/// in it at the warm-up's pace, at least one.
fn time_cell(
    db: Db<'_>,
    workload: Workload,
    imp: Imp,
    reps: usize,
    budget_ms: Option<u64>,
) -> String {
    let mut prepared = prepare_on(imp, db);
    let warm_start = Instant::now();
    let warm = execute(imp, workload, &mut prepared);
    let (checksum, statements) = (warm.checksum, warm.statements);
    drop(warm.graph);
    drop(prepared);
    let warm_time = warm_start.elapsed();
    let reps = match budget_ms {
        Some(ms) => {
            let left = Duration::from_millis(ms).saturating_sub(warm_time);
            let fit = (left.as_secs_f64() / warm_time.as_secs_f64().max(1e-9)) as usize;
            fit.clamp(1, reps.max(1))
        }
        None => reps,
    };
    // Per run, in ns: wall (load + drop), on-CPU (load + drop), load, drop, walk.
    let mut columns: [Vec<String>; 5] = Default::default();
    for _ in 0..reps {
        let mut prepared = prepare_on(imp, db);
        let cpu_start = cpu_ns();
        let start = Instant::now();
        let loaded = load(imp, workload, &mut prepared);
        let load_time = start.elapsed();
        let cpu_load = cpu_ns() - cpu_start;

        let walk = Instant::now();
        let sum = eagerly_bench::checksum(imp, workload, loaded.graph.as_ref());
        let walk = walk.elapsed();
        assert_eq!(sum, checksum, "a run loaded another graph");
        assert_eq!(loaded.statements, statements, "a run sent other statements");

        let cpu_start = cpu_ns();
        let start = Instant::now();
        drop(loaded.graph);
        drop(prepared);
        let drop_time = start.elapsed();
        let cpu = cpu_load + (cpu_ns() - cpu_start);

        let ns = |d: Duration| d.as_nanos() as u64;
        let values = [
            ns(load_time + drop_time),
            cpu,
            ns(load_time),
            ns(drop_time),
            ns(walk),
        ];
        for (column, value) in columns.iter_mut().zip(values) {
            column.push(value.to_string());
        }
    }
    let [wall, cpu, load, teardown, walk] = columns.map(|c| c.join(","));
    format!(
        "checksum={checksum} statements={statements} wall_ns={wall} cpu_ns={cpu} \
         load_ns={load} drop_ns={teardown} walk_ns={walk}"
    )
}

/// Memory process: one run with the counting allocator on; the peak
/// resident set is the process's, which has done nothing else but start,
/// open the session or connection, and run.
fn memory_cell(db: Db<'_>, workload: Workload, imp: Imp) -> String {
    let mut prepared = prepare_on(imp, db);
    let rss_before = proc_status_bytes("VmRSS");
    let (outcome, peak, retained) = peak_bytes(|| execute(imp, workload, &mut prepared));
    let rss_peak = proc_status_bytes("VmHWM");
    format!(
        "checksum={} statements={} heap_peak={peak} heap_retained={retained} \
         rss_before={rss_before} rss_peak={rss_peak}",
        outcome.checksum, outcome.statements
    )
}

fn child(args: &Args, kind: CellKind) {
    let db = args
        .db
        .as_deref()
        .unwrap_or_else(|| usage("--cell needs --db"));
    let db = match args.engine {
        Engine::Sqlite => Db::Sqlite(Path::new(db)),
        Engine::Postgres => Db::Postgres(db),
    };
    let (&[workload], &[imp]) = (&args.workloads[..], &args.imps[..]) else {
        usage("--cell measures one --workload and one --impl")
    };
    if !imp.runs(workload) {
        usage(&format!("{} does not run {}", imp.short(), workload.name()));
    }
    let line = match kind {
        CellKind::Time => time_cell(db, workload, imp, args.reps.unwrap_or(9), args.budget_ms),
        CellKind::Memory => memory_cell(db, workload, imp),
    };
    println!("{RESULT_PREFIX} {line}");
}

/// Runs one cell in a child process and answers its result words.
fn spawn_cell(
    kind: CellKind,
    dataset: &Data,
    workload: Workload,
    imp: Imp,
    reps: usize,
    budget_ms: Option<u64>,
) -> HashMap<String, String> {
    let exe = std::env::current_exe().expect("the path of this program");
    let mut command = Command::new(exe);
    command.args(["--cell", kind.name()]);
    match dataset {
        Data::Sqlite(d) => command.arg("--db").arg(&d.path),
        #[cfg(feature = "postgres")]
        Data::Postgres(d) => command.args(["--engine", "postgres", "--db", &d.url]),
    };
    if let Some(ms) = budget_ms {
        command.args(["--budget-ms", &ms.to_string()]);
    }
    let output = command
        .args(["--workload", workload.name(), "--impl", imp.short()])
        .args(["--reps", &reps.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("start a measurement process");
    let what = format!(
        "{} {} {} ({} process)",
        dataset.authors(),
        workload.name(),
        imp.name_on(dataset.engine()),
        kind.name()
    );
    assert!(output.status.success(), "{what} failed: {}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .unwrap_or_else(|| panic!("{what} printed no result line: {stdout}"));
    line.split_whitespace()
        .filter_map(|word| word.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn number<T: std::str::FromStr>(result: &HashMap<String, String>, key: &str) -> T {
    result
        .get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("result line without a valid {key}"))
}

// ----- measuring -----------------------------------------------------------------

struct Memory {
    heap_peak: u64,
    heap_retained: u64,
    rss_before: u64,
    rss_peak: u64,
}

struct Row {
    imp: Imp,
    statements: u64,
    checksum: u64,
    /// Of every timed run of every time process: wall and on-CPU time of
    /// load + drop (the measured time), the load and the drop apart, and
    /// the checksum walk (not in the measured time).
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    load: Vec<Duration>,
    teardown: Vec<Duration>,
    walk: Vec<Duration>,
    memory: Option<Memory>,
    /// Time processes run, and the time they took (with a budget).
    processes: usize,
    spent: Duration,
    /// Whether the budget cut the processes or their runs, or (a run
    /// longer than the budget) left out the memory process.
    limited: bool,
    memory_skipped: bool,
}

fn median<T: Copy + Ord + Default>(values: &[T]) -> T {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn list<T: std::str::FromStr>(result: &HashMap<String, String>, key: &str) -> Vec<T> {
    result
        .get(key)
        .map(|v| {
            v.split(',')
                .filter(|x| !x.is_empty())
                .map(|x| x.parse().ok().expect("a number"))
                .collect()
        })
        .unwrap_or_default()
}

/// Measures every implementation of `workload`: `rounds` time processes
/// per implementation, started round-robin (so a change in the machine's
/// load during the run falls on all of them alike), then one memory
/// process each.
///
/// With a budget (`--budget`), a row's next time process is not started
/// when, at the pace of the ones before, it would end past the budget, and
/// each process takes as many of its runs as fit in its share.
fn measure(dataset: &Data, workload: Workload, args: &Args, reps: usize) -> Vec<Row> {
    let mut rows: Vec<Row> = args
        .imps
        .iter()
        .copied()
        .filter(|i| i.runs(workload))
        .map(|imp| Row {
            imp,
            statements: 0,
            checksum: 0,
            wall: Vec::new(),
            cpu: Vec::new(),
            load: Vec::new(),
            teardown: Vec::new(),
            walk: Vec::new(),
            memory: None,
            processes: 0,
            spent: Duration::ZERO,
            limited: false,
            memory_skipped: false,
        })
        .collect();
    let engine = dataset.engine();
    let what = |row: &Row| {
        format!(
            "{} {} {}",
            dataset.authors(),
            workload.name(),
            row.imp.name_on(engine)
        )
    };
    let budget_ms = args
        .budget
        .map(|b| (b * 1e3 / args.rounds as f64).round() as u64);
    for round in 0..args.rounds {
        for row in &mut rows {
            if let Some(budget) = args.budget {
                let projected = row.spent.as_secs_f64() * (round + 1) as f64 / round.max(1) as f64;
                if round > 0 && projected > budget {
                    row.limited = true;
                    continue;
                }
            }
            let started = Instant::now();
            let time = spawn_cell(CellKind::Time, dataset, workload, row.imp, reps, budget_ms);
            row.spent += started.elapsed();
            row.processes += 1;
            let answer = (number(&time, "checksum"), number(&time, "statements"));
            if round == 0 {
                (row.checksum, row.statements) = answer;
            }
            assert_eq!(
                answer,
                (row.checksum, row.statements),
                "{}: time processes loaded different graphs",
                what(row)
            );
            let ns = |key| {
                list::<u64>(&time, key)
                    .into_iter()
                    .map(Duration::from_nanos)
            };
            let before = row.wall.len();
            row.wall.extend(ns("wall_ns"));
            if row.wall.len() - before < reps {
                row.limited = true;
            }
            row.cpu.extend(ns("cpu_ns"));
            row.load.extend(ns("load_ns"));
            row.teardown.extend(ns("drop_ns"));
            row.walk.extend(ns("walk_ns"));
        }
    }
    if args.memory {
        for row in &mut rows {
            // A cell whose one run takes longer than the whole budget (W4's
            // N+1 at 10 000 authors) gets no memory process either.
            if args
                .budget
                .is_some_and(|b| median(&row.wall).as_secs_f64() > b)
            {
                row.limited = true;
                row.memory_skipped = true;
                continue;
            }
            let memory = spawn_cell(CellKind::Memory, dataset, workload, row.imp, reps, None);
            assert_eq!(
                (number(&memory, "checksum"), number(&memory, "statements")),
                (row.checksum, row.statements),
                "{}: the memory process loaded another graph",
                what(row)
            );
            row.memory = Some(Memory {
                heap_peak: number(&memory, "heap_peak"),
                heap_retained: number(&memory, "heap_retained"),
                rss_before: number(&memory, "rss_before"),
                rss_peak: number(&memory, "rss_peak"),
            });
        }
    }
    if let Some(first) = rows.first() {
        for row in &rows {
            assert_eq!(
                row.checksum,
                first.checksum,
                "{} {}: {} loaded a different graph than {}",
                dataset.authors(),
                workload.name(),
                row.imp.name_on(engine),
                first.imp.name_on(engine)
            );
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

fn mib(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / (1024.0 * 1024.0))
}

/// Target check of one eagerly row against its reference, for the summary.
struct Verdict {
    line: String,
    time_met: bool,
    heap_met: bool,
    rss_met: bool,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn print_table(
    engine: Engine,
    size: i64,
    results: &[(Workload, Vec<Row>)],
    verdicts: &mut Vec<Verdict>,
) {
    println!();
    println!(
        "| workload | implementation | statements | median ms | min–max ms | CPU ms | load ms | drop ms | walk ms | heap peak MiB | retained MiB | peak RSS MiB | time ÷ ref | CPU ÷ ref | load ÷ ref | heap ÷ ref | RSS ÷ ref |"
    );
    println!(
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut rss_before = Vec::new();
    for (workload, rows) in results {
        let by_imp: HashMap<&'static str, &Row> = rows.iter().map(|r| (r.imp.name(), r)).collect();
        for row in rows {
            let reference = row
                .imp
                .reference_on(engine)
                .and_then(|r| by_imp.get(r.name()));
            let time_ratio = |of: fn(&Row) -> &[Duration]| {
                let r = reference?;
                Some(median(of(row)).as_secs_f64() / median(of(r)).as_secs_f64())
            };
            let (wall_ratio, cpu_ratio, load_ratio) = (
                time_ratio(|r| &r.wall),
                time_ratio(|r| &r.cpu),
                time_ratio(|r| &r.load),
            );
            let memory_ratio = |of: fn(&Memory) -> u64| {
                let (a, b) = (row.memory.as_ref()?, reference?.memory.as_ref()?);
                ratio(of(a), of(b))
            };
            let heap_ratio = memory_ratio(|m| m.heap_peak);
            let rss_ratio = memory_ratio(|m| m.rss_peak);
            let fmt_ratio = |r: Option<f64>| r.map_or("".to_owned(), |r| format!("{r:.2}x"));
            let memory =
                |of: fn(&Memory) -> u64| row.memory.as_ref().map_or("–".into(), |m| mib(of(m)));
            if let Some(m) = &row.memory {
                rss_before.push(m.rss_before);
            }
            println!(
                "| {} | {} | {} | {} | {}–{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                workload.name(),
                row.imp.name_on(engine),
                statements(row, reference.copied()),
                ms(median(&row.wall)),
                ms(row.wall.iter().copied().min().unwrap_or_default()),
                ms(row.wall.iter().copied().max().unwrap_or_default()),
                ms(median(&row.cpu)),
                ms(median(&row.load)),
                ms(median(&row.teardown)),
                ms(median(&row.walk)),
                memory(|m| m.heap_peak),
                memory(|m| m.heap_retained),
                memory(|m| m.rss_peak),
                fmt_ratio(wall_ratio),
                fmt_ratio(cpu_ratio),
                fmt_ratio(load_ratio),
                fmt_ratio(heap_ratio),
                fmt_ratio(rss_ratio),
            );
            if let (Some(target), Some(time), Some(reference)) =
                (row.imp.target_on(engine), wall_ratio, reference)
            {
                let time_met = time <= target;
                let heap_met = heap_ratio.is_none_or(|m| m <= target);
                let rss_met = rss_ratio.is_none_or(|m| m <= target);
                let verdict = |met: bool| if met { "met" } else { "MISSED" };
                verdicts.push(Verdict {
                    line: format!(
                        "{size} {} {} vs {} (target {target}x): time {time:.2}x {} (CPU {}, load alone {}), heap peak {} {}, peak RSS {} {}",
                        workload.name(),
                        row.imp.name_on(engine),
                        reference.imp.name_on(engine),
                        verdict(time_met),
                        fmt_ratio(cpu_ratio),
                        fmt_ratio(load_ratio),
                        fmt_ratio(heap_ratio),
                        verdict(heap_met),
                        fmt_ratio(rss_ratio),
                        verdict(rss_met),
                    ),
                    time_met,
                    heap_met,
                    rss_met,
                });
            }
        }
    }
    if let (Some(lo), Some(hi)) = (rss_before.iter().min(), rss_before.iter().max()) {
        println!();
        println!(
            "RSS of a memory process just before its run ({}): {}–{} MiB",
            match engine {
                Engine::Sqlite => "program, SQLite, open connection",
                Engine::Postgres => "program, open connection",
            },
            mib(*lo),
            mib(*hi)
        );
    }
    let limited: Vec<String> = results
        .iter()
        .flat_map(|(workload, rows)| rows.iter().map(move |row| (workload, row)))
        .filter(|(_, row)| row.limited)
        .map(|(workload, row)| {
            format!(
                "{} {} ({} of its time processes, {} timed runs{})",
                workload.name(),
                row.imp.name_on(engine),
                row.processes,
                row.wall.len(),
                if row.memory_skipped {
                    ", no memory process"
                } else {
                    ""
                }
            )
        })
        .collect();
    if !limited.is_empty() {
        println!();
        println!(
            "Over the time budget of a cell (fewer time processes or runs, the warm-up runs kept): {}",
            limited.join("; ")
        );
    }
}

/// The 1, 5 and 15 minute load averages (Linux), to judge how quiet the
/// machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The dataset of one size, on the engine measured.
enum Data {
    Sqlite(Dataset),
    #[cfg(feature = "postgres")]
    Postgres(eagerly_bench::data::PgDataset),
}

impl Data {
    fn build(args: &Args, size: i64) -> Data {
        match args.engine {
            Engine::Sqlite => Data::Sqlite(Dataset::build(size)),
            #[cfg(feature = "postgres")]
            Engine::Postgres => {
                Data::Postgres(eagerly_bench::data::PgDataset::build(&args.pg_url, size))
            }
            #[cfg(not(feature = "postgres"))]
            Engine::Postgres => unreachable!("refused by parse_args"),
        }
    }

    fn engine(&self) -> Engine {
        match self {
            Data::Sqlite(_) => Engine::Sqlite,
            #[cfg(feature = "postgres")]
            Data::Postgres(_) => Engine::Postgres,
        }
    }

    fn authors(&self) -> i64 {
        match self {
            Data::Sqlite(d) => d.authors,
            #[cfg(feature = "postgres")]
            Data::Postgres(d) => d.authors,
        }
    }

    fn books(&self) -> i64 {
        match self {
            Data::Sqlite(d) => d.books(),
            #[cfg(feature = "postgres")]
            Data::Postgres(d) => d.books(),
        }
    }
}

/// `SELECT version()` of the server, shortened to its first two words.
#[cfg(feature = "postgres")]
fn server_version(url: &str) -> String {
    use eagerly::backend::postgres::postgres::{Client, NoTls};
    let version = Client::connect(url, NoTls)
        .and_then(|mut c| c.query_one("SELECT version()", &[]))
        .map(|row| row.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("cannot reach the PostgreSQL server at {url}: {e}"));
    version
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(not(feature = "postgres"))]
fn server_version(_: &str) -> String {
    unreachable!("refused by parse_args")
}

fn main() {
    let args = parse_args();
    if let Some(kind) = args.cell {
        child(&args, kind);
        return;
    }
    let started = Instant::now();
    match args.engine {
        Engine::Sqlite => println!(
            "eagerly strategies vs hand-written rusqlite (release build: {})",
            !cfg!(debug_assertions)
        ),
        Engine::Postgres => println!(
            "eagerly strategies vs hand-written code on the `postgres` crate, on {} (release build: {})",
            server_version(&args.pg_url),
            !cfg!(debug_assertions)
        ),
    }
    println!("each cell (size × workload × implementation) in fresh processes: a time process");
    println!("(one warm-up run, then the timed runs) and a memory process (one counted run);");
    println!("every run on a fresh session or connection opened outside the clock.");
    println!(
        "time: wall time of one load (the query and every load until the graph is in memory) plus the drop"
    );
    println!("of the graph and the session; median and min–max over the timed runs of every time process;");
    println!("CPU ms: the same on-CPU (median), leaving out time spent waiting for a CPU on a busy machine;");
    println!("load ms, drop ms: the two parts (medians); walk ms: the checksum walk over the graph (median),");
    println!(
        "timed apart and not part of the time (the same string hashing for every implementation);"
    );
    println!("heap peak MiB: peak live Rust heap bytes during the run (counting allocator);");
    println!("retained MiB: live heap bytes at the end of the run, the graph still held;");
    println!("peak RSS MiB: the memory process's peak resident set (VmHWM), everything included;");
    println!("ratios: eagerly ÷ hand-written code of the same statement shape");
    match args.engine {
        Engine::Sqlite => {
            println!("(select, dynamic ↔ N+1; joined ↔ JOIN; selectin, bulk ↔ IN-500).")
        }
        Engine::Postgres => {
            println!("(select, dynamic ↔ N+1; joined ↔ JOIN; selectin, bulk ↔ ANY: one `= ANY($1)` per level;");
            println!("IN-500 printed for reference); on PostgreSQL every target is 1.25x.");
            if let Some(budget) = args.budget {
                println!("time budget per cell: {budget} s of time processes (a cell over it takes fewer processes and runs; listed under its table).");
            }
        }
    }
    for w in &args.workloads {
        println!("{}: {}", w.name(), w.description());
    }
    println!(
        "object sizes (bytes, before heap-allocated strings and collections): eagerly Author {}, Book {}, Tag {} \
         (+8 handle header each, in per-type chunks, +1 identity-map entry); hand-written Author {}, Book {}, Tag {} (Arc only for shared Tag and W2's author)",
        std::mem::size_of::<eagerly_bench::orm::Author>(),
        std::mem::size_of::<eagerly_bench::orm::Book>(),
        std::mem::size_of::<eagerly_bench::orm::Tag>(),
        std::mem::size_of::<eagerly_bench::hand::Author>(),
        std::mem::size_of::<eagerly_bench::hand::Book>(),
        std::mem::size_of::<eagerly_bench::hand::Tag>(),
    );
    println!("load average at start: {}", load_average());
    let mut verdicts = Vec::new();
    for &size in &args.sizes {
        let build = Instant::now();
        let dataset = Data::build(&args, size);
        let reps = args.reps.unwrap_or_else(|| default_reps(size));
        println!();
        println!(
            "## {size} authors, {} books, {} book_tags rows ({} time processes per cell, each 1 warm-up + {} timed runs; dataset built in {:.1}s)",
            dataset.books(),
            dataset.books() * eagerly_bench::data::TAGS_PER_BOOK as i64,
            args.rounds,
            reps,
            build.elapsed().as_secs_f64()
        );
        let mut results = Vec::new();
        for &workload in &args.workloads {
            eprintln!("measuring {size} authors, {}...", workload.name());
            results.push((workload, measure(&dataset, workload, &args, reps)));
        }
        print_table(args.engine, size, &results, &mut verdicts);
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
            "time targets met: {} of {}; heap-peak targets met: {} of {}; peak-RSS targets met: {} of {}",
            count(|v| v.time_met),
            verdicts.len(),
            count(|v| v.heap_met),
            verdicts.len(),
            count(|v| v.rss_met),
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
