//! `leaderlog`'s ledger inputs as cardano-cli prints them: `query stake-snapshot` (the pool's
//! and the total active stake in the mark, set and go snapshots) and `query protocol-state`
//! (the Praos nonces), so an operator never copies a nonce or a stake figure by hand.

use serde_json::Value;
use slotforge_praos::nonce::Nonce;

/// Which epoch's leader election, as cncli's `--ledger-set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LedgerSet {
    /// The current epoch: the `set` snapshot and the epoch nonce.
    Current,
    /// The next epoch: the `mark` snapshot and the nonce it will have (the candidate nonce,
    /// frozen once the epoch's stability window has begun, ⭒ the last epoch block nonce).
    Next,
}

/// Why a cardano-cli JSON file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerInputError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Field(String),
}

fn field(msg: impl Into<String>) -> LedgerInputError {
    LedgerInputError::Field(msg.into())
}

/// A pool's stake and the total active stake, for one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotStake {
    pub pool: u64,
    pub total: u64,
}

/// Reads `cardano-cli query stake-snapshot` output for `pool_hex` (lowercase hex id):
/// `{"pools": {ID: {"stakeGo", "stakeMark", "stakeSet"}}, "total": {…}}` (cardano-cli 8.0 and
/// later), or the older flat `{"poolStakeSet", "activeStakeSet", …}` of a single pool.
pub fn stake_snapshot(text: &str, pool_hex: &str, set: LedgerSet) -> Result<SnapshotStake, LedgerInputError> {
    let v: Value = serde_json::from_str(text)?;
    let name = match set {
        LedgerSet::Current => "Set",
        LedgerSet::Next => "Mark",
    };
    let number = |v: &Value, what: &str| {
        v.as_u64()
            .ok_or_else(|| field(format!("{what} is missing or not a whole number of lovelace")))
    };
    if let Some(pools) = v.get("pools") {
        let pools = pools.as_object().ok_or_else(|| field("\"pools\" is not an object"))?;
        let pool = pools.get(pool_hex).ok_or_else(|| {
            field(format!(
                "pool {pool_hex} is not in the snapshot (it holds {}); query it with --stake-pool-id",
                if pools.is_empty() {
                    "no pool".to_string()
                } else {
                    pools.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))
        })?;
        let key = format!("stake{name}");
        Ok(SnapshotStake {
            pool: number(&pool[&key], &format!("pools.{pool_hex}.{key}"))?,
            total: number(&v["total"][&key], &format!("total.{key}"))?,
        })
    } else if v.get(format!("poolStake{name}")).is_some() {
        Ok(SnapshotStake {
            pool: number(&v[format!("poolStake{name}")], &format!("poolStake{name}"))?,
            total: number(&v[format!("activeStake{name}")], &format!("activeStake{name}"))?,
        })
    } else {
        Err(field(
            "neither \"pools\"/\"total\" nor \"poolStakeSet\"/\"activeStakeSet\": not `cardano-cli query stake-snapshot` output",
        ))
    }
}

/// The Praos state fields of `cardano-cli query protocol-state` that leaderlog uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolState {
    pub last_slot: Option<u64>,
    pub epoch_nonce: Nonce,
    pub candidate_nonce: Nonce,
    pub last_epoch_block_nonce: Nonce,
}

fn nonce(v: &Value, name: &str) -> Result<Nonce, LedgerInputError> {
    match v.get(name) {
        None => Err(field(format!(
            "no \"{name}\": not `cardano-cli query protocol-state` output of a Praos era"
        ))),
        Some(Value::Null) => Ok(Nonce::Neutral),
        Some(Value::String(h)) => Nonce::from_hex(h).map_err(|e| field(format!("\"{name}\": {e}"))),
        Some(other) => Err(field(format!("\"{name}\" is {other}, not a hex nonce or null"))),
    }
}

/// Reads `cardano-cli query protocol-state` output (Babbage and Conway: the Praos state, with
/// nonces as hex strings and `null` for the neutral nonce).
pub fn protocol_state(text: &str) -> Result<ProtocolState, LedgerInputError> {
    let v: Value = serde_json::from_str(text)?;
    Ok(ProtocolState {
        last_slot: v.get("lastSlot").and_then(Value::as_u64),
        epoch_nonce: nonce(&v, "epochNonce")?,
        candidate_nonce: nonce(&v, "candidateNonce")?,
        last_epoch_block_nonce: nonce(&v, "lastEpochBlockNonce")?,
    })
}

impl ProtocolState {
    /// The nonce of the epoch `set` names: the current one, or the next one's — the candidate
    /// nonce ⭒ the last epoch block nonce, as ouroboros-consensus's Praos `tickChainDepState`
    /// makes it at the epoch boundary.
    pub fn nonce(&self, set: LedgerSet) -> Nonce {
        match set {
            LedgerSet::Current => self.epoch_nonce,
            LedgerSet::Next => self.candidate_nonce.combine(self.last_epoch_block_nonce),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "00beef0a9be2f6d897ed24a613cf547bb20cd282a04edfc53d477114";

    #[test]
    fn both_snapshot_shapes_give_the_set_and_mark_figures() {
        let current = format!(
            r#"{{"pools": {{"{POOL}": {{"stakeGo": 1, "stakeMark": 40424218559492, "stakeSet": 39898761956772}}}},
                "total": {{"stakeGo": 2, "stakeMark": 22670949084364797, "stakeSet": 22488877070796904}}}}"#
        );
        let flat = r#"{"poolStakeGo": 1, "activeStakeGo": 2, "poolStakeMark": 40424218559492,
            "activeStakeMark": 22670949084364797, "poolStakeSet": 39898761956772, "activeStakeSet": 22488877070796904}"#;
        for text in [current.as_str(), flat] {
            assert_eq!(
                stake_snapshot(text, POOL, LedgerSet::Current).unwrap(),
                SnapshotStake {
                    pool: 39898761956772,
                    total: 22488877070796904
                }
            );
            assert_eq!(
                stake_snapshot(text, POOL, LedgerSet::Next).unwrap(),
                SnapshotStake {
                    pool: 40424218559492,
                    total: 22670949084364797
                }
            );
        }
        let other = stake_snapshot(&current, &"11".repeat(28), LedgerSet::Current).unwrap_err();
        assert!(other.to_string().contains("not in the snapshot"), "{other}");
        assert!(stake_snapshot("{}", POOL, LedgerSet::Current).is_err());
        assert!(stake_snapshot("[", POOL, LedgerSet::Current).is_err());
        let fraction = current.replace("39898761956772", "1.5");
        assert!(stake_snapshot(&fraction, POOL, LedgerSet::Current).is_err());
    }

    #[test]
    fn the_next_nonce_is_the_candidate_combined_with_the_last_epoch_block_nonce() {
        let (c, l, e) = ("11".repeat(32), "22".repeat(32), "33".repeat(32));
        let text = format!(
            r#"{{"candidateNonce": "{c}", "epochNonce": "{e}", "evolvingNonce": "{c}", "labNonce": null,
                "lastEpochBlockNonce": "{l}", "lastSlot": 123, "oCertCounters": {{}}}}"#
        );
        let s = protocol_state(&text).unwrap();
        assert_eq!(s.nonce(LedgerSet::Current), Nonce::from_hex(&e).unwrap());
        let both = slotforge_praos::nonce::blake2b256(&[&[0x11; 32], &[0x22; 32]]);
        assert_eq!(s.nonce(LedgerSet::Next), Nonce::Hash(both));
        // The neutral nonce (null) is the identity of ⭒.
        let neutral = text.replace(&format!("\"{l}\""), "null");
        assert_eq!(
            protocol_state(&neutral).unwrap().nonce(LedgerSet::Next),
            Nonce::from_hex(&c).unwrap()
        );
        assert!(protocol_state(r#"{"epochNonce": 5}"#).is_err());
        assert!(protocol_state(r#"{"csTickn": {}}"#).is_err());
    }
}
