//! Slot-to-block latency of the leadership module on the real chain: from a slot's start to
//! the block adopted by the chain task, including the body built from a mempool kept at
//! 10,000 pending payments (PENDING), the header signed by a durable enclave, and full validation and
//! storage of the block. The pool holds all the stake and f = 1: it leads every slot.
//!
//!   SLOTS=100 SLOT_MS=150 PENDING=10000 cargo run --release -p slotforge --example slot_to_adoption
//!
//! The enclave's signer runs in this process with its durable sign guard and KES store; the
//! leadership module alone (with the enclave as a separate process too) is measured by
//! `slotforge-leadership`'s own `forge_latency` example.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use slotforge::chain_bridge::{self, ChainBridge};
use slotforge_chain::config::ChainConfig;
use slotforge_chain::service::{self, ServiceConfig};
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_devnet::genesis_spec::{DevnetFunds, DevnetPool, DevnetSpec};
use slotforge_devnet::txbuilder::{base_address, enterprise_address, key_hash, TxBuilder};
use slotforge_enclave::sign_guard::SignGuard;
use slotforge_enclave::signer::{Identity, PraosLeader, Signer};
use slotforge_leadership::clock::{Clock, SystemClock};
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::in_process_enclave::InProcessEnclave;
use slotforge_leadership::process;
use slotforge_leadership::seams::{Blockchain, ChainTip, Enclave, ForgedBlock};
use slotforge_leadership::slot_log::SlotLog;
use slotforge_ledger::genesis::{AlonzoGenesis, Genesis};
use slotforge_ledger::state::genesis_txin;
use slotforge_praos::nonce::blake2b256;
use slotforge_praos::ratio::Ratio;

/// The chain bridge, timing each block from its slot's start to its adoption.
#[derive(Clone)]
struct Timed {
    inner: ChainBridge<SystemClock>,
    slot_start: Arc<dyn Fn(u64) -> i64 + Send + Sync>,
    latencies: Arc<Mutex<Vec<Duration>>>,
    txs: Arc<Mutex<usize>>,
}

impl Blockchain for Timed {
    async fn tip(&self) -> Option<ChainTip> {
        self.inner.tip().await
    }

    async fn submit(&self, block: ForgedBlock) -> Result<(), String> {
        // The slot's start on the wall clock, which the leadership process also follows.
        let started = std::time::UNIX_EPOCH + Duration::from_millis((self.slot_start)(block.slot) as u64);
        let n = block.body.tx_ids.len();
        self.inner.submit(block).await?;
        self.latencies
            .lock()
            .unwrap()
            .push(std::time::SystemTime::now().duration_since(started).unwrap_or_default());
        *self.txs.lock().unwrap() += n;
        Ok(())
    }
}

const PER_BLOCK: usize = 470;

async fn run<E: Enclave>(
    enclave: E,
    identity: Identity,
    slots: u64,
    slot_ms: u64,
    pending: usize,
) -> (Vec<Duration>, usize) {
    let Identity::Praos(p) = identity else {
        panic!("a Praos pool")
    };
    let dir = tempfile::tempdir().unwrap();
    let clock = SystemClock::new();
    // Enough payments to keep `pending` pending through every slot.
    let total = if pending == 0 {
        0
    } else {
        pending + PER_BLOCK * slots as usize
    };
    let payer = SigningKey::from_bytes(&[9; 32]);
    let owner = SigningKey::from_bytes(&[8; 32]);
    let addrs: Vec<Vec<u8>> = (0..total)
        .map(|i| {
            let stake: [u8; 28] = blake2b256(&[&(i as u64).to_be_bytes()])[..28].try_into().unwrap();
            base_address(0, &key_hash(&payer), &stake)
        })
        .collect();
    let mut funds: Vec<DevnetFunds> = addrs
        .iter()
        .map(|a| DevnetFunds {
            address: a.clone(),
            lovelace: 100_000_000,
        })
        .collect();
    funds.push(DevnetFunds {
        address: base_address(0, &key_hash(&owner), &key_hash(&owner)),
        lovelace: 1_000_000_000_000,
    });
    let mut spec = DevnetSpec {
        system_start: chrono::DateTime::from_timestamp_millis(0).unwrap(),
        network_magic: 42,
        slot_length: Ratio::new(slot_ms, 1000),
        // One epoch covers the run (f = 1 schedules every slot of it).
        epoch_length: slots + 100,
        security_param: 2160,
        active_slots_coeff: Ratio::new(1, 1),
        slots_per_kes_period: 129_600,
        max_kes_evolutions: 62,
        pools: vec![DevnetPool {
            id: p.pool_id,
            vrf_key_hash: blake2b256(&[&p.vrf_vkey]),
            owner_stake: key_hash(&owner),
        }],
        funds,
        gen_delegs: Vec::new(),
    };
    let config = |spec: &DevnetSpec| {
        let shelley = spec.shelley_genesis();
        let hash = blake2b256(&[&serde_json::to_vec_pretty(&shelley).unwrap()]);
        ChainConfig::new(
            Genesis::from_parts(shelley, AlonzoGenesis::default(), hash).unwrap(),
            None,
        )
        .unwrap()
    };
    let params = config(&spec).ledger;
    let txs: Vec<Vec<u8>> = addrs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            TxBuilder::new()
                .input(genesis_txin(a))
                .output(enterprise_address(0, &[(i % 251) as u8; 28]), 0)
                .balance(&params, 100_000_000, 0, &[&payer])
                .to_cbor()
        })
        .collect();
    // Slot 0 starts 3 s from now (after the mempool is filled), on a whole second.
    let start_ms = clock.now_ms() + 3000;
    spec.system_start = chrono::DateTime::from_timestamp_millis(start_ms - start_ms.rem_euclid(1000)).unwrap();
    let cfg = config(&spec);
    let chain = service::start(
        &dir.path().join("chain.db"),
        cfg.clone(),
        ServiceConfig {
            mempool_capacity_bytes: 64 << 20,
            ..ServiceConfig::default()
        },
        clock.now_ms(),
    )
    .unwrap();
    let mut txs = txs.into_iter();
    for t in txs.by_ref().take(pending) {
        chain.submit_tx(t).await.unwrap();
    }
    let bridge = ChainBridge::new(chain.clone(), clock);
    let cfg2 = cfg.clone();
    let timed = Timed {
        inner: bridge.clone(),
        slot_start: Arc::new(move |s| cfg2.slot_start_ms(s)),
        latencies: Arc::default(),
        txs: Arc::default(),
    };
    let log = Arc::new(SlotLog::open(&dir.path().join("slots.db")).unwrap());
    let (handle, task) = process::start(
        enclave,
        timed.clone(),
        bridge,
        clock,
        log.clone(),
        LeadershipConfig::default(),
    )
    .await
    .unwrap();
    let forwarder = tokio::spawn(chain_bridge::run(chain.clone(), handle.clone(), clock));
    // Top the mempool up to 10,000 after every block.
    let end = cfg.slot_start_ms(slots) + 1000;
    let mut last = 0;
    while clock.now_ms() < end {
        let forged = *timed.txs.lock().unwrap();
        for t in txs.by_ref().take(forged - last) {
            let _ = chain.submit_tx(t).await;
        }
        last = forged;
        tokio::time::sleep(Duration::from_millis(slot_ms / 3)).await;
    }
    handle.stop();
    task.await.unwrap();
    forwarder.abort();
    let entries = log
        .query(&slotforge_leadership::slot_log::Query {
            limit: 100_000,
            ..Default::default()
        })
        .unwrap();
    let missed: Vec<_> = entries
        .iter()
        .filter(|e| e.reason.is_some())
        .take(3)
        .map(|e| (e.slot, e.status, e.reason.clone()))
        .collect();
    if !missed.is_empty() {
        eprintln!(
            "{} of {} slots not forged, e.g. {missed:?}",
            entries.iter().filter(|e| e.reason.is_some()).count(),
            entries.len()
        );
    }
    let mut l = timed.latencies.lock().unwrap().clone();
    l.sort();
    let n = *timed.txs.lock().unwrap();
    (l, n)
}

fn report(name: &str, (l, txs): &(Vec<Duration>, usize), slots: u64) {
    let p = |q: f64| l[((l.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    println!(
        "slot-to-adoption, {name:<22} {}/{slots} blocks, {txs} transactions: p50={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms",
        l.len(),
        p(0.5),
        p(0.9),
        p(0.99),
        p(1.0)
    );
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SLOTFORGE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let env = |n: &str, d: u64| std::env::var(n).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let (slots, slot_ms, pending) = (env("SLOTS", 100), env("SLOT_MS", 150), env("PENDING", 10_000) as usize);
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::new(SignGuard::create(&dir.path().join("guard.db")).unwrap());
    let kes = KesSecretKey::from_seed(&mut [1; 32]);
    let opcert = OperationalCertificate::issue(&SigningKey::from_bytes(&[2; 32]), kes.public_key(), 0, 0);
    signer.add_leader(
        "pool",
        PraosLeader {
            vrf: VrfSecretKey::from_seed(&[3; 32]),
            kes,
            kes_store: Some(slotforge_enclave::kes_store::KesKeyStore::open(dir.path().join("kes.key")).unwrap()),
            opcert,
            slots_per_kes_period: 129_600,
            max_kes_evolutions: 62,
        },
    );
    let signer = Arc::new(signer);
    let identity = signer.identity("pool").unwrap();
    let r = run(InProcessEnclave(signer), identity, slots, slot_ms, pending).await;
    report("in-process enclave", &r, slots);
}
