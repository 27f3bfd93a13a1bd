//! The files a node's configuration names, read into what the chain and the network take:
//! the genesis files (and a BFT chain's delegate keys) into a [`ChainConfig`], and the peers
//! and topology file into the access points to dial.

use anyhow::Context;
use slotforge_chain::config::ChainConfig;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_network::topology::{self, AccessPoint};

use crate::node_config::{self, NodeConfig};

/// Reads the genesis files (and BFT delegate keys) the configuration names.
pub(super) fn chain_config(cfg: &NodeConfig) -> anyhow::Result<ChainConfig> {
    let genesis = slotforge_chain::genesis_files::load(
        &cfg.shelley_genesis,
        cfg.alonzo_genesis.as_deref(),
        cfg.conway_genesis.as_deref(),
    )
    .with_context(|| format!("reading the genesis named in {}", cfg.path.display()))?;
    let delegates = match &cfg.bft_delegate_vkeys {
        None => None,
        Some(paths) => Some(
            paths
                .iter()
                .map(|p| {
                    key_file::read_key_file(
                        p,
                        KeyKind::GenesisDelegateVerification,
                        key_file::parse_ed25519_verification_key,
                    )
                    .map(|k| k.to_bytes())
                    .with_context(|| format!("reading the BFT delegate key {}", p.display()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
    };
    ChainConfig::new(genesis, delegates).with_context(|| format!("the genesis named in {}", cfg.path.display()))
}

pub(super) fn peers(cfg: &NodeConfig) -> anyhow::Result<Vec<AccessPoint>> {
    let mut out = Vec::new();
    if let Some(t) = &cfg.topology {
        out = topology::load(t)?;
    }
    for p in &cfg.peers {
        let (address, port) = node_config::parse_host_port(p).map_err(anyhow::Error::msg)?;
        let a = AccessPoint { address, port };
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}
