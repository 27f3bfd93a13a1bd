//! `leaderlog`'s arguments resolved and validated into a [`Plan`] — the epoch's leadership
//! parameters, its time, the stake — before anything is computed: the stake given or read from
//! a stake snapshot, the nonce given or read from a protocol state, the time from a public
//! network, a genesis file or custom values.

use anyhow::{anyhow, bail, Context, Result};
use chrono::DateTime;
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::Nonce;
use slotforge_praos::ratio::parse_ratio;
use slotforge_praos::schedule::PraosEpoch;
use slotforge_praos::time::{ConsensusGenesis, Era, EraHistory, NetworkPreset};

use super::cli::{LeaderlogArgs, Network};
use super::ledger_input::{self, LedgerSet};
use super::socket;
use crate::bech32_ids;

/// The longest epoch `leaderlog` accepts (mainnet's is 432,000 slots).
const MAX_EPOCH_SLOTS: u64 = 100_000_000;

/// Mainnet's network magic, the default of `--testnet-magic`.
const MAINNET_MAGIC: u32 = 764_824_073;

/// Everything resolved from the arguments: the parameters, the time and the key.
pub struct Plan {
    pub leadership: PraosEpoch,
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
    /// Which epoch's leader election: `--next`, or `--ledger-set`, else the current one.
    fn set(&self) -> LedgerSet {
        match (self.next, self.ledger_set) {
            (true, _) => LedgerSet::Next,
            (false, Some(s)) => s,
            (false, None) => LedgerSet::Current,
        }
    }

    fn tz(&self) -> Result<chrono_tz::Tz> {
        self.tz.parse().map_err(|_| {
            anyhow!(
                "--tz {:?} is not an IANA time zone name (like UTC or Europe/Berlin)",
                self.tz
            )
        })
    }

    /// The plan from a node's node-to-client socket.
    fn plan_from_socket(&self, path: &std::path::Path) -> Result<Plan> {
        let id = self
            .pool_id
            .as_deref()
            .ok_or_else(|| anyhow!("--socket needs --pool-id"))?;
        let pool = bech32_ids::parse_pool_id(id).map_err(|e| anyhow!("--pool-id: {e}"))?;
        let set = self.set();
        let facts = socket::read(path, self.testnet_magic.unwrap_or(MAINNET_MAGIC), pool, set)?;
        let tz = self.tz()?;
        let f = ActiveSlotCoeff::new(facts.f.0, facts.f.1)?;
        let variant = if facts.era >= 6 {
            VrfVariant::CPraos
        } else {
            VrfVariant::Praos
        };
        if facts.stake.pool == 0 {
            bail!(
                "pool {} has no stake in the snapshot that elects epoch {}'s leaders: it leads no slot",
                hex::encode(pool),
                facts.epoch
            );
        }
        let threshold = LeaderThreshold::new(facts.stake.pool, facts.stake.total, f.clone())?;
        let history = EraHistory::anchored(
            facts.epoch,
            facts.first_slot,
            facts.start_ms,
            facts.slot_length_ms,
            facts.epoch_length,
        )?;
        if facts.epoch_length > MAX_EPOCH_SLOTS {
            bail!(
                "an epoch of {} slots is more than leaderlog scans (at most {MAX_EPOCH_SLOTS})",
                facts.epoch_length
            );
        }
        Ok(Plan {
            leadership: PraosEpoch {
                epoch: facts.epoch,
                first_slot: facts.first_slot,
                epoch_length: facts.epoch_length,
                nonce: facts.nonces.nonce(set),
                variant,
                threshold,
                decentralisation: (0, 1),
            },
            history,
            f,
            tz,
            pool_id: Some(hex::encode(pool)),
            pool_stake: facts.stake.pool,
            active_stake: facts.stake.total,
        })
    }

    /// The pool's stake and the total: given, or from the stake snapshot.
    fn stake(&self, pool_id: Option<&str>) -> Result<(u64, u64)> {
        match (self.pool_stake, self.active_stake, &self.stake_snapshot, pool_id) {
            (Some(pool), Some(total), None, _) => Ok((pool, total)),
            (None, None, Some(path), Some(id)) => {
                let s = ledger_input::stake_snapshot(&read(path)?, id, self.set())
                    .with_context(|| path.display().to_string())?;
                Ok((s.pool, s.total))
            }
            _ => bail!("give the stake: --pool-stake and --active-stake, or --stake-snapshot FILE with --pool-id"),
        }
    }

    /// Resolves and validates every argument; nothing is computed yet.
    pub fn plan(&self) -> Result<Plan> {
        if let Some(path) = &self.socket {
            return self.plan_from_socket(path);
        }
        if self.current || self.next {
            bail!("--current and --next choose the epoch read from --socket; without it, use --ledger-set");
        }
        let set = self.set();
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
        let next = u64::from(set == LedgerSet::Next);
        let epoch_of_state = |history: &EraHistory| {
            protocol_state
                .as_ref()
                .and_then(|s| s.last_slot)
                .map(|slot| history.slot_to_epoch(slot).0 + next)
        };
        let tz = self.tz()?;
        let nonce = match (&self.epoch_nonce, &protocol_state) {
            (Some(hex), None) => Nonce::from_hex(hex).context("--epoch-nonce")?,
            (None, Some(state)) => state.nonce(set),
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
            let genesis = ConsensusGenesis::from_json(&text).with_context(|| path.display().to_string())?;
            let f = (genesis.active_slots_coeff.num, genesis.active_slots_coeff.den);
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
            leadership: PraosEpoch {
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
