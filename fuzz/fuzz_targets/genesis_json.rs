//! Genesis files (operator input): parse, check, build a chain configuration and its genesis
//! state. Errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;
use slotforge_ledger::genesis::{AlonzoGenesis, Genesis, ShelleyGenesis};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = serde_json::from_slice::<ShelleyGenesis>(data) else { return };
    let Ok(g) = Genesis::from_parts(s, AlonzoGenesis::default(), [0; 32]) else { return };
    let Ok(cfg) = ChainConfig::new(g, None) else { return };
    let _ = ChainState::genesis(&cfg).map(|s| s.leadership(&cfg, 1));
});
