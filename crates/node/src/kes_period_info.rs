//! `slotforge kes-period-info`: the checks cardano-cli's `query kes-period-info` makes of an
//! operational certificate against a node (cardano-node's or slotforge's, over its
//! node-to-client socket), so an operator sees a KES key's expiry before it bites: the
//! certificate's counter against the chain's, the current KES period against the
//! certificate's interval, and the periods, slots and time left.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use pallas_network::miniprotocols::localstate::queries_v16 as q;
use serde::Serialize;
use slotforge_crypto::key_file::{self, KeyKind};

use crate::local_client::{self, era_history, system_start_ms, MAINNET_MAGIC};

/// Checks an operational certificate against a node: counter and KES periods.
#[derive(Debug, Args)]
pub struct KesPeriodInfoArgs {
    /// The node's node-to-client socket.
    #[arg(long, value_name = "PATH")]
    pub socket: PathBuf,
    /// The node's network magic (default: mainnet's, 764824073).
    #[arg(long, value_name = "MAGIC")]
    pub testnet_magic: Option<u32>,
    /// The operational certificate (cardano-cli's NodeOperationalCertificate).
    #[arg(long, value_name = "FILE")]
    pub op_cert: PathBuf,
}

/// What `kes-period-info` reports, in cardano-cli's JSON names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KesPeriodInfo {
    #[serde(rename = "qKesCurrentKesPeriod")]
    pub current_kes_period: u64,
    #[serde(rename = "qKesStartKesInterval")]
    pub start_kes_interval: u64,
    #[serde(rename = "qKesEndKesInterval")]
    pub end_kes_interval: u64,
    #[serde(rename = "qKesRemainingSlotsInKesPeriod")]
    pub remaining_slots_in_kes_period: u64,
    #[serde(rename = "qKesOnDiskOperationalCertificateNumber")]
    pub on_disk_counter: u64,
    #[serde(rename = "qKesNodeStateOperationalCertificateNumber")]
    pub node_state_counter: Option<u64>,
    #[serde(rename = "qKesMaxKESEvolutions")]
    pub max_kes_evolutions: u64,
    #[serde(rename = "qKesSlotsPerKesPeriod")]
    pub slots_per_kes_period: u64,
    #[serde(rename = "qKesKesKeyExpiry")]
    pub kes_key_expiry: Option<String>,
}

/// The chain's view of a certificate, and the verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub info: KesPeriodInfo,
    /// The counter is the chain's or one more (the Praos OCERT rule).
    pub counter_ok: bool,
    /// The current KES period is within the certificate's interval.
    pub period_ok: bool,
}

/// The checks, pure: the certificate's counter and start period, the chain's counter for the
/// pool (none before its first block), the tip's slot, the genesis KES parameters, and the
/// Unix time of a slot.
pub fn check(
    counter: u64,
    start_period: u64,
    chain_counter: Option<u64>,
    tip_slot: u64,
    slots_per_kes_period: u64,
    max_kes_evolutions: u64,
    slot_time_ms: impl Fn(u64) -> Option<i64>,
) -> Checked {
    let per = slots_per_kes_period.max(1);
    let current = tip_slot / per;
    let end = start_period.saturating_add(max_kes_evolutions);
    let expiry_slot = end.saturating_mul(per);
    let kes_key_expiry = slot_time_ms(expiry_slot)
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Checked {
        info: KesPeriodInfo {
            current_kes_period: current,
            start_kes_interval: start_period,
            end_kes_interval: end,
            remaining_slots_in_kes_period: per - tip_slot % per,
            on_disk_counter: counter,
            node_state_counter: chain_counter,
            max_kes_evolutions,
            slots_per_kes_period: per,
            kes_key_expiry,
        },
        counter_ok: match chain_counter {
            None => true,
            Some(c) => counter == c || counter == c.saturating_add(1),
        },
        period_ok: start_period <= current && current < end,
    }
}

/// Runs the checks against the node; prints them and the JSON.
pub fn run(args: &KesPeriodInfoArgs) -> Result<Checked> {
    let cert = key_file::read_key_file(&args.op_cert, KeyKind::OperationalCertificate, key_file::parse_opcert)
        .with_context(|| format!("reading {}", args.op_cert.display()))?;
    let pool = slotforge_praos::nonce::blake2b224(&cert.cold_vkey);
    let magic = args.testnet_magic.unwrap_or(MAINNET_MAGIC);
    local_client::with_node(&args.socket, magic, async |client| {
        let sq = client.statequery();
        sq.acquire(None).await.context("acquiring the node's ledger state")?;
        let era = q::get_current_era(sq).await.context("GetCurrentEra")?;
        let genesis = q::get_genesis_config(sq, era).await.context("GetGenesisConfig")?;
        let praos = local_client::praos_state(sq, era).await?;
        let start = system_start_ms(&q::get_system_start(sq).await.context("GetSystemStart")?)?;
        let history = era_history(sq).await?;
        let tip = match q::get_chain_point(sq).await.context("GetChainPoint")? {
            pallas_network::miniprotocols::Point::Specific(slot, _) => slot,
            pallas_network::miniprotocols::Point::Origin => 0,
        };
        sq.send_release().await.ok();
        // Beyond the node's safe zone, the current era's rules, as cardano-cli assumes.
        let slot_time = |slot: u64| local_client::slot_time_ms(&history, slot, start);
        Ok(check(
            cert.sequence_number,
            cert.kes_period,
            praos.counters.get(&pool).copied(),
            tip,
            u64::from(genesis.slots_per_kes_period),
            u64::from(genesis.max_kes_evolutions),
            slot_time,
        ))
    })
}

/// The verdicts as cardano-cli words them, one line each.
pub fn verdicts(c: &Checked) -> Vec<String> {
    let i = &c.info;
    let counter = match (c.counter_ok, i.node_state_counter) {
        (true, None) => "✓ The operational certificate counter is accepted: the pool has made no block yet".to_string(),
        (true, Some(n)) => format!(
            "✓ The operational certificate counter agrees with the node protocol state counter ({} on disk, {n} on chain)",
            i.on_disk_counter
        ),
        (false, Some(n)) => format!(
            "✗ The protocol state counter is {n}; the certificate on disk is {}: issue one numbered {n} or {}",
            i.on_disk_counter,
            n.saturating_add(1)
        ),
        (false, None) => unreachable!("a counter without a chain counter is accepted"),
    };
    let period = if c.period_ok {
        format!(
            "✓ Operational certificate's KES period is within the correct KES period interval ({} in [{}, {})); the key expires {}",
            i.current_kes_period,
            i.start_kes_interval,
            i.end_kes_interval,
            i.kes_key_expiry.as_deref().unwrap_or("beyond the node's time horizon")
        )
    } else {
        format!(
            "✗ Operational certificate's KES period is out of the interval: the current KES period is {}, the certificate's is [{}, {}): make a new KES key and certificate",
            i.current_kes_period, i.start_kes_interval, i.end_kes_interval
        )
    };
    vec![counter, period]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_and_the_interval_are_checked_as_cardano_cli_does() {
        let at = |slot: u64| Some(slot as i64 * 1000);
        // Period 10 of 100-slot periods, a certificate from period 4 for 62 evolutions.
        let c = check(3, 4, Some(3), 1_050, 100, 62, at);
        assert!(c.counter_ok && c.period_ok);
        assert_eq!(c.info.current_kes_period, 10);
        assert_eq!(c.info.end_kes_interval, 66);
        assert_eq!(c.info.remaining_slots_in_kes_period, 50);
        assert_eq!(c.info.kes_key_expiry.as_deref(), Some("1970-01-01T01:50:00Z"));
        // One more than the chain's: the next certificate, accepted; two more, not; less, not.
        assert!(check(4, 4, Some(3), 1_050, 100, 62, at).counter_ok);
        assert!(!check(5, 4, Some(3), 1_050, 100, 62, at).counter_ok);
        assert!(!check(2, 4, Some(3), 1_050, 100, 62, at).counter_ok);
        // No block yet: any counter.
        assert!(check(0, 4, None, 1_050, 100, 62, at).counter_ok);
        // Before its start, and at its end, the key is not valid.
        assert!(!check(3, 11, Some(3), 1_050, 100, 62, at).period_ok);
        assert!(!check(3, 4, Some(3), 6_600, 100, 62, at).period_ok);
        assert!(check(3, 4, Some(3), 6_599, 100, 62, at).period_ok);
    }
}
