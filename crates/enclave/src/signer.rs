//! The enclave's signing logic, independent of transport: leaders' keys, remembered epoch
//! parameters, schedules, and block signing with every check before the sign guard.
//!
//! Each leader's keys sit behind their own [`Arc`], so a schedule being computed for one
//! leader never blocks signing for it or for another; only the KES key, which evolves, has a
//! lock of its own.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

use rayon::prelude::*;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::{KesSecretKey, MAX_PERIODS};
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_praos::bft::{BftHeader, BftHeaderBody};
use slotforge_praos::forge;
use slotforge_praos::header::{Header, HeaderBody, HeaderDecodeError};
use slotforge_praos::leader::bft_leader_index;
use slotforge_praos::nonce::blake2b256;

use crate::clock::SlotClock;
use crate::kes_store::{KesKeyStore, KesStoreError};
use crate::sign_guard::{GuardError, GuardOutcome, GuardRequest, KesUse, Refusal, SignGuard, Signed};

/// How many epochs of parameters are remembered per leader (the newest ones).
const REMEMBERED_EPOCHS: usize = 8;
/// Slots per parallel work item of a schedule scan (the `leaderlog` chunk size).
const SCAN_CHUNK: u64 = 4096;
/// The first scan window is small so the first won slots are streamed within milliseconds;
/// windows then double up to a few chunks per core.
const FIRST_WINDOW: u64 = 512;

/// A Praos pool's keys as the enclave holds them.
pub struct PraosLeader {
    pub vrf: VrfSecretKey,
    pub kes: KesSecretKey,
    /// Where every evolution of `kes` is persisted before it is used; None keeps it in memory
    /// only (tests).
    pub kes_store: Option<KesKeyStore>,
    pub opcert: OperationalCertificate,
    pub slots_per_kes_period: u64,
    pub max_kes_evolutions: u64,
}

/// A BFT leader: one Ed25519 key (zeroized on drop by ed25519-dalek).
pub struct BftLeader {
    pub key: SigningKey,
}

/// The keys of one leader.
pub enum LeaderKeys {
    Praos(PraosLeader),
    Bft(BftLeader),
}

impl From<PraosLeader> for LeaderKeys {
    fn from(l: PraosLeader) -> Self {
        LeaderKeys::Praos(l)
    }
}

impl From<BftLeader> for LeaderKeys {
    fn from(l: BftLeader) -> Self {
        LeaderKeys::Bft(l)
    }
}

pub use slotforge_enclave_api::types::{BftEpoch, EpochParams, Identity, PraosIdentity, ScheduledSlot, SignedHeader};

/// Why the enclave did not sign or schedule; each is a distinct kind the node can act on.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no leader {0:?} in this enclave")]
    UnknownLeader(String),
    #[error("the header body does not decode: {0}")]
    MalformedBody(HeaderDecodeError),
    #[error("the body for slot {slot} is for another pool or key set: {what}")]
    ForeignBody { slot: u64, what: &'static str },
    #[error(
        "slot {slot} starts {ahead_ms} ms after the enclave's clock (its current slot is {current_slot}); \
         no slot more than {tolerance_ms} ms ahead is signed: check both hosts' clocks"
    )]
    SlotInFuture {
        slot: u64,
        current_slot: u64,
        ahead_ms: u64,
        tolerance_ms: u64,
    },
    #[error(
        "slot {slot} is in KES period {needed}, after the period {current} of the enclave's current slot: \
         the KES key is never evolved ahead of the clock"
    )]
    KesPeriodInFuture { slot: u64, needed: u64, current: u64 },
    #[error("the parameters are for another consensus than the leader's ({0})")]
    WrongConsensus(&'static str),
    #[error("no leadership parameters are known for the epoch of slot {0}; request its schedule first")]
    UnknownEpoch(u64),
    #[error("the leader does not lead slot {0}")]
    NotLeader(u64),
    #[error("the body's VRF result for slot {0} is not this enclave's")]
    VrfMismatch(u64),
    #[error("slot {slot} is in KES period {slot_period}, before the opcert's start {opcert_period}")]
    KesPeriodBeforeOpCert {
        slot: u64,
        slot_period: u64,
        opcert_period: u64,
    },
    #[error(
        "slot {slot} is past the opcert's KES window (start {opcert_period}, {limit} periods): a new opcert is needed"
    )]
    KesExpired { slot: u64, opcert_period: u64, limit: u64 },
    #[error("the KES key is already at period {current}; slot {slot} needs period {needed}")]
    KesKeyPastPeriod { slot: u64, current: u32, needed: u32 },
    #[error("refused by the sign guard: {0}")]
    Refused(Refusal),
    #[error("sign guard: {0}")]
    Guard(#[from] GuardError),
    #[error("persisting the evolved KES key: {0}")]
    KesStore(#[from] KesStoreError),
    #[error("signing failed: {0}")]
    Forge(String),
}

impl SignError {
    /// A stable snake_case name of the kind, for the audit log, metrics and the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            SignError::UnknownLeader(_) => "unknown_leader",
            SignError::MalformedBody(_) => "malformed_body",
            SignError::ForeignBody { .. } => "foreign_body",
            SignError::SlotInFuture { .. } | SignError::KesPeriodInFuture { .. } => "slot_in_future",
            SignError::WrongConsensus(_) => "wrong_consensus",
            SignError::UnknownEpoch(_) => "unknown_epoch",
            SignError::NotLeader(_) => "not_leader",
            SignError::VrfMismatch(_) => "vrf_mismatch",
            SignError::KesPeriodBeforeOpCert { .. } => "kes_period_before_opcert",
            SignError::KesExpired { .. } => "kes_expired",
            SignError::KesKeyPastPeriod { .. } => "kes_key_past_period",
            SignError::Refused(Refusal::DoubleSign { .. }) => "double_sign",
            SignError::Refused(Refusal::Regression { .. }) => "regression",
            SignError::Refused(Refusal::KesPeriodPassed { .. }) => "kes_key_past_period",
            SignError::Guard(GuardError::Unavailable(_)) => "guard_unavailable",
            SignError::Guard(GuardError::SlotOutOfRange(_)) => "slot_out_of_range",
            SignError::Guard(_) => "guard_failure",
            SignError::KesStore(_) => "kes_store_failure",
            SignError::Forge(_) => "forge_failure",
        }
    }
}

/// The evolving part of a Praos leader.
struct KesState {
    key: KesSecretKey,
    store: Option<KesKeyStore>,
}

impl KesState {
    /// Evolves the key to `period`, persisting it before it is used (and the old key's bytes
    /// are overwritten).
    fn evolve_to(&mut self, period: u32) -> Result<(), SignError> {
        let mut evolved = KesSecretKey::from_bytes(&self.key.to_bytes(), self.key.period())
            .map_err(|e| SignError::Forge(e.to_string()))?;
        evolved.evolve_to(period).map_err(|e| SignError::Forge(e.to_string()))?;
        if let Some(store) = &self.store {
            store.save(&evolved)?;
        }
        self.key = evolved;
        Ok(())
    }
}

struct PraosEntry {
    vrf: VrfSecretKey,
    opcert: OperationalCertificate,
    slots_per_kes_period: u64,
    max_kes_evolutions: u64,
    kes: Mutex<KesState>,
}

enum Entry {
    Praos(PraosEntry),
    Bft(BftLeader),
}

impl Entry {
    /// The key under which the guard records this leader's history: the pool id for a pool,
    /// the verification key for a BFT leader. It follows the keys, not the configured name,
    /// so an exported history protects the same keys wherever they move.
    fn guard_id(&self) -> String {
        match self {
            Entry::Praos(p) => hex::encode(slotforge_praos::validation::pool_id(&p.opcert.cold_vkey)),
            Entry::Bft(b) => format!("bft:{}", hex::encode(b.key.verifying_key().to_bytes())),
        }
    }
}

/// The enclave's state: its leaders, what it remembers of each epoch, and its guard.
pub struct Signer {
    guard: SignGuard,
    /// The enclave's own clock; None (tests and simulations) signs any slot.
    clock: Option<SlotClock>,
    leaders: Mutex<HashMap<String, Arc<Entry>>>,
    /// leader → epoch → the parameters its schedule was computed under.
    epochs: Mutex<HashMap<String, BTreeMap<u64, EpochParams>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Signer {
    pub fn new(guard: SignGuard) -> Self {
        Signer {
            guard,
            clock: None,
            leaders: Mutex::new(HashMap::new()),
            epochs: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses every slot that starts more than the clock's tolerance after its now, and
    /// every KES period after the one of its current slot.
    pub fn with_clock(mut self, clock: SlotClock) -> Self {
        self.clock = Some(clock);
        self
    }

    pub fn guard(&self) -> &SignGuard {
        &self.guard
    }

    fn check_not_early(&self, slot: u64) -> Result<(), SignError> {
        let Some(clock) = &self.clock else { return Ok(()) };
        match clock.too_early(slot) {
            None => Ok(()),
            Some(early) => Err(SignError::SlotInFuture {
                slot,
                current_slot: early.current_slot,
                ahead_ms: early.ahead_ms,
                tolerance_ms: clock.tolerance_ms(),
            }),
        }
    }

    /// The KES period (absolute) of the enclave's current slot; None without a clock.
    fn current_kes_period(&self, slots_per_kes_period: u64) -> Option<u64> {
        Some(self.clock.as_ref()?.current_slot() / slots_per_kes_period.max(1))
    }

    /// Adds (or replaces) a leader; it can be scheduled and sign at once. Replacing a leader's
    /// keys keeps its remembered epochs only if its guard identity is unchanged.
    pub fn add_leader(&self, id: &str, keys: impl Into<LeaderKeys>) {
        let entry = Arc::new(match keys.into() {
            LeaderKeys::Praos(l) => Entry::Praos(PraosEntry {
                vrf: l.vrf,
                opcert: l.opcert,
                slots_per_kes_period: l.slots_per_kes_period,
                max_kes_evolutions: l.max_kes_evolutions,
                kes: Mutex::new(KesState {
                    key: l.kes,
                    store: l.kes_store,
                }),
            }),
            LeaderKeys::Bft(b) => Entry::Bft(b),
        });
        let old = lock(&self.leaders).insert(id.to_string(), entry.clone());
        if old.is_some_and(|o| o.guard_id() != entry.guard_id()) {
            lock(&self.epochs).remove(id);
        }
    }

    /// Evolves a pool's local KES key up to the highest period any enclave sharing the guard
    /// has signed in with it, so this host erases those older periods' secrets too. Returns
    /// the periods (from, to) when the key moved.
    pub fn catch_up_kes(&self, id: &str) -> Result<Option<(u32, u32)>, SignError> {
        let entry = self.entry(id)?;
        let Entry::Praos(l) = &*entry else { return Ok(None) };
        let Some(recorded) = self.guard.kes_period(&entry.guard_id(), &l.opcert.hot_vkey.0)? else {
            return Ok(None);
        };
        // Never past the period of this enclave's own current slot.
        let recorded = match self.current_kes_period(l.slots_per_kes_period) {
            Some(now) => recorded.min(now.saturating_sub(l.opcert.kes_period).min(u32::MAX as u64) as u32),
            None => recorded,
        };
        let mut kes = lock(&l.kes);
        let current = kes.key.period();
        if recorded <= current {
            return Ok(None);
        }
        kes.evolve_to(recorded)?;
        Ok(Some((current, recorded)))
    }

    /// Removes a leader and forgets its epochs. Its signing history stays in the guard.
    pub fn remove_leader(&self, id: &str) -> bool {
        lock(&self.epochs).remove(id);
        lock(&self.leaders).remove(id).is_some()
    }

    pub fn leader_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = lock(&self.leaders).keys().cloned().collect();
        ids.sort();
        ids
    }

    fn entry(&self, id: &str) -> Result<Arc<Entry>, SignError> {
        lock(&self.leaders)
            .get(id)
            .cloned()
            .ok_or_else(|| SignError::UnknownLeader(id.to_string()))
    }

    /// The key under which the guard records the leader's history (see the interchange format).
    pub fn guard_id(&self, id: &str) -> Result<String, SignError> {
        Ok(self.entry(id)?.guard_id())
    }

    pub fn identity(&self, id: &str) -> Result<Identity, SignError> {
        Ok(match &*self.entry(id)? {
            Entry::Praos(l) => {
                let limit = l.max_kes_evolutions.min(MAX_PERIODS as u64) as u32;
                let period = lock(&l.kes).key.period();
                Identity::Praos(Box::new(PraosIdentity {
                    pool_id: slotforge_praos::validation::pool_id(&l.opcert.cold_vkey),
                    vrf_vkey: l.vrf.public_key().0,
                    cold_vkey: l.opcert.cold_vkey,
                    opcert: l.opcert.clone(),
                    kes_period: period,
                    periods_left: limit.saturating_sub(period),
                    slots_per_kes_period: l.slots_per_kes_period,
                }))
            }
            Entry::Bft(b) => Identity::Bft {
                vkey: b.key.verifying_key().to_bytes(),
            },
        })
    }

    fn remember(&self, id: &str, params: EpochParams) {
        let mut epochs = lock(&self.epochs);
        let known = epochs.entry(id.to_string()).or_default();
        known.insert(params.epoch(), params);
        while known.len() > REMEMBERED_EPOCHS {
            known.pop_first();
        }
    }

    fn remembered(&self, id: &str, slot: u64) -> Option<EpochParams> {
        lock(&self.epochs)
            .get(id)?
            .values()
            .find(|p| p.slots().contains(&slot))
            .cloned()
    }

    /// Computes the won slots of `slots` (clamped to the epoch) under `params`, with proofs,
    /// all at once. See [`schedule_each`](Self::schedule_each).
    pub fn schedule(&self, id: &str, params: EpochParams, slots: Range<u64>) -> Result<Vec<ScheduledSlot>, SignError> {
        let mut won = Vec::new();
        self.schedule_each(id, params, slots, |s| {
            won.push(s);
            true
        })?;
        Ok(won)
    }

    /// Streams the won slots of `slots` to `sink` in slot order as they are found; `sink`
    /// returns false to stop early. The parameters are remembered first, for the eligibility
    /// check of [`sign_block`](Self::sign_block), so the first slots can be signed while the
    /// rest of the range is still being scanned. New parameters for an epoch replace old ones.
    ///
    /// Windows of slots are scanned in parallel on all cores (output-only VRF evaluation),
    /// and proofs are made for the winners only.
    pub fn schedule_each(
        &self,
        id: &str,
        params: EpochParams,
        slots: Range<u64>,
        mut sink: impl FnMut(ScheduledSlot) -> bool,
    ) -> Result<(), SignError> {
        let entry = self.entry(id)?;
        let epoch = params.slots();
        let range = slots.start.max(epoch.start)..slots.end.min(epoch.end);
        match (&*entry, &params) {
            (Entry::Praos(_), EpochParams::Bft(_)) => {
                return Err(SignError::WrongConsensus("a pool needs Praos parameters"))
            }
            (Entry::Bft(_), EpochParams::Praos(_)) => {
                return Err(SignError::WrongConsensus("a BFT leader needs a BFT leader list"))
            }
            _ => {}
        }
        self.remember(id, params.clone());
        match (&*entry, &params) {
            (Entry::Praos(l), EpochParams::Praos(p)) => {
                let mut start = range.start;
                let mut window = FIRST_WINDOW;
                let max_window = SCAN_CHUNK * 2 * rayon::current_num_threads() as u64;
                while start < range.end {
                    let end = start.saturating_add(window).min(range.end);
                    let chunks: Vec<Range<u64>> = (start..end)
                        .step_by(SCAN_CHUNK as usize)
                        .map(|s| s..s.saturating_add(SCAN_CHUNK).min(end))
                        .collect();
                    let found: Vec<Vec<ScheduledSlot>> = chunks
                        .into_par_iter()
                        .map(|r| {
                            p.scan(&l.vrf, r)
                                .into_iter()
                                .map(|w| ScheduledSlot {
                                    slot: w.slot,
                                    output: Some(w.output),
                                    proof: Some(l.vrf.prove(&p.variant.leader_input(w.slot, &p.nonce))),
                                })
                                .collect()
                        })
                        .collect();
                    for s in found.into_iter().flatten() {
                        if !sink(s) {
                            return Ok(());
                        }
                    }
                    start = end;
                    window = (window * 2).min(max_window);
                }
            }
            (Entry::Bft(b), EpochParams::Bft(e)) => {
                let me = b.key.verifying_key().to_bytes();
                for slot in range {
                    let i = bft_leader_index(slot - e.first_slot, e.leaders.len());
                    if i.is_some_and(|i| e.leaders[i] == me)
                        && !sink(ScheduledSlot {
                            slot,
                            output: None,
                            proof: None,
                        })
                    {
                        return Ok(());
                    }
                }
            }
            _ => unreachable!("consensus kinds were matched above"),
        }
        Ok(())
    }

    /// Signs an encoded header body (Praos shape for a pool, BFT shape for a BFT leader) after
    /// every check; the guard's record and any evolved KES key are durable before it returns.
    pub fn sign_block(&self, id: &str, body: &[u8]) -> Result<SignedHeader, SignError> {
        let (slot, body_hash, (header, fresh)) = match &*self.entry(id)? {
            Entry::Praos(_) => {
                let body = HeaderBody::decode(body).map_err(SignError::MalformedBody)?;
                let (slot, body_hash) = (body.slot, blake2b256(&[&body.to_cbor()]));
                (slot, body_hash, self.guarded_praos(id, body, body_hash)?)
            }
            Entry::Bft(_) => {
                let body = BftHeaderBody::decode(body).map_err(SignError::MalformedBody)?;
                let (slot, body_hash) = (body.slot, blake2b256(&[&body.to_cbor()]));
                (slot, body_hash, self.guarded_bft(id, body, body_hash)?)
            }
        };
        Ok(SignedHeader {
            header,
            fresh,
            slot,
            body_hash,
        })
    }

    /// Signs a Praos header body for one of the pool's slots, after checking that the body is
    /// the pool's, the slot is won under the remembered parameters, the VRF result is the
    /// enclave's own, the KES period is signable, and the sign guard allows it.
    pub fn sign_praos(&self, id: &str, body: HeaderBody) -> Result<(Header, bool), SignError> {
        let body_hash = blake2b256(&[&body.to_cbor()]);
        let (bytes, fresh) = self.guarded_praos(id, body, body_hash)?;
        let header =
            Header::decode(&bytes).map_err(|e| SignError::Forge(format!("stored header does not decode: {e}")))?;
        Ok((header, fresh))
    }

    /// [`sign_praos`](Self::sign_praos) with the body's hash already computed, returning the
    /// header's bytes as the guard stored them.
    fn guarded_praos(&self, id: &str, body: HeaderBody, body_hash: [u8; 32]) -> Result<(Vec<u8>, bool), SignError> {
        let entry = self.entry(id)?;
        let Entry::Praos(l) = &*entry else {
            return Err(SignError::WrongConsensus("a BFT leader signs BFT bodies"));
        };
        let oc = &l.opcert;
        let slot = body.slot;
        let foreign = |what| SignError::ForeignBody { slot, what };
        if body.issuer_vkey != oc.cold_vkey {
            return Err(foreign("issuer key"));
        }
        if body.vrf_vkey != l.vrf.public_key().0 {
            return Err(foreign("VRF key"));
        }
        if body.opcert.hot_vkey != oc.hot_vkey.0
            || body.opcert.sequence_number != oc.sequence_number
            || body.opcert.kes_period != oc.kes_period
            || body.opcert.sigma != oc.sigma
        {
            return Err(foreign("operational certificate"));
        }
        self.check_not_early(slot)?;
        let Some(EpochParams::Praos(params)) = self.remembered(id, slot) else {
            return Err(SignError::UnknownEpoch(slot));
        };
        if params.scan(&l.vrf, slot..slot.saturating_add(1)).is_empty() {
            return Err(SignError::NotLeader(slot));
        }
        let own = forge::header_body(
            &forge::BlockContent {
                block_number: body.block_number,
                slot,
                prev_hash: body.prev_hash,
                block_body_size: body.block_body_size,
                block_body_hash: body.block_body_hash,
                protocol_version: body.protocol_version,
            },
            params.variant,
            &params.nonce,
            &l.vrf,
            oc,
        );
        if body.vrf != own.vrf {
            return Err(SignError::VrfMismatch(slot));
        }
        let slot_period = slot / l.slots_per_kes_period.max(1);
        let opcert_period = oc.kes_period;
        if slot_period < opcert_period {
            return Err(SignError::KesPeriodBeforeOpCert {
                slot,
                slot_period,
                opcert_period,
            });
        }
        if let Some(current) = self.current_kes_period(l.slots_per_kes_period) {
            if slot_period > current {
                return Err(SignError::KesPeriodInFuture {
                    slot,
                    needed: slot_period,
                    current,
                });
            }
        }
        let limit = l.max_kes_evolutions.min(MAX_PERIODS as u64);
        let relative = slot_period - opcert_period;
        if relative >= limit {
            return Err(SignError::KesExpired {
                slot,
                opcert_period,
                limit,
            });
        }
        let relative = relative as u32;
        let mut kes = lock(&l.kes);
        let leader = entry.guard_id();
        let request = GuardRequest {
            leader: &leader,
            slot,
            body_hash,
            kes: Some(KesUse {
                kes_vkey: oc.hot_vkey.0,
                period: relative,
            }),
        };
        // A body already signed is replayed by the guard even if the key has moved on since.
        let outcome = self.guard.sign_request(&request, || -> Result<Vec<u8>, SignError> {
            let current = kes.key.period();
            if relative < current {
                return Err(SignError::KesKeyPastPeriod {
                    slot,
                    current,
                    needed: relative,
                });
            }
            if relative > current {
                kes.evolve_to(relative)?;
            }
            let header = forge::sign_body(body.clone(), &mut kes.key, l.slots_per_kes_period)
                .map_err(|e| SignError::Forge(e.to_string()))?;
            Ok(header.to_cbor())
        })?;
        guard_result(outcome)
    }

    /// Signs a BFT header body for one of the leader's round-robin slots, under the guard.
    pub fn sign_bft(&self, id: &str, body: BftHeaderBody) -> Result<(BftHeader, bool), SignError> {
        let body_hash = blake2b256(&[&body.to_cbor()]);
        let (bytes, fresh) = self.guarded_bft(id, body, body_hash)?;
        let header =
            BftHeader::decode(&bytes).map_err(|e| SignError::Forge(format!("stored header does not decode: {e}")))?;
        Ok((header, fresh))
    }

    fn guarded_bft(&self, id: &str, body: BftHeaderBody, body_hash: [u8; 32]) -> Result<(Vec<u8>, bool), SignError> {
        let entry = self.entry(id)?;
        let Entry::Bft(b) = &*entry else {
            return Err(SignError::WrongConsensus("a pool signs Praos bodies"));
        };
        let slot = body.slot;
        if body.issuer_vkey != b.key.verifying_key().to_bytes() {
            return Err(SignError::ForeignBody {
                slot,
                what: "issuer key",
            });
        }
        self.check_not_early(slot)?;
        let Some(EpochParams::Bft(epoch)) = self.remembered(id, slot) else {
            return Err(SignError::UnknownEpoch(slot));
        };
        let i = bft_leader_index(slot - epoch.first_slot, epoch.leaders.len());
        if i.is_none_or(|i| epoch.leaders[i] != body.issuer_vkey) {
            return Err(SignError::NotLeader(slot));
        }
        let outcome = self.guard.sign(&entry.guard_id(), slot, body_hash, || {
            Ok::<_, SignError>(BftHeader::sign(body.clone(), &b.key).to_cbor())
        })?;
        guard_result(outcome)
    }
}

/// The slot and canonical body hash of an encoded Praos or BFT body, for the audit log of a
/// refused request.
pub fn body_slot_and_hash(body: &[u8]) -> Option<(u64, [u8; 32])> {
    if let Ok(b) = HeaderBody::decode(body) {
        return Some((b.slot, blake2b256(&[&b.to_cbor()])));
    }
    BftHeaderBody::decode(body)
        .ok()
        .map(|b| (b.slot, blake2b256(&[&b.to_cbor()])))
}

fn guard_result(outcome: GuardOutcome<SignError>) -> Result<(Vec<u8>, bool), SignError> {
    match outcome {
        GuardOutcome::Signed(Signed::Fresh(b)) => Ok((b, true)),
        GuardOutcome::Signed(Signed::Replayed(b)) => Ok((b, false)),
        GuardOutcome::Refused(r) => Err(SignError::Refused(r)),
        GuardOutcome::SignerFailed(e) => Err(e),
    }
}

/// Why a leader's key files cannot be used together.
#[derive(Debug, thiserror::Error)]
pub enum LeaderKeysError {
    #[error(transparent)]
    KeyFile(#[from] slotforge_crypto::key_file::KeyFileError),
    #[error("{0}: the operational certificate's cold-key signature does not verify")]
    OpCertSignature(std::path::PathBuf),
    #[error("{opcert}: the operational certificate certifies another KES key than {kes}")]
    KesKeyNotCertified {
        opcert: std::path::PathBuf,
        kes: std::path::PathBuf,
    },
    #[error("{opcert}: the operational certificate was issued by another cold key than {cold}")]
    ColdKeyMismatch {
        opcert: std::path::PathBuf,
        cold: std::path::PathBuf,
    },
    #[error("slots per KES period must be positive")]
    ZeroKesPeriodLength,
}

impl PraosLeader {
    /// Loads a pool's cardano-cli files (vrf.skey, kes.skey, node.cert) and checks that they
    /// belong together: the opcert verifies and certifies this KES key. A KES key file holds
    /// the key at period 0.
    pub fn from_key_files(
        vrf_skey: &std::path::Path,
        kes_skey: &std::path::Path,
        opcert: &std::path::Path,
        slots_per_kes_period: u64,
        max_kes_evolutions: u64,
    ) -> Result<Self, LeaderKeysError> {
        use slotforge_crypto::key_file::{self, KeyKind};
        if slots_per_kes_period == 0 {
            return Err(LeaderKeysError::ZeroKesPeriodLength);
        }
        let vrf = key_file::read_key_file(vrf_skey, KeyKind::VrfSigning, key_file::parse_vrf_signing_key)?;
        let kes = key_file::read_key_file(kes_skey, KeyKind::KesSigning, key_file::parse_kes_signing_key)?;
        let cert = key_file::read_key_file(opcert, KeyKind::OperationalCertificate, key_file::parse_opcert)?;
        cert.verify()
            .map_err(|_| LeaderKeysError::OpCertSignature(opcert.to_path_buf()))?;
        if cert.hot_vkey != kes.public_key() {
            return Err(LeaderKeysError::KesKeyNotCertified {
                opcert: opcert.to_path_buf(),
                kes: kes_skey.to_path_buf(),
            });
        }
        Ok(PraosLeader {
            vrf,
            kes,
            kes_store: None,
            opcert: cert,
            slots_per_kes_period,
            max_kes_evolutions,
        })
    }
}

impl From<&SignError> for tonic::Status {
    /// The refusal a client receives: the reason, and the slot concerned when there is one.
    fn from(e: &SignError) -> Self {
        let slot = match e {
            SignError::UnknownEpoch(s) | SignError::NotLeader(s) | SignError::VrfMismatch(s) => Some(*s),
            SignError::KesPeriodBeforeOpCert { slot, .. }
            | SignError::KesExpired { slot, .. }
            | SignError::KesKeyPastPeriod { slot, .. }
            | SignError::ForeignBody { slot, .. }
            | SignError::SlotInFuture { slot, .. }
            | SignError::KesPeriodInFuture { slot, .. } => Some(*slot),
            SignError::Refused(r) => Some(r.slot()),
            SignError::Guard(crate::sign_guard::GuardError::SlotOutOfRange(s)) => Some(*s),
            _ => None,
        };
        crate::wire::refusal_status(e.kind(), e.to_string(), slot)
    }
}
