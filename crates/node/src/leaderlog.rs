//! `slotforge leaderlog`: a pool's leader schedule for one epoch, in cncli's JSON shape.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use chrono::DateTime;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::Nonce;
use slotforge_praos::schedule::{EpochLeadership, WonSlot};
use slotforge_praos::time::{Era, EraHistory, NetworkPreset, ShelleyGenesis};

use slotforge_praos::ratio::parse_ratio;

use crate::bech32_ids;
use crate::ledger_input::{self, LedgerSet};

/// How much of the epoch one parallel task scans.
const CHUNK_SLOTS: u64 = 4096;
/// The longest epoch `leaderlog` accepts (mainnet's is 432,000 slots).
const MAX_EPOCH_SLOTS: u64 = 100_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Json,
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Network {
    Mainnet,
    Preprod,
    Preview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Consensus {
    Praos,
    Tpraos,
    Cpraos,
}

impl From<Consensus> for VrfVariant {
    fn from(c: Consensus) -> Self {
        match c {
            Consensus::Praos => VrfVariant::Praos,
            Consensus::Tpraos => VrfVariant::TPraos,
            Consensus::Cpraos => VrfVariant::CPraos,
        }
    }
}

/// Computes the slots a pool leads in an epoch.
#[derive(Debug, Args)]
#[command(
    after_help = "Time is given by --network with --epoch, by --shelley-genesis with --epoch, \
or by the custom set --system-start, --slot-length, --epoch-length and --first-slot."
)]
pub struct LeaderlogArgs {
    /// The pool's VRF signing key (cardano-cli VrfSigningKey_PraosVRF).
    #[arg(long, value_name = "FILE")]
    pub vrf_skey: PathBuf,
    /// The pool's active stake in the epoch's stake snapshot, in lovelace.
    #[arg(
        long,
        value_name = "LOVELACE",
        requires = "active_stake",
        conflicts_with = "stake_snapshot"
    )]
    pub pool_stake: Option<u64>,
    /// The total active stake of the epoch, in lovelace.
    #[arg(long, value_name = "LOVELACE", requires = "pool_stake")]
    pub active_stake: Option<u64>,
    /// The epoch nonce: 64 hex digits (or "neutral").
    #[arg(long, value_name = "HEX", conflicts_with = "protocol_state")]
    pub epoch_nonce: Option<String>,
    /// `cardano-cli query stake-snapshot --stake-pool-id POOL` output (JSON): the stake figures
    /// of the snapshot --ledger-set names, for the pool --pool-id names.
    #[arg(long, value_name = "FILE", requires = "pool_id")]
    pub stake_snapshot: Option<PathBuf>,
    /// `cardano-cli query protocol-state` output (JSON): the nonce of the epoch --ledger-set
    /// names (and, without --epoch, that epoch, from its lastSlot).
    #[arg(long, value_name = "FILE")]
    pub protocol_state: Option<PathBuf>,
    /// Which epoch the cardano-cli files describe: the current one (the `set` snapshot, the
    /// epoch nonce) or the next (the `mark` snapshot, the candidate nonce ⭒ the last epoch
    /// block nonce; final once the current epoch's stability window has begun).
    #[arg(long, value_enum, default_value = "current")]
    pub ledger_set: LedgerSet,
    /// A public network whose era history and parameters to use.
    #[arg(long, value_enum, conflicts_with_all = ["shelley_genesis", "system_start"])]
    pub network: Option<Network>,
    /// The epoch to schedule (required with --network and --shelley-genesis).
    #[arg(long)]
    pub epoch: Option<u64>,
    /// A Shelley genesis file (systemStart, slotLength, epochLength, activeSlotsCoeff).
    #[arg(long, value_name = "FILE", conflicts_with = "system_start")]
    pub shelley_genesis: Option<PathBuf>,
    /// Custom time: the UTC time of slot 0 (RFC 3339).
    #[arg(long, value_name = "TIME", requires_all = ["slot_length", "epoch_length", "first_slot"])]
    pub system_start: Option<String>,
    /// Custom time: seconds per slot.
    #[arg(long, value_name = "SECONDS")]
    pub slot_length: Option<f64>,
    /// Custom time: slots per epoch.
    #[arg(long, value_name = "SLOTS")]
    pub epoch_length: Option<u64>,
    /// Custom time: the epoch's first slot.
    #[arg(long, value_name = "SLOT")]
    pub first_slot: Option<u64>,
    /// The leader-election variant (default: the era of the epoch; praos for custom time).
    #[arg(long, value_enum)]
    pub consensus: Option<Consensus>,
    /// TPraos decentralisation parameter d (like 9/10 or 0.32); required for tpraos.
    #[arg(long, value_name = "RATIO")]
    pub d: Option<String>,
    /// Active slot coefficient f (default: the network's or the genesis file's, else 1/20).
    #[arg(long, value_name = "RATIO")]
    pub active_slot_coeff: Option<String>,
    /// Time zone of the printed slot times (IANA name, like Europe/Berlin).
    #[arg(long, default_value = "UTC")]
    pub tz: String,
    /// The pool id, bech32 (pool1…) or hex: picks the pool from --stake-snapshot, and is
    /// printed (as hex).
    #[arg(long)]
    pub pool_id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: OutputFormat,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

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

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Everything resolved from the arguments: the parameters, the time and the key.
pub struct Plan {
    pub leadership: EpochLeadership,
    pub history: EraHistory,
    pub f: ActiveSlotCoeff,
    pub tz: chrono_tz::Tz,
    /// The pool id, hex.
    pub pool_id: Option<String>,
    pub pool_stake: u64,
    pub active_stake: u64,
}

fn read(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

impl LeaderlogArgs {
    /// The pool's stake and the total: given, or from the stake snapshot.
    fn stake(&self, pool_id: Option<&str>) -> Result<(u64, u64)> {
        match (self.pool_stake, self.active_stake, &self.stake_snapshot, pool_id) {
            (Some(pool), Some(total), None, _) => Ok((pool, total)),
            (None, None, Some(path), Some(id)) => {
                let s = ledger_input::stake_snapshot(&read(path)?, id, self.ledger_set)
                    .with_context(|| path.display().to_string())?;
                Ok((s.pool, s.total))
            }
            _ => bail!("give the stake: --pool-stake and --active-stake, or --stake-snapshot FILE with --pool-id"),
        }
    }

    /// Resolves and validates every argument; nothing is computed yet.
    pub fn plan(&self) -> Result<Plan> {
        let pool_id = match &self.pool_id {
            Some(id) => Some(hex::encode(
                bech32_ids::parse_pool_id(id).map_err(|e| anyhow!("--pool-id: {e}"))?,
            )),
            None => None,
        };
        let (pool_stake, active_stake) = self.stake(pool_id.as_deref())?;
        let protocol_state = match &self.protocol_state {
            Some(path) => Some(ledger_input::protocol_state(&read(path)?).with_context(|| path.display().to_string())?),
            None => None,
        };
        // The epoch the protocol state describes (its last block's, or the next), when --epoch
        // is not given.
        let next = u64::from(self.ledger_set == LedgerSet::Next);
        let epoch_of_state = |history: &EraHistory| {
            protocol_state
                .as_ref()
                .and_then(|s| s.last_slot)
                .map(|slot| history.slot_to_epoch(slot).0 + next)
        };
        let tz: chrono_tz::Tz = self.tz.parse().map_err(|_| {
            anyhow!(
                "--tz {:?} is not an IANA time zone name (like UTC or Europe/Berlin)",
                self.tz
            )
        })?;
        let nonce = match (&self.epoch_nonce, &protocol_state) {
            (Some(hex), None) => Nonce::from_hex(hex).context("--epoch-nonce")?,
            (None, Some(state)) => state.nonce(self.ledger_set),
            _ => bail!("give the nonce: --epoch-nonce HEX, or --protocol-state FILE"),
        };

        let (history, epoch, default_variant, default_f) = if let Some(net) = self.network {
            let preset = NetworkPreset::by_name(match net {
                Network::Mainnet => "mainnet",
                Network::Preprod => "preprod",
                Network::Preview => "preview",
            })?;
            let epoch = self
                .epoch
                .or_else(|| epoch_of_state(&preset.history))
                .ok_or_else(|| anyhow!("--network needs --epoch"))?;
            let variant = match preset.era_of_epoch(epoch) {
                Era::Byron => bail!(
                    "epoch {epoch} of {} is in the Byron era, which has no stake-based leader election",
                    preset.name
                ),
                Era::Shelley | Era::Allegra | Era::Mary | Era::Alonzo => VrfVariant::TPraos,
                Era::Babbage => VrfVariant::Praos,
                Era::Conway => VrfVariant::CPraos,
            };
            (preset.history.clone(), epoch, variant, preset.active_slot_coeff)
        } else if let Some(path) = &self.shelley_genesis {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let genesis = ShelleyGenesis::from_json(&text).with_context(|| path.display().to_string())?;
            let f = parse_ratio(&genesis.active_slots_coeff.to_string())
                .map_err(|e| anyhow!("{}: activeSlotsCoeff: {e}", path.display()))?;
            let history = genesis.era_history().with_context(|| path.display().to_string())?;
            let epoch = self
                .epoch
                .or_else(|| epoch_of_state(&history))
                .ok_or_else(|| anyhow!("--shelley-genesis needs --epoch"))?;
            (history, epoch, VrfVariant::Praos, f)
        } else if let Some(start) = &self.system_start {
            let start = DateTime::parse_from_rfc3339(start)
                .map_err(|e| anyhow!("--system-start {start:?}: {e} (expected RFC 3339, like 2024-01-01T00:00:00Z)"))?;
            let slot_length = self.slot_length.unwrap_or_default();
            if !(0.001..=86_400.0).contains(&slot_length) {
                bail!("--slot-length must be between 0.001 and 86400 seconds");
            }
            let epoch_length = self.epoch_length.unwrap_or_default();
            let first_slot = self.first_slot.unwrap_or_default();
            if epoch_length == 0 {
                bail!("--epoch-length must be positive");
            }
            let epoch = self.epoch.unwrap_or(first_slot / epoch_length);
            let slot_ms = (slot_length * 1000.0).round() as u64;
            let first_ms = (first_slot as i128 * slot_ms as i128 + start.timestamp_millis() as i128)
                .try_into()
                .map_err(|_| anyhow!("--first-slot is too far in the future"))?;
            (
                EraHistory::anchored(epoch, first_slot, first_ms, slot_ms, epoch_length)?,
                epoch,
                VrfVariant::Praos,
                (1, 20),
            )
        } else {
            bail!("say which chain: --network NAME --epoch E, --shelley-genesis FILE --epoch E, or --system-start/--slot-length/--epoch-length/--first-slot");
        };

        let variant = self.consensus.map(VrfVariant::from).unwrap_or(default_variant);
        let (f_num, f_den) = match &self.active_slot_coeff {
            Some(s) => parse_ratio(s).map_err(|e| anyhow!("--active-slot-coeff: {e}"))?,
            None => default_f,
        };
        let f = ActiveSlotCoeff::new(f_num, f_den)?;
        let decentralisation = match (&self.d, variant) {
            (Some(d), _) => {
                let (n, dd) = parse_ratio(d).map_err(|e| anyhow!("--d: {e}"))?;
                if n > dd {
                    bail!("--d must be between 0 and 1, got {d}");
                }
                (n, dd)
            }
            (None, VrfVariant::TPraos) => {
                bail!("tpraos epochs need the decentralisation parameter: pass --d (like --d 9/10)")
            }
            (None, _) => (0, 1),
        };
        let threshold = LeaderThreshold::new(pool_stake, active_stake, f.clone())?;
        let (first_slot, epoch_length) = history.epoch_bounds(epoch)?;
        if epoch_length > MAX_EPOCH_SLOTS {
            bail!("an epoch of {epoch_length} slots is more than leaderlog scans (at most {MAX_EPOCH_SLOTS})");
        }
        Ok(Plan {
            leadership: EpochLeadership {
                epoch,
                first_slot,
                epoch_length,
                nonce,
                variant,
                threshold,
                decentralisation,
            },
            history,
            f,
            tz,
            pool_id,
            pool_stake,
            active_stake,
        })
    }
}

/// Scans the epoch on all worker threads, showing progress on a terminal.
pub fn scan_parallel(leadership: &EpochLeadership, key: &VrfSecretKey, progress: &ProgressBar) -> Vec<WonSlot> {
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
