//! The protocol parameters the rules read.

use crate::genesis::Genesis;

/// What transactions are checked against besides the state.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl LedgerParams {
    /// The parameters the genesis files set (Shelley's `protocolParams`, Alonzo's value limits).
    pub fn from_genesis(g: &Genesis) -> Self {
        let p = &g.shelley.protocol_params;
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
}
