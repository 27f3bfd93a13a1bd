//! A simulated world for the leadership process: a real enclave signer in this process (with
//! an outage switch, and a record of every body it was asked to sign), a simulated blockchain
//! with slot battles, and a fragment pool.
#![allow(dead_code)]

use slotforge_praos::nonce::Nonce;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_enclave::sign_guard::SignGuard;
use slotforge_enclave::signer::{Identity, PraosLeader, ScheduledSlot, SignedHeader, Signer};
use slotforge_enclave::wire::ScheduleParams;
use slotforge_leadership::process::LeadershipHandle;
use slotforge_leadership::seams::{
    BlockOutcome, BlockRef, Blockchain, ChainEvent, ChainTip, Enclave, EnclaveError, ForgedBlock, FragmentPool,
    SelectedBody,
};
use slotforge_praos::epoch_leadership::{EpochConsensus, EpochLeadership, TimeFrame};
use slotforge_praos::leader::VrfVariant;
use slotforge_praos::nonce::blake2b256;

pub const SLOT_MS: u64 = 1000;
pub const GENESIS_MS: i64 = 1_700_000_000_000;

/// A signer holding `pools` Praos pools named pool-0, pool-1, … (KES periods of 1,000 slots).
pub fn signer(dir: &Path, pools: usize) -> Arc<Signer> {
    let signer = Signer::new(SignGuard::create(&dir.join("guard.db")).unwrap());
    for i in 0..pools {
        add_pool(&signer, i);
    }
    Arc::new(signer)
}

pub fn add_pool(signer: &Signer, i: usize) {
    let seed = i as u8 + 1;
    let kes = KesSecretKey::from_seed(&mut [seed; 32]);
    let cold = SigningKey::from_bytes(&[seed + 100; 32]);
    let opcert = OperationalCertificate::issue(&cold, kes.public_key(), 0, 0);
    signer.add_leader(
        &format!("pool-{i}"),
        PraosLeader {
            vrf: VrfSecretKey::from_seed(&[seed + 50; 32]),
            kes,
            kes_store: None,
            opcert,
            slots_per_kes_period: 1000,
            max_kes_evolutions: 62,
        },
    );
}

/// Epoch `e` of `len` slots; each of the signer's pools holds `stake` of 12 units, f = 1/2;
/// `variant_seed` varies the nonce (a fork).
pub fn epoch_params(signer: &Signer, e: u64, len: u64, stake: u64, variant_seed: u8) -> EpochLeadership {
    let mut stakes = BTreeMap::new();
    for id in signer.leader_ids() {
        if let Ok(Identity::Praos(p)) = signer.identity(&id) {
            stakes.insert(p.pool_id, stake);
        }
    }
    let mut nonce = [0u8; 32];
    nonce[..8].copy_from_slice(&e.to_be_bytes());
    nonce[8] = variant_seed;
    EpochLeadership {
        epoch: e,
        first_slot: e * len,
        epoch_length: len,
        time: TimeFrame {
            epoch_start_unix_ms: GENESIS_MS + (e * len * SLOT_MS) as i64,
            slot_length_ms: SLOT_MS,
        },
        consensus: EpochConsensus::Praos {
            variant: VrfVariant::Praos,
            epoch_nonce: Nonce::Hash(nonce),
            active_slot_coeff: (1, 2),
            stake: stakes,
            total_stake: 12,
            decentralisation: (0, 1),
        },
    }
}

/// (leader, slot) → every distinct body hash the enclave was asked to sign.
pub type AskedBodies = HashMap<(String, u64), Vec<[u8; 32]>>;

/// Something a test runs from inside the enclave.
pub type Hook = Box<dyn FnOnce() + Send>;

/// Schedule computations that ran to the end: leader, the parameters (as `Debug` text) and the
/// slots computed.
pub type ComputedRanges = Vec<(String, String, Range<u64>)>;

/// The enclave's signer, called on the runtime's own thread (so virtual time cannot move while
/// it computes), with an outage switch and a record of every body it was asked to sign.
#[derive(Clone)]
pub struct SimEnclave {
    pub signer: Arc<Signer>,
    pub down: Arc<AtomicBool>,
    pub asked: Arc<Mutex<AskedBodies>>,
    pub computed: Arc<Mutex<ComputedRanges>>,
    /// How long each signature takes (ms).
    pub sign_delay_ms: Arc<std::sync::atomic::AtomicU64>,
    /// Run once a schedule's slots are all delivered; the stream then stays open (it never
    /// ends), as a stream cut by a stop would.
    pub after_delivery: Arc<Mutex<Option<Hook>>>,
    /// Run once, right after a signature is made.
    pub after_sign: Arc<Mutex<Option<Hook>>>,
}

impl SimEnclave {
    pub fn new(signer: Arc<Signer>) -> Self {
        SimEnclave {
            signer,
            down: Arc::new(AtomicBool::new(false)),
            asked: Arc::default(),
            computed: Arc::default(),
            sign_delay_ms: Arc::default(),
            after_delivery: Arc::default(),
            after_sign: Arc::default(),
        }
    }

    fn check(&self) -> Result<(), EnclaveError> {
        if self.down.load(Ordering::SeqCst) {
            Err(EnclaveError::Unavailable(
                "connection refused (simulated outage)".into(),
            ))
        } else {
            Ok(())
        }
    }
}

fn refused(e: slotforge_enclave::signer::SignError) -> EnclaveError {
    EnclaveError::Refused {
        reason: e.kind(),
        message: e.to_string(),
    }
}

impl Enclave for SimEnclave {
    async fn leaders(&self) -> Result<Vec<String>, EnclaveError> {
        self.check()?;
        Ok(self.signer.leader_ids())
    }

    async fn identity(&self, leader: &str) -> Result<Identity, EnclaveError> {
        self.check()?;
        self.signer.identity(leader).map_err(refused)
    }

    async fn schedule(
        &self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
        sink: tokio::sync::mpsc::Sender<ScheduledSlot>,
    ) -> Result<(), EnclaveError> {
        self.check()?;
        let p = params
            .to_epoch_params()
            .map_err(|e| EnclaveError::Other(e.to_string()))?;
        let won = self.signer.schedule(leader, p, slots.clone()).map_err(refused)?;
        for s in won {
            if sink.send(s).await.is_err() {
                return Ok(());
            }
        }
        let hook = self.after_delivery.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
            return std::future::pending().await;
        }
        self.computed
            .lock()
            .unwrap()
            .push((leader.to_string(), format!("{params:?}"), slots));
        Ok(())
    }

    async fn sign(&self, leader: &str, body: Vec<u8>) -> Result<SignedHeader, EnclaveError> {
        self.check()?;
        let delay = self.sign_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        }
        let (slot, hash) = slotforge_enclave::signer::body_slot_and_hash(&body).expect("a decodable body");
        let mut asked = self.asked.lock().unwrap();
        let seen = asked.entry((leader.to_string(), slot)).or_default();
        if !seen.contains(&hash) {
            seen.push(hash);
        }
        drop(asked);
        let signed = self.signer.sign_block(leader, &body).map_err(refused);
        let hook = self.after_sign.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        signed
    }
}

/// A block the simulated chain knows.
#[derive(Debug, Clone, Copy)]
pub struct SimBlock {
    pub block: BlockRef,
    pub parent: Option<BlockRef>,
    pub ours: bool,
}

/// The simulated chain: a tree of blocks and a tip; slot battles go to the lower hash.
#[derive(Default)]
pub struct ChainState {
    pub blocks: HashMap<[u8; 32], SimBlock>,
    pub tip: Option<[u8; 32]>,
    pub submitted: Vec<ForgedBlock>,
    /// Where outcomes go (the current leadership process).
    pub handle: Option<LeadershipHandle>,
    /// Our blocks reported adopted and not yet immutable or orphaned.
    pub adopted: Vec<[u8; 32]>,
}

#[derive(Clone, Default)]
pub struct SimChain(pub Arc<Mutex<ChainState>>);

impl ChainState {
    fn tip_of(&self, hash: [u8; 32]) -> ChainTip {
        let b = self.blocks[&hash];
        ChainTip {
            block: b.block,
            parent: b.parent,
        }
    }

    fn tell(&self, event: ChainEvent) {
        if let Some(h) = &self.handle {
            h.chain_event(event);
        }
    }

    /// Adds a block; it becomes the tip if it extends the tip, or if it is in the same slot as
    /// the tip on the same parent with a lower hash (a slot battle). The loser of a battle, if
    /// ours, is reported orphaned.
    pub fn add(&mut self, b: SimBlock) -> bool {
        self.blocks.insert(b.block.hash, b);
        let extends = match (self.tip, b.parent) {
            (None, None) => true,
            (Some(t), Some(p)) => t == p.hash,
            _ => false,
        };
        let wins_battle = self.tip.is_some_and(|t| {
            let tip = self.blocks[&t];
            tip.block.slot == b.block.slot && tip.parent.map(|p| p.hash) == b.parent.map(|p| p.hash) && b.block.hash < t
        });
        if extends || wins_battle {
            if wins_battle {
                let loser = self.tip.unwrap();
                if self.blocks[&loser].ours {
                    self.adopted.retain(|h| *h != loser);
                    self.tell(ChainEvent::BlockOutcome {
                        hash: loser,
                        outcome: BlockOutcome::Orphaned,
                    });
                }
            }
            self.tip = Some(b.block.hash);
            let tip = self.tip_of(b.block.hash);
            self.tell(ChainEvent::TipChanged(tip));
            true
        } else {
            false
        }
    }

    /// Our adopted blocks at least `k` blocks below the tip become immutable.
    pub fn settle(&mut self, k: u64) {
        let Some(t) = self.tip else { return };
        let height = self.blocks[&t].block.block_number;
        let (deep, shallow): (Vec<_>, Vec<_>) = self
            .adopted
            .iter()
            .partition(|h| self.blocks[*h].block.block_number + k <= height);
        self.adopted = shallow;
        for hash in deep {
            self.tell(ChainEvent::BlockOutcome {
                hash,
                outcome: BlockOutcome::Immutable,
            });
        }
    }
}

impl Blockchain for SimChain {
    async fn tip(&self) -> Option<ChainTip> {
        let s = self.0.lock().unwrap();
        s.tip.map(|t| s.tip_of(t))
    }

    async fn submit(&self, block: ForgedBlock) -> Result<(), String> {
        let mut s = self.0.lock().unwrap();
        let slot = match slotforge_praos::header::Header::decode(&block.header) {
            Ok(h) => h.body().slot,
            Err(_) => {
                slotforge_praos::bft::BftHeader::decode(&block.header)
                    .map_err(|e| e.to_string())?
                    .body()
                    .slot
            }
        };
        if slot != block.slot || blake2b256(&[&block.header]) != block.hash {
            return Err("the header does not match the block".into());
        }
        let parent = block.parent.map(|p| s.blocks[&p].block);
        if let Some(p) = parent {
            if p.slot >= block.slot || p.block_number + 1 != block.block_number {
                return Err(format!(
                    "slot {} does not follow its parent (slot {})",
                    block.slot, p.slot
                ));
            }
        }
        let b = SimBlock {
            block: BlockRef {
                hash: block.hash,
                slot: block.slot,
                block_number: block.block_number,
            },
            parent,
            ours: true,
        };
        s.submitted.push(block);
        if s.add(b) {
            s.adopted.push(b.block.hash);
            s.tell(ChainEvent::BlockOutcome {
                hash: b.block.hash,
                outcome: BlockOutcome::Adopted {
                    chain_length: b.block.block_number + 1,
                },
            });
        } else {
            s.tell(ChainEvent::BlockOutcome {
                hash: b.block.hash,
                outcome: BlockOutcome::Orphaned,
            });
        }
        Ok(())
    }
}

/// A pool of `n` transactions of 200 bytes; a body takes them in order within the budget.
/// Its bytes are the ids (a stand-in: the simulated chain does not decode bodies).
#[derive(Clone)]
pub struct SimPool {
    pub tx_ids: Arc<Vec<[u8; 32]>>,
}

impl SimPool {
    pub fn new(n: usize) -> Self {
        SimPool {
            tx_ids: Arc::new((0..n).map(|i| blake2b256(&[&(i as u64).to_be_bytes()])).collect()),
        }
    }
}

impl FragmentPool for SimPool {
    async fn select(&self, _parent: Option<BlockRef>, _slot: u64, max_bytes: u64, _deadline_ms: i64) -> SelectedBody {
        let n = (max_bytes / 200) as usize;
        let tx_ids: Vec<[u8; 32]> = self.tx_ids.iter().take(n).copied().collect();
        let bytes = tx_ids.concat();
        SelectedBody {
            hash: blake2b256(&[&bytes]),
            size: 200 * tx_ids.len() as u64,
            bytes,
            tx_ids,
        }
    }
}

/// xorshift64*, reproducible from the printed seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
