//! The epoch boundary's memory: the resident set before and after one boundary of a synthetic
//! state, and its peak. `cargo run --release -p slotforge-ledger --example boundary_memory --
//! ACCOUNTS POOLS` (Linux: reads /proc/self/status).

use std::time::Instant;

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (accounts, pools) = match args[..] {
        [a, p] => (a, p),
        _ => {
            eprintln!("usage: boundary_memory ACCOUNTS POOLS");
            std::process::exit(2);
        }
    };
    let mut state = slotforge_ledger::boundary_fixture::state(accounts, pools);
    let before = status("VmRSS:");
    let started = Instant::now();
    state.new_epoch();
    let took = started.elapsed();
    println!(
        "{accounts} accounts, {pools} pools: resident {before} before the boundary, {} after, peak {}; the boundary took {:.2} s",
        status("VmRSS:"),
        status("VmHWM:"),
        took.as_secs_f64()
    );
}
