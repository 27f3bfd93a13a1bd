//! Slot-to-block latency: from the start of a leader slot to the block handed to the
//! blockchain, on the real clock, with 10,000 fragments in the pool and a durable enclave
//! (its sign guard on disk). Every slot is a leader slot (f = 1, all stake), slots are
//! `SLOT_MS` long (default 150), and `SLOTS` of them are forged (default 400).
//!
//! `ENCLAVE=grpc ENCLAVE_SOCKET=…` uses a running `slotforge-enclave` over its Unix socket
//! instead of the signer in this process. Run both with `scripts/bench-leadership.sh`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_enclave::sign_guard::SignGuard;
use slotforge_enclave::signer::{Identity, PraosLeader, Signer};
use slotforge_leadership::clock::{Clock, SystemClock};
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::grpc_enclave::GrpcEnclave;
use slotforge_leadership::in_process_enclave::InProcessEnclave;
use slotforge_leadership::process;
use slotforge_leadership::seams::{
    BlockRef, Blockchain, ChainEvent, ChainTip, Enclave, ForgedBlock, FragmentPool, SelectedBody,
};
use slotforge_leadership::slot_log::SlotLog;
use slotforge_praos::epoch_leadership::{EpochConsensus, EpochLeadership, TimeFrame};
use slotforge_praos::leader::VrfVariant;
use slotforge_praos::nonce::blake2b256;

/// A chain that adopts every block and records when it arrived.
#[derive(Clone)]
struct Chain {
    tip: Arc<Mutex<Option<ChainTip>>>,
    latencies: Arc<Mutex<Vec<Duration>>>,
    slot_start: Arc<dyn Fn(u64) -> i64 + Send + Sync>,
}

impl Blockchain for Chain {
    async fn tip(&self) -> Option<ChainTip> {
        *self.tip.lock().unwrap()
    }

    async fn submit(&self, block: ForgedBlock) -> Result<(), String> {
        // The slot's start on the wall clock, which the leadership process also follows.
        let started = std::time::UNIX_EPOCH + Duration::from_millis((self.slot_start)(block.slot) as u64);
        self.latencies
            .lock()
            .unwrap()
            .push(std::time::SystemTime::now().duration_since(started).unwrap_or_default());
        let mut tip = self.tip.lock().unwrap();
        *tip = Some(ChainTip {
            block: BlockRef {
                hash: block.hash,
                slot: block.slot,
                block_number: block.block_number,
            },
            parent: tip.map(|t| t.block),
        });
        Ok(())
    }
}

/// 10,000 transactions of 150 to 549 bytes; a body takes them in order within the budget
/// (a stand-in for the chain's mempool, whose own selection is benchmarked in the chain crate).
#[derive(Clone)]
struct Pool(Arc<Vec<([u8; 32], u64)>>);

impl FragmentPool for Pool {
    async fn select(&self, _parent: Option<BlockRef>, _slot: u64, max_bytes: u64, _deadline_ms: i64) -> SelectedBody {
        let mut used = 0;
        let tx_ids: Vec<[u8; 32]> = self
            .0
            .iter()
            .filter(|(_, size)| {
                let fits = used + size <= max_bytes;
                if fits {
                    used += size;
                }
                fits
            })
            .map(|(id, _)| *id)
            .collect();
        let bytes = tx_ids.concat();
        SelectedBody {
            hash: blake2b256(&[&bytes]),
            size: used,
            bytes,
            tx_ids,
        }
    }
}

async fn run<E: Enclave>(
    enclave: E,
    identity: Identity,
    (first_slot, slots, slot_ms): (u64, u64, u64),
    dir: &std::path::Path,
) -> Vec<Duration> {
    let Identity::Praos(p) = identity else { unreachable!() };
    let clock = SystemClock::new();
    let start = (clock.now_ms() / 1000 + 2) * 1000;
    let params = EpochLeadership {
        epoch: 0,
        first_slot,
        epoch_length: slots,
        time: TimeFrame {
            epoch_start_unix_ms: start,
            slot_length_ms: slot_ms,
        },
        consensus: EpochConsensus::Praos {
            variant: VrfVariant::Praos,
            epoch_nonce: slotforge_praos::nonce::Nonce::Hash([0; 32]),
            active_slot_coeff: (1, 1),
            stake: [(p.pool_id, 1)].into(),
            total_stake: 1,
            decentralisation: (0, 1),
        },
    };
    let p2 = params.clone();
    let chain = Chain {
        tip: Arc::default(),
        latencies: Arc::default(),
        slot_start: Arc::new(move |s| p2.slot_start_ms(s)),
    };
    let pool = Pool(Arc::new(
        (0..10_000u64)
            .map(|i| (blake2b256(&[&i.to_be_bytes()]), 150 + i % 400))
            .collect(),
    ));
    let log = Arc::new(SlotLog::open(&dir.join("slots.db")).unwrap());
    let (handle, _task) = process::start(enclave, chain.clone(), pool, clock, log, LeadershipConfig::default())
        .await
        .unwrap();
    handle.chain_event(ChainEvent::Leadership(params.clone()));
    clock
        .sleep_until_ms(params.slot_start_ms(first_slot + slots) + 1000)
        .await;
    handle.stop();
    let mut l = chain.latencies.lock().unwrap().clone();
    l.sort();
    l
}

fn report(name: &str, l: &[Duration], slots: u64) {
    let p = |q: f64| l[((l.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    println!(
        "slot-to-block, {name:<22} forged {}/{slots}: p50={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms",
        l.len(),
        p(0.5),
        p(0.9),
        p(0.99),
        p(1.0)
    );
}

#[tokio::main]
async fn main() {
    let env = |n: &str, d: u64| std::env::var(n).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let (slots, slot_ms) = (env("SLOTS", 400), env("SLOT_MS", 150));
    // The sample pool's opcert (gRPC run) starts at KES period 7 of 129,600 slots.
    let first_slot = env("FIRST_SLOT", 0);
    let dir = tempfile::tempdir().unwrap();
    if std::env::var("ENCLAVE").as_deref() == Ok("grpc") {
        let socket = std::env::var("ENCLAVE_SOCKET").expect("ENCLAVE_SOCKET: the running enclave's Unix socket");
        let client = slotforge_enclave::client::EnclaveClient::connect_unix(std::path::Path::new(&socket))
            .await
            .unwrap();
        let enclave = GrpcEnclave::new(client);
        let leader = enclave.leaders().await.unwrap().remove(0);
        let identity = enclave.identity(&leader).await.unwrap();
        let l = run(enclave, identity, (first_slot, slots, slot_ms), dir.path()).await;
        report("gRPC enclave (Unix)", &l, slots);
        return;
    }
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
    let l = run(
        InProcessEnclave(signer),
        identity,
        (first_slot, slots, slot_ms),
        dir.path(),
    )
    .await;
    report("in-process enclave", &l, slots);
}
