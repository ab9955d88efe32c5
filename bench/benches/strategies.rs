//! Criterion benchmarks: each workload at 1 000 authors, every eagerly
//! strategy beside hand-written rusqlite, all in this one process. `cargo
//! bench` runs them in a few minutes; `cargo run --release --example
//! strategies` prints the whole table (1 000 and 10 000 authors, each cell
//! in its own processes, statements, peak heap and RSS, ratios).
//!
//! Each iteration opens a fresh session (empty identity map) or connection
//! on the same database file outside the measurement, then times what the
//! example times: the load and the drop of the graph and the session. The
//! checksums are checked once, before measuring. Sessions keep no statement
//! log (capacity 0) and run with the N+1 guard off, so neither is part of
//! the measurement.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};

use eagerly_bench::data::Dataset;
use eagerly_bench::{execute, load, prepare, Imp, Workload};

const AUTHORS: i64 = 1_000;

fn strategies(c: &mut Criterion) {
    let dataset = Dataset::build(AUTHORS);
    for workload in Workload::ALL {
        // Every implementation must load the same graph.
        let mut expected = None;
        for imp in Imp::ALL.into_iter().filter(|i| i.runs(workload)) {
            let mut prepared = prepare(imp, &dataset.path);
            let checksum = execute(imp, workload, &mut prepared).checksum;
            assert_eq!(
                *expected.get_or_insert(checksum),
                checksum,
                "{} {}",
                workload.name(),
                imp.name()
            );
        }

        let mut group = c.benchmark_group(format!("{}_{AUTHORS}", workload.name()));
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            // W4's N+1 run takes about 0.1 s: give it room for 10 samples.
            .measurement_time(Duration::from_secs(if workload == Workload::W4 {
                2
            } else {
                1
            }));
        for imp in Imp::ALL.into_iter().filter(|i| i.runs(workload)) {
            group.bench_function(imp.short(), |b| {
                b.iter_batched(
                    || prepare(imp, &dataset.path),
                    |mut prepared| {
                        let loaded = load(imp, workload, &mut prepared);
                        drop(loaded.graph);
                        drop(prepared);
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, strategies);
criterion_main!(benches);
