//! `leaderlog --socket`: the epoch's leadership inputs read from a node's node-to-client
//! socket with pallas-network's client (the one the ecosystem's pallas-based tools use against
//! cardano-node) — cheap queries only, never the whole ledger: the system start and the era
//! history (the epoch's time), the Shelley genesis (f, k), the Praos state (the nonces), the
//! ledger's epoch, and the pool's and the total stake of the snapshot that elects the epoch's
//! leaders (`set` for the current epoch, `mark` for the next).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use pallas_network::facades::NodeClient;
use pallas_network::miniprotocols::localstate::queries_v16 as q;
use pallas_network::miniprotocols::localtxsubmission::SMaybe;

use super::ledger_input::{LedgerSet, ProtocolState, SnapshotStake};
use crate::local_client::{self, epoch_in, era_history, system_start_ms};

/// The hard-fork combinator's index of the Conway era; Babbage's is one less.
const CONWAY: u16 = 6;

/// What the node says of the epoch to schedule.
#[derive(Debug, Clone)]
pub struct ChainFacts {
    /// The epoch to schedule (the ledger's, or the next).
    pub epoch: u64,
    /// Its era's index in the hard-fork combinator (5 Babbage, 6 Conway).
    pub era: u16,
    /// Its first slot and length, and the Unix time of its first slot.
    pub first_slot: u64,
    pub epoch_length: u64,
    pub start_ms: i64,
    pub slot_length_ms: u64,
    /// The active slot coefficient f.
    pub f: (u64, u64),
    /// The Praos nonces.
    pub nonces: ProtocolState,
    /// The pool's and the total stake of the electing snapshot.
    pub stake: SnapshotStake,
}

/// Reads the facts of the epoch `set` names for `pool` from the node at `socket`.
pub fn read(socket: &Path, magic: u32, pool: [u8; 28], set: LedgerSet) -> Result<ChainFacts> {
    local_client::with_node(socket, magic, async |client| query(client, pool, set).await)
}

async fn query(client: &mut NodeClient, pool: [u8; 28], set: LedgerSet) -> Result<ChainFacts> {
    let sq = client.statequery();
    sq.acquire(None).await.context("acquiring the node's ledger state")?;
    let start = q::get_system_start(sq).await.context("GetSystemStart")?;
    let system_start_ms = system_start_ms(&start)?;
    let era = q::get_current_era(sq).await.context("GetCurrentEra")?;
    if era != CONWAY && era != CONWAY - 1 {
        bail!("the node's ledger is in era {era}; leaderlog --socket schedules Babbage and Conway epochs");
    }
    let ledger_epoch = u64::from(q::get_block_epoch_number(sq, era).await.context("GetEpochNo")?);
    let epoch = ledger_epoch + u64::from(set == LedgerSet::Next);
    let genesis = q::get_genesis_config(sq, era).await.context("GetGenesisConfig")?;
    let f = (
        genesis.active_slots_coefficient.num,
        genesis.active_slots_coefficient.den,
    );
    let praos = local_client::praos_state(sq, era).await?;
    let nonces = ProtocolState {
        last_slot: praos.last_slot,
        epoch_nonce: praos.epoch_nonce,
        candidate_nonce: praos.candidate_nonce,
        last_epoch_block_nonce: praos.last_epoch_block_nonce,
    };
    if set == LedgerSet::Next {
        // The next epoch's nonce is final once the stability window (4k/f slots before the
        // epoch's end in Conway, 3k/f in Babbage) has begun; before, leaderlog would guess.
        let k = u64::from(genesis.security_param);
        let window = slotforge_praos::nonce::stability_window(k, f.0, f.1, era >= CONWAY);
        let epoch_length = u64::from(genesis.epoch_length);
        let last = nonces.last_slot.unwrap_or(0);
        let history = era_history(sq).await?;
        let (next_first, _) = epoch_in(&history, epoch, system_start_ms)
            .map(|e| (e.first_slot, e.epoch_length))
            .unwrap_or((epoch * epoch_length, epoch_length));
        if last.saturating_add(window) < next_first {
            bail!(
                "epoch {epoch}'s nonce is not fixed yet: it is from slot {} on (the node's tip is at slot {last}); run with --current, or later",
                next_first.saturating_sub(window)
            );
        }
    }
    let snapshots = q::get_stake_snapshots(
        sq,
        era,
        SMaybe::Some(q::TaggedSet::from(std::collections::BTreeSet::from([pool
            .to_vec()
            .into()]))),
    )
    .await
    .context("GetStakeSnapshots")?;
    let pool_stakes = snapshots
        .stake_snapshots
        .iter()
        .find(|(id, _)| id.as_slice() == pool)
        .map(|(_, s)| (s.snapshot_mark_pool, s.snapshot_set_pool))
        .unwrap_or((0, 0));
    let stake = match set {
        LedgerSet::Current => SnapshotStake {
            pool: pool_stakes.1,
            total: snapshots.snapshot_stake_set_total,
        },
        LedgerSet::Next => SnapshotStake {
            pool: pool_stakes.0,
            total: snapshots.snapshot_stake_mark_total,
        },
    };
    let history = era_history(sq).await?;
    let e = epoch_in(&history, epoch, system_start_ms).ok_or_else(|| {
        anyhow!(
            "epoch {epoch} is beyond the node's era history, which predicts time only a safe zone (3k/f slots) past its tip: ask again closer to the epoch's start"
        )
    })?;
    sq.send_release().await.ok();
    Ok(ChainFacts {
        epoch,
        era,
        first_slot: e.first_slot,
        epoch_length: e.epoch_length,
        start_ms: e.start_ms,
        slot_length_ms: e.slot_length_ms,
        f,
        nonces,
        stake,
    })
}
