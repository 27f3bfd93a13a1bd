//! `leaderlog --socket`: the epoch's leadership inputs read from a node's node-to-client
//! socket with pallas-network's client (the one the ecosystem's pallas-based tools use against
//! cardano-node) — cheap queries only, never the whole ledger: the system start and the era
//! history (the epoch's time), the Shelley genesis (f, k), the Praos state (the nonces), the
//! ledger's epoch, and the pool's and the total stake of the snapshot that elects the epoch's
//! leaders (`set` for the current epoch, `mark` for the next).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use minicbor::data::{Tag, Type};
use minicbor::Decoder;
use pallas_codec::utils::AnyCbor;
use pallas_network::facades::NodeClient;
use pallas_network::miniprotocols::localstate::queries_v16 as q;
use pallas_network::miniprotocols::localtxsubmission::SMaybe;
use slotforge_praos::nonce::Nonce;

use super::ledger_input::{LedgerSet, ProtocolState, SnapshotStake};

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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the client's runtime")?;
    rt.block_on(async {
        let mut client = NodeClient::connect(socket, u64::from(magic)).await.map_err(|e| {
            anyhow!(
                "{}: {e} (is a node listening there, on network magic {magic}? give it with --testnet-magic)",
                socket.display()
            )
        })?;
        let facts = query(&mut client, pool, set).await;
        client.abort().await;
        facts
    })
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
    let praos = q::get_cbor(sq, era, q::BlockQuery::DebugChainDepState)
        .await
        .context("GetCBOR DebugChainDepState")?;
    let praos = praos.first().ok_or_else(|| anyhow!("an empty Praos state"))?;
    let nonces = praos_state(&praos.0).context("reading the Praos state")?;
    if set == LedgerSet::Next {
        // The next epoch's nonce is final once the stability window (4k/f slots before the
        // epoch's end, in Conway) has begun; before, leaderlog would guess.
        let k = u64::from(genesis.security_param);
        let window = (4 * k * f.1).div_ceil(f.0.max(1));
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
        anyhow!("epoch {epoch} is beyond the node's era history (it knows the time up to its safe zone)")
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

/// `SystemStart` (`[year, dayOfYear, picosecondsOfDay]`) as Unix milliseconds.
fn system_start_ms(s: &q::SystemStart) -> Result<i64> {
    let int = |b: &q::BigInt| match b {
        q::BigInt::Int(i) => Ok(i128::from(*i)),
        _ => bail!("a system start beyond 64 bits"),
    };
    let (year, day, picos) = (int(&s.year)?, s.day_of_year, int(&s.picoseconds_of_day)?);
    let date = chrono::NaiveDate::from_yo_opt(year as i32, day as u32)
        .ok_or_else(|| anyhow!("the system start {year}, day {day} is not a date"))?;
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis();
    Ok(midnight + (picos / 1_000_000_000) as i64)
}

/// One era of the node's history: where it starts and its epochs' size and slots' length.
#[derive(Debug, Clone, Copy)]
struct EraSummary {
    start_time_ps: u128,
    start_slot: u64,
    start_epoch: u64,
    /// The first epoch after the era, if the era ends.
    end_epoch: Option<u64>,
    epoch_size: u64,
    slot_length_ms: u64,
}

/// The era history (`GetInterpreter`).
async fn era_history(sq: &mut pallas_network::miniprotocols::localstate::Client) -> Result<Vec<EraSummary>> {
    let query: AnyCbor = pallas_codec::minicbor::decode(&[0x82, 0x00, 0x82, 0x02, 0x81, 0x00]).expect("a CBOR item");
    let result = sq.query_any(query).await.context("GetInterpreter")?;
    let bytes = pallas_codec::minicbor::to_vec(result).context("the era history")?;
    summaries(&bytes).context("reading the era history")
}

/// An integer that may be a bignum (the Shelley era starts beyond 2^64 picoseconds on mainnet).
fn big_uint(d: &mut Decoder<'_>) -> Result<u128> {
    if d.datatype()? == Type::Tag {
        if d.tag()? != Tag::new(2) {
            bail!("an unknown tag where a number was expected");
        }
        let b = d.bytes()?;
        if b.len() > 16 {
            bail!("a number beyond 128 bits");
        }
        return Ok(b.iter().fold(0u128, |n, x| (n << 8) | u128::from(*x)));
    }
    Ok(u128::from(d.u64()?))
}

fn bound(d: &mut Decoder<'_>) -> Result<(u128, u64, u64)> {
    let n = d.array()?.unwrap_or(0);
    let time = big_uint(d)?;
    let slot = d.u64()?;
    let epoch = d.u64()?;
    for _ in 3..n {
        d.skip()?;
    }
    Ok((time, slot, epoch))
}

fn summaries(bytes: &[u8]) -> Result<Vec<EraSummary>> {
    let mut d = Decoder::new(bytes);
    let mut out = Vec::new();
    let n = d.array()?;
    let mut i = 0;
    while n.is_none_or(|n| i < n) {
        if n.is_none() && d.datatype()? == Type::Break {
            break;
        }
        d.array()?;
        let (start_time_ps, start_slot, start_epoch) = bound(&mut d)?;
        let end_epoch = if d.datatype()? == Type::Null {
            d.skip()?;
            None
        } else {
            Some(bound(&mut d)?.2)
        };
        let m = d.array()?.unwrap_or(0);
        let epoch_size = d.u64()?;
        let slot_length_ms = d.u64()?;
        for _ in 2..m {
            d.skip()?;
        }
        out.push(EraSummary {
            start_time_ps,
            start_slot,
            start_epoch,
            end_epoch,
            epoch_size,
            slot_length_ms,
        });
        i += 1;
    }
    Ok(out)
}

/// An epoch's time, from the era that holds it.
#[derive(Debug, Clone, Copy)]
struct EpochTime {
    first_slot: u64,
    epoch_length: u64,
    start_ms: i64,
    slot_length_ms: u64,
}

/// Where `epoch` is in the history: the era whose epochs include it (the last era's bound is
/// where the node stops predicting time; an epoch beyond is not known).
fn epoch_in(history: &[EraSummary], epoch: u64, system_start_ms: i64) -> Option<EpochTime> {
    let era = history
        .iter()
        .find(|e| e.start_epoch <= epoch && e.end_epoch.is_none_or(|end| epoch < end))?;
    let first_slot = era.start_slot + (epoch - era.start_epoch) * era.epoch_size;
    let start_ms = system_start_ms
        .checked_add(i64::try_from(era.start_time_ps / 1_000_000_000).ok()?)?
        .checked_add(i64::try_from((first_slot - era.start_slot) * era.slot_length_ms).ok()?)?;
    Some(EpochTime {
        first_slot,
        epoch_length: era.epoch_size,
        start_ms,
        slot_length_ms: era.slot_length_ms,
    })
}

/// The Praos state's fields leaderlog reads (`[0, [lastSlot, counters, evolving, candidate,
/// epoch, (previous epoch,) lab, lastEpochBlock]]`, 7 fields before node 10.7, 8 from it).
fn praos_state(bytes: &[u8]) -> Result<ProtocolState> {
    let mut d = Decoder::new(bytes);
    d.array()?;
    if d.u8()? != 0 {
        bail!("an unknown Praos state version");
    }
    let n = d.array()?.ok_or_else(|| anyhow!("an indefinite Praos state"))?;
    if n != 7 && n != 8 {
        bail!("a Praos state of {n} fields");
    }
    let last_slot = match d.array()? {
        Some(2) => {
            d.u8()?;
            Some(d.u64()?)
        }
        _ => {
            d.u8()?;
            None
        }
    };
    d.skip()?; // the opcert counters
    let mut nonce = || -> Result<Nonce> {
        Ok(match d.array()? {
            Some(2) => {
                d.u8()?;
                Nonce::Hash(
                    d.bytes()?
                        .try_into()
                        .map_err(|_| anyhow!("a nonce of the wrong size"))?,
                )
            }
            _ => {
                d.u8()?;
                Nonce::Neutral
            }
        })
    };
    let _evolving = nonce()?;
    let candidate_nonce = nonce()?;
    let epoch_nonce = nonce()?;
    if n == 8 {
        let _previous = nonce()?;
    }
    let _lab = nonce()?;
    let last_epoch_block_nonce = nonce()?;
    Ok(ProtocolState {
        last_slot,
        epoch_nonce,
        candidate_nonce,
        last_epoch_block_nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_history_beyond_64_bits_of_picoseconds_is_read() {
        // Shelley starts at 89,856,000 s = 8.9856e19 ps (`c2 49 04df00a3ec29800000`).
        let shelley = "83c24904df00a3ec29800000 1a00448e00 18d0".replace(' ', "");
        let bytes = hex::decode(format!(
            "9f83 830000 00 {shelley} 8419546019 4e20 83001910e08100 1910e0 83 {shelley} f6 841a00069780 1903e8 830019fd2081 00 19fd20 ff"
        )
        .replace(' ', ""))
        .unwrap();
        let h = summaries(&bytes).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].start_time_ps, 89_856_000_000_000_000_000);
        assert_eq!(
            (h[1].start_slot, h[1].start_epoch, h[1].epoch_size),
            (4_492_800, 208, 432_000)
        );
        // Mainnet epoch 500: slot 4,492,800 + 292 × 432,000, from 2017-09-23T21:44:51Z.
        let t = epoch_in(&h, 500, 1_506_203_091_000).unwrap();
        assert_eq!(t.first_slot, 130_636_800);
        assert_eq!(
            t.start_ms,
            1_506_203_091_000 + 89_856_000_000 + (130_636_800 - 4_492_800) * 1000
        );
        assert!(epoch_in(&h, 100, 0).is_some_and(|t| t.epoch_length == 21_600));
    }

    #[test]
    fn the_praos_state_is_read_with_or_without_the_previous_nonce() {
        let h = |b: u8| format!("82015820{}", hex::encode([b; 32]));
        for (n, prev) in [(7, String::new()), (8, h(9))] {
            let bytes = hex::decode(format!(
                "8200{:02x}82011864a0{}{}{}{}{}{}",
                0x80 + n,
                h(1),
                h(2),
                h(3),
                prev,
                h(4),
                h(5)
            ))
            .unwrap();
            let s = praos_state(&bytes).unwrap();
            assert_eq!(s.last_slot, Some(100));
            assert_eq!(s.candidate_nonce, Nonce::Hash([2; 32]));
            assert_eq!(s.epoch_nonce, Nonce::Hash([3; 32]));
            assert_eq!(s.last_epoch_block_nonce, Nonce::Hash([5; 32]));
        }
    }
}
