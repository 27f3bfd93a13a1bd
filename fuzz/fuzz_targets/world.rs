//! The devnet the chain targets validate against: the chain tests' forging devnet, built once.

use std::sync::{Arc, OnceLock};

use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;

#[path = "../../crates/chain/tests/common/mod.rs"]
mod common;

/// Two pools, k = 5, f = 1/2, 100-slot epochs: its configuration and genesis state.
pub fn world() -> &'static (Arc<ChainConfig>, ChainState) {
    static W: OnceLock<(Arc<ChainConfig>, ChainState)> = OnceLock::new();
    W.get_or_init(|| {
        let net = common::Devnet::new(2, 5, (1, 2), 100);
        let g = net.genesis_state();
        (net.cfg, g)
    })
}
