//! `conway-genesis.json` as cardano-node writes it: the governance parameters, the Plutus V3
//! cost model, the constitution (with its guardrails script) and the first committee.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::GenesisError;
use crate::params::Rational;
use crate::state::Credential;

/// The Conway genesis file's name, as cardano-node's configuration names it.
pub const CONWAY_FILE: &str = "conway-genesis.json";

/// A threshold as the file writes it: a decimal (kept in lowest terms), or
/// `{numerator, denominator}` (kept as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold(pub Rational);

impl Threshold {
    fn lowest((n, d): Rational) -> Threshold {
        let (mut a, mut b) = (n, d);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let g = a.max(1);
        Threshold((n / g, d / g))
    }
}

impl Serialize for Threshold {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("numerator", &self.0 .0)?;
        m.serialize_entry("denominator", &self.0 .1)?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let bad = || {
            serde::de::Error::custom(format!(
                "a threshold is a decimal or {{numerator, denominator}}, got {v}"
            ))
        };
        match &v {
            serde_json::Value::Object(o) => {
                let n = o.get("numerator").and_then(|x| x.as_u64()).ok_or_else(bad)?;
                let den = o.get("denominator").and_then(|x| x.as_u64()).ok_or_else(bad)?;
                if den == 0 || n > den {
                    return Err(bad());
                }
                // Exactly as written, so that what this type writes reads back the same.
                Ok(Threshold((n, den)))
            }
            serde_json::Value::Number(_) => {
                let r = slotforge_praos::ratio::parse_json_number(&v.to_string()).map_err(|_| bad())?;
                if r.0 > r.1 {
                    return Err(bad());
                }
                Ok(Threshold::lowest(r))
            }
            _ => Err(bad()),
        }
    }
}

/// The stake pools' voting thresholds (`poolVotingThresholds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolVotingThresholds {
    /// No-confidence motions.
    pub motion_no_confidence: Threshold,
    /// Committee updates under a committee in confidence.
    pub committee_normal: Threshold,
    /// Committee updates under no confidence.
    pub committee_no_confidence: Threshold,
    /// Hard-fork initiations.
    pub hard_fork_initiation: Threshold,
    /// Parameter changes of the security group.
    pub pp_security_group: Threshold,
}

/// The DReps' voting thresholds (`dRepVotingThresholds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DRepVotingThresholds {
    /// No-confidence motions.
    pub motion_no_confidence: Threshold,
    /// Committee updates under a committee in confidence.
    pub committee_normal: Threshold,
    /// Committee updates under no confidence.
    pub committee_no_confidence: Threshold,
    /// New constitutions.
    pub update_to_constitution: Threshold,
    /// Hard-fork initiations.
    pub hard_fork_initiation: Threshold,
    /// Parameter changes of the network group.
    pub pp_network_group: Threshold,
    /// Parameter changes of the economic group.
    pub pp_economic_group: Threshold,
    /// Parameter changes of the technical group.
    pub pp_technical_group: Threshold,
    /// Parameter changes of the governance group.
    pub pp_gov_group: Threshold,
    /// Treasury withdrawals.
    pub treasury_withdrawal: Threshold,
}

/// A constitution's anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorJson {
    /// Where the document is.
    pub url: String,
    /// blake2b-256 of the document, hex.
    pub data_hash: String,
}

/// The constitution at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstitutionJson {
    /// The document.
    pub anchor: AnchorJson,
    /// The guardrails script's hash, hex, if the constitution has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

/// The committee at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeJson {
    /// Members by cold credential (`keyHash-<hex>` or `scriptHash-<hex>`) with the last epoch of
    /// their term.
    pub members: BTreeMap<String, u64>,
    /// The share of members whose approval ratifies.
    pub threshold: Threshold,
}

/// The parsed `conway-genesis.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConwayGenesis {
    /// `poolVotingThresholds`.
    pub pool_voting_thresholds: PoolVotingThresholds,
    /// `dRepVotingThresholds`.
    #[serde(rename = "dRepVotingThresholds")]
    pub drep_voting_thresholds: DRepVotingThresholds,
    /// `committeeMinSize`.
    pub committee_min_size: u64,
    /// `committeeMaxTermLength`, in epochs.
    pub committee_max_term_length: u64,
    /// `govActionLifetime`, in epochs.
    pub gov_action_lifetime: u64,
    /// `govActionDeposit`, in lovelace.
    pub gov_action_deposit: u64,
    /// `dRepDeposit`, in lovelace.
    #[serde(rename = "dRepDeposit")]
    pub drep_deposit: u64,
    /// `dRepActivity`, in epochs.
    #[serde(rename = "dRepActivity")]
    pub drep_activity: u64,
    /// `minFeeRefScriptCostPerByte`.
    pub min_fee_ref_script_cost_per_byte: u64,
    /// `plutusV3CostModel`.
    #[serde(rename = "plutusV3CostModel", default)]
    pub plutus_v3_cost_model: Vec<i64>,
    /// The constitution.
    pub constitution: ConstitutionJson,
    /// The first committee.
    pub committee: CommitteeJson,
}

fn t(n: u64, d: u64) -> Threshold {
    Threshold((n, d))
}

impl Default for ConwayGenesis {
    /// Mainnet's Conway genesis values, without a V3 cost model, a guardrails script or
    /// committee members.
    fn default() -> Self {
        ConwayGenesis {
            pool_voting_thresholds: PoolVotingThresholds {
                motion_no_confidence: t(51, 100),
                committee_normal: t(51, 100),
                committee_no_confidence: t(51, 100),
                hard_fork_initiation: t(51, 100),
                pp_security_group: t(51, 100),
            },
            drep_voting_thresholds: DRepVotingThresholds {
                motion_no_confidence: t(67, 100),
                committee_normal: t(67, 100),
                committee_no_confidence: t(60, 100),
                update_to_constitution: t(75, 100),
                hard_fork_initiation: t(60, 100),
                pp_network_group: t(67, 100),
                pp_economic_group: t(67, 100),
                pp_technical_group: t(67, 100),
                pp_gov_group: t(75, 100),
                treasury_withdrawal: t(67, 100),
            },
            committee_min_size: 7,
            committee_max_term_length: 146,
            gov_action_lifetime: 6,
            gov_action_deposit: 100_000_000_000,
            drep_deposit: 500_000_000,
            drep_activity: 20,
            min_fee_ref_script_cost_per_byte: 15,
            plutus_v3_cost_model: Vec::new(),
            constitution: ConstitutionJson {
                anchor: AnchorJson {
                    url: String::new(),
                    data_hash: "0".repeat(64),
                },
                script: None,
            },
            committee: CommitteeJson {
                members: BTreeMap::new(),
                threshold: t(2, 3),
            },
        }
    }
}

impl ConwayGenesis {
    /// Parses the file's bytes and checks its credentials and hashes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, GenesisError> {
        let g: ConwayGenesis = serde_json::from_slice(bytes).map_err(|error| GenesisError::Json {
            file: CONWAY_FILE,
            error,
        })?;
        g.committee_members()?;
        g.guardrail()?;
        g.constitution_anchor()?;
        Ok(g)
    }

    /// The file's bytes, as cardano-node writes it (pretty JSON).
    pub fn to_json(&self) -> Result<Vec<u8>, GenesisError> {
        serde_json::to_vec_pretty(self).map_err(|error| GenesisError::Json {
            file: CONWAY_FILE,
            error,
        })
    }

    /// The committee's members as credentials, with their terms.
    pub fn committee_members(&self) -> Result<BTreeMap<Credential, u64>, GenesisError> {
        self.committee
            .members
            .iter()
            .map(|(k, term)| Ok((credential(k)?, *term)))
            .collect()
    }

    /// The guardrails script's hash, if the constitution names one.
    pub fn guardrail(&self) -> Result<Option<[u8; 28]>, GenesisError> {
        self.constitution
            .script
            .as_deref()
            .map(|h| super::hash_hex::<28>(h, "constitution.script"))
            .transpose()
    }

    /// The constitution's anchor as the ledger keeps it: its CBOR `[url, hash]`.
    pub fn constitution_anchor(&self) -> Result<Vec<u8>, GenesisError> {
        let a = &self.constitution.anchor;
        let hash = super::hash_hex::<32>(&a.data_hash, "constitution.anchor.dataHash")?;
        let mut out = Vec::new();
        let _ = pallas_codec::minicbor::Encoder::new(&mut out)
            .array(2)
            .and_then(|e| e.str(&a.url))
            .and_then(|e| e.bytes(&hash));
        Ok(out)
    }
}

/// A committee member's key as cardano-node writes it: `keyHash-<hex>` or `scriptHash-<hex>`.
fn credential(s: &str) -> Result<Credential, GenesisError> {
    if let Some(h) = s.strip_prefix("keyHash-") {
        return Ok(Credential::Key(super::hash_hex(h, "committee member")?));
    }
    if let Some(h) = s.strip_prefix("scriptHash-") {
        return Ok(Credential::Script(super::hash_hex(h, "committee member")?));
    }
    Err(GenesisError::Invalid(format!(
        "committee member {s:?}: expected keyHash-<hex> or scriptHash-<hex>"
    )))
}

/// How cardano-node names a committee member's credential.
pub fn credential_key(c: &Credential) -> String {
    match c {
        Credential::Key(h) => format!("keyHash-{}", hex::encode(h)),
        Credential::Script(h) => format!("scriptHash-{}", hex::encode(h)),
    }
}
