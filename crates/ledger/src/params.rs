//! The protocol parameters the rules read, and the chain constants they need (network, epoch
//! length, slot times).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::genesis::Genesis;
use crate::genesis::{DRepVotingThresholds, PoolVotingThresholds, Threshold};

/// A non-negative rational, as the reference's `UnitInterval` and `NonNegativeInterval`.
pub type Rational = (u64, u64);

/// Execution units: memory and CPU steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExUnits {
    /// Memory units.
    pub mem: u64,
    /// CPU steps.
    pub steps: u64,
}

impl ExUnits {
    /// The sum, saturating.
    pub fn saturating_add(self, o: ExUnits) -> ExUnits {
        ExUnits {
            mem: self.mem.saturating_add(o.mem),
            steps: self.steps.saturating_add(o.steps),
        }
    }

    /// Whether both components are within `max`'s.
    pub fn within(self, max: ExUnits) -> bool {
        self.mem <= max.mem && self.steps <= max.steps
    }
}

/// A Plutus language version, numbered as cost models are keyed (0 = V1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Language {
    /// Plutus V1 (Alonzo).
    V1,
    /// Plutus V2 (Babbage).
    V2,
    /// Plutus V3 (Conway).
    V3,
}

impl Language {
    /// The language's key in cost-model maps: 0, 1 or 2.
    pub fn key(self) -> u8 {
        match self {
            Language::V1 => 0,
            Language::V2 => 1,
            Language::V3 => 2,
        }
    }
}

/// The protocol parameters (Conway's `PParams`) and the chain constants the rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerParams {
    /// `minFeeA`: the fee per byte of transaction, in lovelace.
    pub min_fee_a: u64,
    /// `minFeeB`: the fixed part of every fee, in lovelace.
    pub min_fee_b: u64,
    /// `maxTxSize`: the largest transaction, in bytes.
    pub max_tx_size: u64,
    /// `maxBlockBodySize`: the largest block body, in bytes.
    pub max_block_body_size: u64,
    /// `maxBlockHeaderSize`: the largest block header, in bytes.
    pub max_block_header_size: u64,
    /// `keyDeposit`: the deposit a stake credential registration pays, in lovelace.
    pub key_deposit: u64,
    /// `poolDeposit`: the deposit a pool's first registration pays, in lovelace.
    pub pool_deposit: u64,
    /// `minPoolCost`: the lowest fixed cost a pool may declare, in lovelace.
    pub min_pool_cost: u64,
    /// `eMax`: how many epochs ahead a pool may schedule its retirement.
    pub e_max: u64,
    /// `coinsPerUTxOByte`: the lovelace an output must hold per byte of its size (plus 160 bytes).
    pub coins_per_utxo_byte: u64,
    /// `maxValSize`: the largest serialised value an output may hold, in bytes.
    pub max_value_size: u64,
    /// The chain's network id, as address headers carry it: 0 for Testnet, 1 for Mainnet.
    pub network_id: u8,
    /// `protocolVersion`: (major, minor).
    pub protocol_version: (u64, u64),
    /// `minFeeRefScriptCostPerByte`: the first tier's price of a reference-script byte.
    pub min_fee_ref_script_per_byte: Rational,
    /// The most reference-script bytes one transaction may use (Conway: 200 KiB).
    pub max_ref_script_size_per_tx: u64,
    /// The most reference-script bytes one block may use (Conway: 1 MiB).
    pub max_ref_script_size_per_block: u64,
    /// `collateralPercentage`: the collateral required, as a percentage of the fee.
    pub collateral_percentage: u64,
    /// `maxCollateralInputs`.
    pub max_collateral_inputs: u64,
    /// `executionUnitPrices`: (memory, steps) prices in lovelace per unit.
    pub prices: (Rational, Rational),
    /// `maxTxExUnits`.
    pub max_tx_ex_units: ExUnits,
    /// `maxBlockExUnits`.
    pub max_block_ex_units: ExUnits,
    /// `costModels` by language key (0 = V1, 1 = V2, 2 = V3).
    pub cost_models: BTreeMap<u8, Vec<i64>>,
    /// `govActionLifetime`, in epochs.
    pub gov_action_lifetime: u64,
    /// `govActionDeposit`, in lovelace.
    pub gov_action_deposit: u64,
    /// `dRepDeposit`, in lovelace.
    pub drep_deposit: u64,
    /// `dRepActivity`, in epochs.
    pub drep_activity: u64,
    /// `committeeMinSize`.
    pub committee_min_size: u64,
    /// `committeeMaxTermLength`, in epochs.
    pub committee_max_term_length: u64,
    /// `nOpt`: the desired number of pools.
    pub n_opt: u64,
    /// `a0`: the pledge influence.
    pub a0: Rational,
    /// `rho`: the monetary expansion per epoch.
    pub rho: Rational,
    /// `tau`: the treasury's cut of the rewards.
    pub tau: Rational,
    /// `poolVotingThresholds`.
    pub pool_voting_thresholds: PoolVotingThresholds,
    /// `dRepVotingThresholds`.
    pub drep_voting_thresholds: DRepVotingThresholds,
    /// The maximum lovelace supply (a chain constant).
    pub max_lovelace_supply: u64,
    /// The active slot coefficient f (a chain constant).
    pub active_slot_coeff: Rational,
    /// Slots per epoch.
    pub epoch_length: u64,
    /// The chain's start (slot 0) in Unix milliseconds, for Plutus' POSIX times.
    pub system_start_ms: i64,
    /// A slot's length in milliseconds.
    pub slot_length_ms: u64,
}

impl Default for LedgerParams {
    /// Mainnet's Conway values (protocol version 10) and constants (maximum supply, f = 1/20)
    /// on a testnet (network id 0), 432,000-slot epochs of 1 s from the Unix epoch, and no cost
    /// models.
    fn default() -> Self {
        LedgerParams {
            min_fee_a: 44,
            min_fee_b: 155_381,
            max_tx_size: 16_384,
            max_block_body_size: 90_112,
            max_block_header_size: 1_100,
            key_deposit: 2_000_000,
            pool_deposit: 500_000_000,
            min_pool_cost: 170_000_000,
            e_max: 18,
            coins_per_utxo_byte: 4_310,
            max_value_size: 5_000,
            network_id: 0,
            protocol_version: (10, 0),
            min_fee_ref_script_per_byte: (15, 1),
            max_ref_script_size_per_tx: 200 * 1024,
            max_ref_script_size_per_block: 1024 * 1024,
            collateral_percentage: 150,
            max_collateral_inputs: 3,
            prices: ((577, 10_000), (721, 10_000_000)),
            max_tx_ex_units: crate::genesis::MAINNET_MAX_TX_EX_UNITS,
            max_block_ex_units: crate::genesis::MAINNET_MAX_BLOCK_EX_UNITS,
            cost_models: BTreeMap::new(),
            gov_action_lifetime: 6,
            gov_action_deposit: 100_000_000_000,
            drep_deposit: 500_000_000,
            drep_activity: 20,
            committee_min_size: 7,
            committee_max_term_length: 146,
            n_opt: 500,
            a0: (3, 10),
            rho: (3, 1000),
            tau: (1, 5),
            pool_voting_thresholds: PoolVotingThresholds {
                motion_no_confidence: Threshold((51, 100)),
                committee_normal: Threshold((51, 100)),
                committee_no_confidence: Threshold((51, 100)),
                hard_fork_initiation: Threshold((51, 100)),
                pp_security_group: Threshold((51, 100)),
            },
            drep_voting_thresholds: DRepVotingThresholds {
                motion_no_confidence: Threshold((67, 100)),
                committee_normal: Threshold((67, 100)),
                committee_no_confidence: Threshold((3, 5)),
                update_to_constitution: Threshold((3, 4)),
                hard_fork_initiation: Threshold((3, 5)),
                pp_network_group: Threshold((67, 100)),
                pp_economic_group: Threshold((67, 100)),
                pp_technical_group: Threshold((67, 100)),
                pp_gov_group: Threshold((3, 4)),
                treasury_withdrawal: Threshold((67, 100)),
            },
            max_lovelace_supply: 45_000_000_000_000_000,
            active_slot_coeff: (1, 20),
            epoch_length: 432_000,
            system_start_ms: 0,
            slot_length_ms: 1000,
        }
    }
}

impl LedgerParams {
    /// The parameters the genesis files set (Shelley's `protocolParams`, Alonzo's value and
    /// script limits and cost models, Conway's governance parameters and V3 cost model).
    pub fn from_genesis(g: &Genesis) -> Self {
        let p = &g.shelley.protocol_params;
        // Both readings were checked when the genesis was built (`Genesis::from_parts`).
        let defaults = LedgerParams::default();
        let (prices, max_tx_ex_units, max_block_ex_units) = g.alonzo.execution_limits().unwrap_or((
            defaults.prices,
            defaults.max_tx_ex_units,
            defaults.max_block_ex_units,
        ));
        LedgerParams {
            min_fee_a: p.min_fee_a,
            min_fee_b: p.min_fee_b,
            max_tx_size: p.max_tx_size,
            max_block_body_size: p.max_block_body_size,
            max_block_header_size: p.max_block_header_size,
            key_deposit: p.key_deposit,
            pool_deposit: p.pool_deposit,
            min_pool_cost: p.min_pool_cost,
            e_max: p.e_max,
            coins_per_utxo_byte: g.coins_per_utxo_byte(),
            max_value_size: g.alonzo.max_value_size,
            network_id: g.network_id(),
            collateral_percentage: g.alonzo.collateral_percentage,
            max_collateral_inputs: g.alonzo.max_collateral_inputs,
            prices,
            max_tx_ex_units,
            max_block_ex_units,
            cost_models: {
                let mut m = g.alonzo.cost_model_arrays().unwrap_or_default();
                if !g.conway.plutus_v3_cost_model.is_empty() {
                    m.insert(Language::V3.key(), g.conway.plutus_v3_cost_model.clone());
                }
                m
            },
            min_fee_ref_script_per_byte: (g.conway.min_fee_ref_script_cost_per_byte, 1),
            gov_action_lifetime: g.conway.gov_action_lifetime,
            gov_action_deposit: g.conway.gov_action_deposit,
            drep_deposit: g.conway.drep_deposit,
            drep_activity: g.conway.drep_activity,
            committee_min_size: g.conway.committee_min_size,
            committee_max_term_length: g.conway.committee_max_term_length,
            n_opt: p.n_opt,
            a0: (p.a0.num, p.a0.den),
            rho: (p.rho.num, p.rho.den),
            tau: (p.tau.num, p.tau.den),
            pool_voting_thresholds: g.conway.pool_voting_thresholds.clone(),
            drep_voting_thresholds: g.conway.drep_voting_thresholds.clone(),
            max_lovelace_supply: g.shelley.max_lovelace_supply,
            active_slot_coeff: (g.shelley.active_slots_coeff.num, g.shelley.active_slots_coeff.den),
            epoch_length: g.shelley.epoch_length,
            system_start_ms: g.system_start_ms,
            slot_length_ms: g.slot_length_ms(),
            // This ledger runs Conway from genesis: a genesis naming an earlier version runs
            // at 9, Conway's first.
            protocol_version: {
                let v = &g.shelley.protocol_params.protocol_version;
                (v.major, v.minor).max((9, 0))
            },
            ..LedgerParams::default()
        }
    }

    /// The minimum fee of a transaction of `size` bytes: minFeeA · size + minFeeB.
    pub fn min_fee(&self, size: u64) -> u64 {
        self.min_fee_a.saturating_mul(size).saturating_add(self.min_fee_b)
    }

    /// The minimum coin of an output of `size` serialized bytes: (160 + size) · coinsPerUTxOByte.
    pub fn min_utxo(&self, size: u64) -> u64 {
        (160 + size).saturating_mul(self.coins_per_utxo_byte)
    }

    /// The price of execution units, rounded up (`txscriptfee`).
    pub fn script_fee(&self, units: ExUnits) -> u64 {
        use num_rational::BigRational;
        let ((mn, md), (sn, sd)) = self.prices;
        // mem · mn/md + steps · sn/sd, exactly, then the ceiling.
        let r = |n: u64, d: u64| BigRational::new(n.into(), d.max(1).into());
        let total = r(mn, md) * BigRational::from_integer(units.mem.into())
            + r(sn, sd) * BigRational::from_integer(units.steps.into());
        u64::try_from(total.ceil().to_integer()).unwrap_or(u64::MAX)
    }

    /// The fee for `size` bytes of reference scripts (`tierRefScriptFee` with Conway's
    /// constants: tiers of 25,600 bytes, each 1.2 times the price of the one before, the total
    /// rounded down).
    pub fn ref_script_fee(&self, size: u64) -> u64 {
        tier_ref_script_fee((12, 10), 25_600, self.min_fee_ref_script_per_byte, size)
    }

    /// The epoch a slot belongs to.
    pub fn epoch_of(&self, slot: u64) -> u64 {
        slot / self.epoch_length.max(1)
    }
}

/// cardano-ledger's `tierRefScriptFee`: `size` bytes priced by tiers of `range` bytes, the
/// price per byte multiplied by `multiplier` at each tier; exact rationals, floor at the end.
pub fn tier_ref_script_fee(multiplier: Rational, range: u64, base: Rational, size: u64) -> u64 {
    use num_rational::BigRational;
    let r = |(n, d): Rational| BigRational::new(n.into(), d.max(1).into());
    let mult = r(multiplier);
    let mut price = r(base);
    let mut total = BigRational::from_integer(0.into());
    let mut left = size;
    while left > 0 {
        let chunk = left.min(range);
        total += &price * BigRational::from_integer(chunk.into());
        left -= chunk;
        price *= &mult;
    }
    let floor = total.floor().to_integer();
    u64::try_from(floor).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_back_as_written() {
        let mut p = LedgerParams::default();
        p.cost_models.insert(2, vec![1, -2, 3]);
        let json = serde_json::to_string(&p).expect("writes");
        let back: LedgerParams = serde_json::from_str(&json).expect("reads");
        assert_eq!(back, p, "{json}");
    }
}
