//! Our blocks read by software no one here wrote: pallas-traverse (Rust) and EMURGO's
//! cardano-serialization-lib (npm, driven by node) must agree with slotforge on the block
//! hash, the body hash, the transactions and their ids.
//!
//! The npm packages are installed by `scripts/test.sh` into the tools folder
//! (`$SLOTFORGE_TOOLS`, default `~/.cache/slotforge-tools`).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Devnet, FUNDS};
use slotforge_chain::block::Block;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_devnet::txbuilder::{enterprise_address, key_hash, Cert, TxBuilder};
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::TxIn;

/// A short chain whose blocks carry payments, certificates, metadata, and empty bodies.
fn chain() -> Vec<Block> {
    let net = Devnet::new(2, 10, (1, 2), 1000);
    let mut state = net.genesis_state();
    let mut blocks = Vec::new();
    let mut slot = 0;
    let p = &net.pools[0];
    let stake = SigningKey::from_bytes(&[77; 32]);
    let mut next_input = p.funds();
    let mut coin = FUNDS;
    for round in 0..6u64 {
        slot = (slot + 1..).find(|s| !net.leaders(&state, *s).is_empty()).unwrap();
        let mut txs: Vec<Transaction> = Vec::new();
        if round % 2 == 0 {
            let mut b = TxBuilder::new()
                .input(next_input)
                .output(p.address(), 0)
                .output(enterprise_address(0, &[round as u8; 28]), 3_000_000 + round);
            if round == 2 {
                b = b.cert(Cert::Register {
                    stake: key_hash(&stake),
                    deposit: 2_000_000,
                });
            }
            if round == 4 {
                b.auxiliary_data = Some(vec![0xa1, 0x18, 0x2a, 0x63, b'a', b'b', b'c']);
            }
            let signers: Vec<&SigningKey> = if round == 2 {
                vec![&p.payment, &stake]
            } else {
                vec![&p.payment]
            };
            let tx = b.balance(&net.cfg.ledger, coin, 0, &signers);
            next_input = TxIn { tx: tx.id(), index: 0 };
            coin = tx.decoded_body().unwrap().outputs[0].clone().into_post_alonzo_value();
            txs.push(tx);
        }
        let leader = net.leaders(&state, slot)[0];
        let b = net.forge(&state, leader, slot, txs);
        state = state.apply_block(&net.cfg, &b).unwrap();
        blocks.push(b);
    }
    blocks
}

trait Coin {
    fn into_post_alonzo_value(self) -> u64;
}

impl Coin for pallas_primitives::conway::TransactionOutput<'_> {
    fn into_post_alonzo_value(self) -> u64 {
        match self {
            pallas_primitives::conway::TransactionOutput::PostAlonzo(_) => 0,
            pallas_primitives::conway::TransactionOutput::Legacy(o) => match &o.amount {
                pallas_primitives::alonzo::Value::Coin(c) => *c,
                pallas_primitives::alonzo::Value::Multiasset(c, _) => *c,
            },
        }
    }
}

#[test]
fn pallas_traverse_reads_our_blocks_as_we_do() {
    for b in chain() {
        // As the hard-fork combinator wraps it on the wire: [era 7 (Conway), block].
        let mut wrapped = vec![0x82, 0x07];
        wrapped.extend_from_slice(&b.to_cbor());
        let m = pallas_traverse::MultiEraBlock::decode(&wrapped).unwrap();
        assert_eq!(m.era(), pallas_traverse::Era::Conway);
        assert_eq!(*m.hash(), b.hash());
        assert_eq!((m.slot(), m.number()), (b.slot(), b.block_number()));
        let ours: Vec<[u8; 32]> = b.body().transactions().iter().map(|t| t.id()).collect();
        let theirs: Vec<[u8; 32]> = m.txs().iter().map(|t| *t.hash()).collect();
        assert_eq!(theirs, ours);
        for (t, o) in m.txs().iter().zip(b.body().transactions()) {
            assert_eq!(t.fee(), Some(o.decoded_body().unwrap().fee));
        }
        let c = m.as_conway().unwrap();
        assert_eq!(*c.header.header_body.block_body_hash, b.body().hash());
        assert_eq!(c.header.header_body.block_body_size, b.body().size());
    }
}

fn tools() -> PathBuf {
    std::env::var_os("SLOTFORGE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/slotforge-tools"))
}

#[test]
fn cardano_serialization_lib_reads_our_blocks_as_we_do() {
    let modules = tools().join("npm/node_modules");
    assert!(
        modules.join("@emurgo/cardano-serialization-lib-nodejs").is_dir(),
        "cardano-serialization-lib is not installed in {}: run scripts/test.sh, which installs it",
        modules.display()
    );
    let blocks = chain();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blocks.hex");
    let text: String = blocks.iter().map(|b| hex::encode(b.to_cbor()) + "\n").collect();
    std::fs::write(&file, text).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/interop/csl-blocks.js");
    let out = Command::new("node")
        .arg(&script)
        .arg(&file)
        .env("NODE_PATH", &modules)
        .output()
        .expect("node runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), blocks.len());
    let mut txs = 0;
    for (b, v) in blocks.iter().zip(&lines) {
        assert_eq!(v["hash"], hex::encode(b.hash()));
        assert_eq!(v["bodyHashDeclared"], hex::encode(b.body().hash()));
        assert_eq!(
            v["bodyHashComputed"],
            hex::encode(b.body().hash()),
            "CSL's parts hash as ours"
        );
        assert_eq!(v["slot"], b.slot().to_string());
        assert_eq!(v["number"], b.block_number());
        let theirs = v["txs"].as_array().unwrap();
        assert_eq!(theirs.len(), b.body().transactions().len());
        for (t, o) in theirs.iter().zip(b.body().transactions()) {
            assert_eq!(t["id"], hex::encode(o.id()));
            assert_eq!(t["fee"], o.decoded_body().unwrap().fee.to_string());
            txs += 1;
        }
    }
    assert_eq!(txs, 3);
}
