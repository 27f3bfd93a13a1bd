//! The schedule as `leaderlog` prints it: cncli's JSON shape, or a table for people.

use serde::Serialize;

/// One assigned slot, as cncli prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedSlot {
    pub no: usize,
    pub slot: u64,
    pub slot_in_epoch: u64,
    pub at: String,
}

/// The schedule of one epoch, in cncli's `leaderlog` field names.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaderLog {
    pub status: &'static str,
    pub epoch: u64,
    pub epoch_nonce: String,
    pub consensus: &'static str,
    pub epoch_slots: usize,
    pub epoch_slots_ideal: f64,
    pub max_performance: f64,
    pub pool_id: Option<String>,
    pub sigma: f64,
    pub active_stake: u64,
    pub total_active_stake: u64,
    pub d: f64,
    pub f: f64,
    pub assigned_slots: Vec<AssignedSlot>,
}

/// A human-readable table.
pub fn render_table(log: &LeaderLog) -> String {
    let mut out = format!(
        "epoch {} ({}), nonce {}\nsigma {:.10}  f {}  d {}\nassigned {} slots, ideal {:.2}, max performance {:.2}%\n\n",
        log.epoch,
        log.consensus,
        log.epoch_nonce,
        log.sigma,
        log.f,
        log.d,
        log.epoch_slots,
        log.epoch_slots_ideal,
        log.max_performance
    );
    out.push_str(&format!("{:>4}  {:>12}  {:>10}  {}\n", "no", "slot", "in epoch", "at"));
    for s in &log.assigned_slots {
        out.push_str(&format!(
            "{:>4}  {:>12}  {:>10}  {}\n",
            s.no, s.slot, s.slot_in_epoch, s.at
        ));
    }
    out
}
