//! `slotforge leaderlog`: a pool's leader schedule for one epoch, in cncli's JSON shape.
//! [`cli`] takes the arguments, [`plan`] resolves them (reading a node's node-to-client socket
//! with [`socket`], or cardano-cli's output with [`ledger_input`]), this file scans the epoch
//! on all cores, and [`output`] shapes what is printed.

mod cli;
mod ledger_input;
mod output;
mod plan;
mod socket;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_praos::schedule::{PraosEpoch, WonSlot};

pub use cli::{LeaderlogArgs, OutputFormat, VrfVariantArg};
pub use output::{render_table, AssignedSlot, LeaderLog};

/// How much of the epoch one parallel task scans.
const CHUNK_SLOTS: u64 = 4096;

/// `x` to two decimals, as cncli prints its figures.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scans the epoch on all worker threads, showing progress on a terminal.
pub fn scan_parallel(leadership: &PraosEpoch, key: &VrfSecretKey, progress: &ProgressBar) -> Vec<WonSlot> {
    let range = leadership.slots();
    let chunks: Vec<(u64, u64)> = (range.start..range.end)
        .step_by(CHUNK_SLOTS as usize)
        .map(|s| (s, s.saturating_add(CHUNK_SLOTS).min(range.end)))
        .collect();
    let mut won: Vec<WonSlot> = chunks
        .par_iter()
        .flat_map_iter(|(a, b)| {
            let found = leadership.scan(key, *a..*b);
            progress.inc(b - a);
            found
        })
        .collect();
    won.sort_by_key(|w| w.slot);
    won
}

/// Runs `leaderlog` and returns the log (the caller prints it).
pub fn run(args: &LeaderlogArgs) -> Result<LeaderLog> {
    let plan = args.plan()?;
    let key = key_file::read_key_file(&args.vrf_skey, KeyKind::VrfSigning, key_file::parse_vrf_signing_key)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let l = &plan.leadership;
    let progress = ProgressBar::new(l.epoch_length);
    progress.set_style(
        ProgressStyle::with_template("{spinner} epoch {msg} [{bar:40}] {pos}/{len} slots ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    progress.set_message(l.epoch.to_string());
    let won = pool.install(|| scan_parallel(l, &key, &progress));
    progress.finish_and_clear();

    let ideal = l.ideal_slots(plan.f.value());
    let assigned_slots: Vec<AssignedSlot> = won
        .iter()
        .enumerate()
        .map(|(i, w)| AssignedSlot {
            no: i + 1,
            slot: w.slot,
            slot_in_epoch: w.slot_in_epoch,
            at: plan.history.slot_start(w.slot).with_timezone(&plan.tz).to_rfc3339(),
        })
        .collect();
    Ok(LeaderLog {
        status: "ok",
        epoch: l.epoch,
        epoch_nonce: l.nonce.to_string(),
        consensus: l.variant.name(),
        epoch_slots: assigned_slots.len(),
        epoch_slots_ideal: round2(ideal),
        max_performance: if ideal > 0.0 {
            round2(assigned_slots.len() as f64 / ideal * 100.0)
        } else {
            0.0
        },
        pool_id: plan.pool_id.clone(),
        sigma: l.threshold.sigma(),
        active_stake: plan.pool_stake,
        total_active_stake: plan.active_stake,
        d: l.decentralisation_value(),
        f: plan.f.value(),
        assigned_slots,
    })
}
