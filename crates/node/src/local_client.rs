//! What slotforge's commands read from a node's node-to-client socket (cardano-node's or
//! slotforge's), with pallas-network's client: the connection, the system start, the era
//! history and the Praos state, each decoded as the node writes it. `leaderlog --socket` and
//! `kes-period-info` are built on it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use minicbor::data::{Tag, Type};
use minicbor::Decoder;
use pallas_codec::utils::AnyCbor;
use pallas_network::facades::NodeClient;
use pallas_network::miniprotocols::localstate::queries_v16 as q;
use pallas_network::miniprotocols::localstate::Client;
use slotforge_praos::nonce::Nonce;

/// Mainnet's network magic, the default of `--testnet-magic`.
pub const MAINNET_MAGIC: u32 = 764_824_073;

/// Connects to the node at `socket` and runs `f` with the client on a runtime of its own.
pub fn with_node<T>(socket: &Path, magic: u32, f: impl AsyncFnOnce(&mut NodeClient) -> Result<T>) -> Result<T> {
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
        let out = f(&mut client).await;
        client.abort().await;
        out
    })
}

/// `SystemStart` (`[year, dayOfYear, picosecondsOfDay]`) as Unix milliseconds.
pub fn system_start_ms(s: &q::SystemStart) -> Result<i64> {
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
pub struct EraSummary {
    pub start_time_ps: u128,
    pub start_slot: u64,
    pub start_epoch: u64,
    /// The first epoch after the era, if the era ends.
    pub end_epoch: Option<u64>,
    pub epoch_size: u64,
    pub slot_length_ms: u64,
}

/// The era history (`GetInterpreter`).
pub async fn era_history(sq: &mut Client) -> Result<Vec<EraSummary>> {
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

pub fn summaries(bytes: &[u8]) -> Result<Vec<EraSummary>> {
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
pub struct EpochTime {
    pub first_slot: u64,
    pub epoch_length: u64,
    pub start_ms: i64,
    pub slot_length_ms: u64,
}

/// Where `epoch` is in the history: the era whose epochs include it (the last era's bound is
/// where the node stops predicting time; an epoch beyond is not known).
pub fn epoch_in(history: &[EraSummary], epoch: u64, system_start_ms: i64) -> Option<EpochTime> {
    let era = history
        .iter()
        .find(|e| e.start_epoch <= epoch && e.end_epoch.is_none_or(|end| epoch < end))?;
    let first_slot = (epoch - era.start_epoch)
        .checked_mul(era.epoch_size)?
        .checked_add(era.start_slot)?;
    let start_ms = slot_time_ms(history, first_slot, system_start_ms)?;
    Some(EpochTime {
        first_slot,
        epoch_length: era.epoch_size,
        start_ms,
        slot_length_ms: era.slot_length_ms,
    })
}

/// When `slot` starts, in Unix milliseconds: by the era whose start is the last before it
/// (beyond the era's known end, by that era's rules, as cardano-cli reads time).
pub fn slot_time_ms(history: &[EraSummary], slot: u64, system_start_ms: i64) -> Option<i64> {
    let era = history.iter().rev().find(|e| e.start_slot <= slot)?;
    let in_era = (slot - era.start_slot).checked_mul(era.slot_length_ms)?;
    system_start_ms
        .checked_add(i64::try_from(era.start_time_ps / 1_000_000_000).ok()?)?
        .checked_add(i64::try_from(in_era).ok()?)
}

/// The Praos state (`[0, [lastSlot, counters, evolving, candidate, epoch, (previous epoch,)
/// lab, lastEpochBlock]]`: 7 fields before cardano-node 10.7, 8 from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PraosState {
    /// The slot of the last block applied, if any.
    pub last_slot: Option<u64>,
    /// The last operational-certificate number seen, by pool.
    pub counters: BTreeMap<[u8; 28], u64>,
    /// η_c.
    pub candidate_nonce: Nonce,
    /// η_e of the current epoch.
    pub epoch_nonce: Nonce,
    /// The last epoch block nonce.
    pub last_epoch_block_nonce: Nonce,
}

/// The node's Praos state (`GetCBOR DebugChainDepState`, what `cardano-cli query
/// protocol-state` asks for).
pub async fn praos_state(sq: &mut Client, era: u16) -> Result<PraosState> {
    let praos = q::get_cbor(sq, era, q::BlockQuery::DebugChainDepState)
        .await
        .context("GetCBOR DebugChainDepState")?;
    let praos = praos.first().ok_or_else(|| anyhow!("an empty Praos state"))?;
    decode_praos_state(&praos.0).context("reading the Praos state")
}

/// Decodes the Praos state's CBOR.
pub fn decode_praos_state(bytes: &[u8]) -> Result<PraosState> {
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
    let mut counters = BTreeMap::new();
    let m = d.map()?.ok_or_else(|| anyhow!("indefinite counters"))?;
    for _ in 0..m {
        let id: [u8; 28] = d
            .bytes()?
            .try_into()
            .map_err(|_| anyhow!("a pool id of the wrong size"))?;
        counters.insert(id, d.u64()?);
    }
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
    Ok(PraosState {
        last_slot,
        counters,
        candidate_nonce,
        epoch_nonce,
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
                "8200{:02x}82011864a1581c{}05{}{}{}{}{}{}",
                0x80 + n,
                "aa".repeat(28),
                h(1),
                h(2),
                h(3),
                prev,
                h(4),
                h(5)
            ))
            .unwrap();
            let s = decode_praos_state(&bytes).unwrap();
            assert_eq!(s.counters, BTreeMap::from([([0xaa; 28], 5)]));
            assert_eq!(s.last_slot, Some(100));
            assert_eq!(s.candidate_nonce, Nonce::Hash([2; 32]));
            assert_eq!(s.epoch_nonce, Nonce::Hash([3; 32]));
            assert_eq!(s.last_epoch_block_nonce, Nonce::Hash([5; 32]));
        }
    }
}
