//! The real leadership module and enclave signer forge on the real chain, on the real clock:
//! three pools, slot battles, transactions, epoch transitions announced by the chain. The
//! chain then replays from its stored blocks to the same tip, nonces and stake distribution,
//! and every slot's fate in the slot log is the chain's.

mod devnet;

use std::sync::Arc;
use std::time::Duration;

use slotforge::chain_bridge::{self, ChainBridge};
use slotforge_chain::service::{self, ServiceConfig};
use slotforge_chain::store::BlockStore;
use slotforge_devnet::txbuilder::TxBuilder;
use slotforge_enclave::sign_guard::SignGuard;
use slotforge_enclave::signer::Signer;
use slotforge_leadership::clock::{Clock, SystemClock};
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::in_process_enclave::InProcessEnclave;
use slotforge_leadership::process;
use slotforge_leadership::slot_log::{Query, SlotLog};
use slotforge_leadership::status::SlotStatus;
use slotforge_ledger::TxIn;

use devnet::{add_pool, chain_config, Owner, Params};

const POOLS: u8 = 3;
const SLOT_MS: u64 = 200;
const EPOCH: u64 = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadership_forges_on_the_real_chain_which_replays_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::new(SignGuard::create(&dir.path().join("guard.db")).unwrap());
    let pools = (0..POOLS).map(|i| add_pool(&signer, i)).collect();
    let owners: Vec<Owner> = (0..POOLS).map(Owner::new).collect();
    let clock = SystemClock::new();
    let start_ms = (clock.now_ms() / 1000 + 2) * 1000;
    let params = Params {
        start_ms,
        slot_ms: SLOT_MS,
        epoch_length: EPOCH,
        security_param: 5,
    };
    let cfg = chain_config(dir.path(), &params, pools);
    let store_path = dir.path().join("chain.db");
    let chain = service::start(&store_path, cfg.clone(), ServiceConfig::default(), clock.now_ms()).unwrap();
    let log = Arc::new(SlotLog::open(&dir.path().join("slots.db")).unwrap());
    let bridge = ChainBridge::new(chain.clone(), clock);
    let (leadership, task) = process::start(
        InProcessEnclave(Arc::new(signer)),
        bridge.clone(),
        bridge,
        clock,
        log.clone(),
        LeadershipConfig::default(),
    )
    .await
    .unwrap();
    let forwarder = tokio::spawn(chain_bridge::run(chain.clone(), leadership.clone(), clock));

    // Two and a half epochs; every second each owner pays 1% of its largest output onward.
    let end_ms = start_ms + (EPOCH * 5 / 2 * SLOT_MS) as i64;
    let mut submitted = 0;
    while clock.now_ms() < end_ms {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        for (i, o) in owners.iter().enumerate() {
            let addr = o.address();
            let next = owners[(i + 1) % owners.len()].address();
            let found = chain
                .query(move |v| {
                    v.mempool
                        .pending_state()
                        .utxo
                        .iter()
                        .filter(|(_, out)| out.address == addr)
                        .max_by_key(|(_, out)| out.coin)
                        .map(|(i, out)| (*i, out.coin))
                })
                .await
                .flatten();
            let Some((input, coin)): Option<(TxIn, u64)> = found else {
                continue;
            };
            let tx = TxBuilder::new()
                .input(input)
                .output(o.address(), 0)
                .output(next, coin / 100)
                .balance(&cfg.ledger, coin, 0, &[&o.payment]);
            chain.submit_tx(tx.to_cbor()).await.unwrap();
            submitted += 1;
        }
    }
    leadership.stop();
    task.await.unwrap();
    forwarder.abort();
    let live = chain.query(|v| v.selection.tip_state().clone()).await.unwrap();
    let tip = live.tip.expect("blocks were forged");
    let txs_on_chain = chain
        .query(|v| {
            v.selection
                .volatile_chain()
                .map(|b| b.body().transactions().len())
                .sum::<usize>()
        })
        .await
        .unwrap();
    drop(chain);

    // What leadership recorded: every forged block's fate is the chain's.
    let entries = log
        .query(&Query {
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    let count = |s: SlotStatus| entries.iter().filter(|e| e.status == s).count();
    let (adopted, immutable, orphaned) = (
        count(SlotStatus::Adopted),
        count(SlotStatus::Immutable),
        count(SlotStatus::Orphaned),
    );
    assert_eq!(count(SlotStatus::Rejected), 0, "{entries:?}");
    assert_eq!(count(SlotStatus::Forged), 0, "every forged block has its fate");
    assert!(immutable >= 10, "immutable {immutable}");
    assert_eq!(
        adopted + immutable,
        tip.block_number as usize + 1,
        "one adopted block per chain position"
    );
    let battles = entries
        .iter()
        .filter(|e| entries.iter().filter(|o| o.slot == e.slot).count() > 1)
        .count();
    assert!(
        orphaned <= battles,
        "orphans come from slot battles here ({orphaned} orphaned, {battles} in battles)"
    );
    assert!(live.ledger.epoch >= 2, "epoch {}", live.ledger.epoch);
    assert!(
        submitted >= 20 && txs_on_chain > 0,
        "{submitted} submitted, {txs_on_chain} in the volatile chain"
    );
    eprintln!(
        "tip {} at slot {}, epoch {}: {immutable} immutable, {adopted} adopted, {orphaned} orphaned, {battles} slots with battles, {submitted} transactions submitted",
        tip.block_number, tip.slot, live.ledger.epoch
    );

    // The store replays to the same state.
    let store = BlockStore::open(&store_path, &cfg).unwrap();
    let again = store.load(Arc::new(cfg.clone())).unwrap();
    assert_eq!(
        **again.tip_state(),
        *live,
        "tip, ledger, stake snapshots, nonces, opcert counters"
    );
}
