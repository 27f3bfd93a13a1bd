//! Interop with software no one here wrote: oura 2.2.1 (TxPipe's chain follower, built on
//! pallas) connects to a slotforge node over node-to-node, intersects at origin, follows the
//! chain to its tip and across a fork switch, and parses every block (its `ParseCbor` filter);
//! the chain it ends with — applies minus resets — is the node's, block for block, and its
//! parse of each block agrees with ours. oura is installed by scripts/install-test-tools.sh
//! into `$SLOTFORGE_TOOLS/cargo/bin`.

#[path = "../../chain/tests/common/mod.rs"]
mod common;
mod loopback;
mod oura_daemon;

use std::collections::HashMap;

use common::Devnet;
use loopback::{blocks_with_a_payment, chain_hashes, eventually, node};
use oura_daemon::{followed, hash_of, Oura};
use serde_json::Value;
use slotforge_chain::block::Block;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oura_follows_a_node_across_a_fork_and_parses_every_block() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    // Twenty blocks across epochs, the sixth carrying a transaction.
    let main = blocks_with_a_payment(&net, 14);
    let a = node(&net, vec![]).await;
    for b in &main {
        a.chain.add_block(b.clone()).await.unwrap();
    }
    let oura = Oura::start(a.network.local_addr.port(), true);
    let want: Vec<[u8; 32]> = main.iter().map(|b| b.hash()).collect();
    eventually("oura to reach the tip", 120, async || followed(&oura.events()) == want).await;

    // A longer fork from block 16 replaces the last three blocks.
    let s16 = net.replay(&main[..17]);
    let (fork, _) = net.extend(&s16, main[19].slot(), 5);
    for f in &fork {
        a.chain.add_block(f.clone()).await.unwrap();
    }
    let want: Vec<[u8; 32]> = main[..17].iter().chain(&fork).map(|b| b.hash()).collect();
    assert_eq!(chain_hashes(&a.chain).await, want, "the node switched");
    eventually("oura to follow the switch", 60, async || {
        followed(&oura.events()) == want
    })
    .await;
    let events = oura.events();
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "reset" && hash_of(&e["point"]) == Some(main[16].hash())),
        "oura was rolled back to the fork's base"
    );

    // Each applied block as oura parsed it (u5c JSON: bytes in base64, integers as strings)
    // agrees with the block we forged.
    let ours: HashMap<[u8; 32], &Block> = main.iter().chain(&fork).map(|b| (b.hash(), b)).collect();
    let mut applied = 0;
    let mut txs_seen = 0;
    for e in events.iter().filter(|e| e["event"] == "apply") {
        let hash = hash_of(&e["point"]).unwrap();
        let b = ours[&hash];
        assert_eq!(e["point"]["slot"].as_u64(), Some(b.slot()), "{e}");
        let header = &e["record"]["header"];
        assert_eq!(bytes(&header["hash"]), hash.to_vec(), "{e}");
        assert_eq!(int(&header["slot"]), b.slot(), "{e}");
        assert_eq!(int(&header["height"]), b.block_number(), "{e}");
        let txs = e["record"]["body"]["tx"].as_array().cloned().unwrap_or_default();
        assert_eq!(txs.len(), b.body().transactions().len(), "{e}");
        for (theirs, t) in txs.iter().zip(b.body().transactions()) {
            let body = t.decoded_body().unwrap();
            assert_eq!(bytes(&theirs["hash"]), t.id().to_vec(), "{e}");
            assert_eq!(int(&theirs["fee"]["int"]), body.fee, "{e}");
            assert_eq!(
                theirs["inputs"].as_array().map(Vec::len),
                Some(body.inputs.len()),
                "{e}"
            );
            assert_eq!(
                theirs["outputs"].as_array().map(Vec::len),
                Some(body.outputs.len()),
                "{e}"
            );
            txs_seen += 1;
        }
        applied += 1;
    }
    assert!(applied >= want.len());
    assert!(txs_seen >= 1, "the transaction's block was parsed");
}

/// A u5c JSON byte string (base64).
fn bytes(v: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap_or_default())
        .unwrap()
}

/// A u5c JSON integer: a decimal string, absent when zero.
fn int(v: &Value) -> u64 {
    v.as_str().map_or(0, |s| s.parse().unwrap())
}
