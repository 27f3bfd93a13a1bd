//! The enclave's signing logic, independent of transport: leaders' keys, remembered epoch
//! parameters, schedules, and block signing with every check before the sign guard.
//!
//! - this module: the [`Signer`], its registry of leaders and remembered epochs, and
//!   [`Signer::sign_block`], which routes an encoded body to the right consensus;
//! - `leader_keys`: the key material handed in ([`PraosLeader`], [`BftLeader`]);
//! - `held_keys`: the keys as they are held, and KES evolution ([`Signer::catch_up_kes`]);
//! - `schedule_scan`: [`Signer::schedule`] and [`Signer::schedule_each`];
//! - `praos_signing`, `bft_signing`: [`Signer::sign_praos`] and [`Signer::sign_bft`];
//! - `error`: [`SignError`] and its stable [`kind`](SignError::kind).
//!
//! Each leader's keys sit behind their own [`Arc`], so a schedule being computed for one
//! leader never blocks signing for it or for another; only the KES key, which evolves, has a
//! lock of its own.

mod bft_signing;
mod error;
mod held_keys;
mod leader_keys;
mod praos_signing;
mod schedule_scan;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use slotforge_crypto::kes::MAX_PERIODS;
use slotforge_praos::bft::BftHeaderBody;
use slotforge_praos::header::HeaderBody;
use slotforge_praos::nonce::blake2b256;

pub use self::error::SignError;
pub use self::leader_keys::{BftLeader, LeaderKeys, LeaderKeysError, PraosLeader};
pub use slotforge_enclave_api::types::{BftEpoch, EpochParams, Identity, PraosIdentity, ScheduledSlot, SignedHeader};

use self::held_keys::HeldLeader;
use crate::clock::SlotClock;
use crate::sign_guard::{GuardOutcome, SignGuard, Signed};

/// How many epochs of parameters are remembered per leader (the newest ones).
const REMEMBERED_EPOCHS: usize = 8;

/// The enclave's state: its leaders, what it remembers of each epoch, and its guard.
pub struct Signer {
    guard: SignGuard,
    /// The enclave's own clock; None (tests and simulations) signs any slot.
    clock: Option<SlotClock>,
    leaders: Mutex<HashMap<String, Arc<HeldLeader>>>,
    /// leader → epoch → the parameters its schedule was computed under.
    epochs: Mutex<HashMap<String, BTreeMap<u64, EpochParams>>>,
}

/// Locks `m`, going on with the data of a poisoned lock (every update leaves it consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// When a Praos leader's operational certificate expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KesExpiry {
    /// The leader.
    pub leader: String,
    /// The absolute KES period its key is at.
    pub kes_period: u64,
    /// The first KES period it can no longer sign in.
    pub end_period: u64,
    /// The first slot it can no longer sign in.
    pub end_slot: u64,
    /// KES periods left before then, the current one included, on the enclave's clock (None
    /// without a clock).
    pub periods_left: Option<u64>,
    /// Slots left before then, on the enclave's clock (None without a clock).
    pub slots_left: Option<u64>,
    /// When that slot starts, in Unix milliseconds (None without a clock).
    pub expires_unix_ms: Option<i64>,
}

impl Signer {
    /// A signer with no leaders, recording every signature in `guard`, and no clock.
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

    /// The sign guard every signature goes through (for health checks and history queries).
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
        let entry = Arc::new(HeldLeader::from(keys.into()));
        let old = lock(&self.leaders).insert(id.to_string(), entry.clone());
        if old.is_some_and(|o| o.guard_id() != entry.guard_id()) {
            lock(&self.epochs).remove(id);
        }
    }

    /// Removes a leader and forgets its epochs. Its signing history stays in the guard.
    pub fn remove_leader(&self, id: &str) -> bool {
        lock(&self.epochs).remove(id);
        lock(&self.leaders).remove(id).is_some()
    }

    /// When each Praos leader's operational certificate expires: its KES key's window ends
    /// at the end of the certificate's last period. With the enclave's clock, the slots and
    /// the time left.
    pub fn kes_expiries(&self) -> Vec<KesExpiry> {
        let now = self.clock.as_ref().map(|c| c.current_slot());
        self.leader_ids()
            .into_iter()
            .filter_map(|id| {
                let Ok(Identity::Praos(p)) = self.identity(&id) else {
                    return None;
                };
                let kes_period = p.opcert.kes_period.saturating_add(u64::from(p.kes_period));
                let end_period = kes_period.saturating_add(u64::from(p.periods_left));
                let end_slot = end_period.saturating_mul(p.slots_per_kes_period);
                Some(KesExpiry {
                    leader: id,
                    kes_period,
                    end_period,
                    end_slot,
                    periods_left: now.map(|n| end_period.saturating_sub(n / p.slots_per_kes_period.max(1))),
                    slots_left: now.map(|n| end_slot.saturating_sub(n)),
                    expires_unix_ms: self.clock.as_ref().map(|c| c.slot_start_ms(end_slot)),
                })
            })
            .collect()
    }

    /// The names of the leaders held, sorted.
    pub fn leader_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = lock(&self.leaders).keys().cloned().collect();
        ids.sort();
        ids
    }

    fn entry(&self, id: &str) -> Result<Arc<HeldLeader>, SignError> {
        lock(&self.leaders)
            .get(id)
            .cloned()
            .ok_or_else(|| SignError::UnknownLeader(id.to_string()))
    }

    /// The key under which the guard records the leader's history (see the interchange format).
    pub fn guard_id(&self, id: &str) -> Result<String, SignError> {
        Ok(self.entry(id)?.guard_id())
    }

    /// The leader's public identity: a pool's keys, opcert and KES state, or a BFT leader's
    /// verification key.
    pub fn identity(&self, id: &str) -> Result<Identity, SignError> {
        Ok(match &*self.entry(id)? {
            HeldLeader::Praos(l) => {
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
            HeldLeader::Bft(b) => Identity::Bft {
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

    /// Signs an encoded header body (Praos shape for a pool, BFT shape for a BFT leader) after
    /// every check; the guard's record and any evolved KES key are durable before it returns.
    pub fn sign_block(&self, id: &str, body: &[u8]) -> Result<SignedHeader, SignError> {
        let (slot, body_hash, (header, fresh)) = match &*self.entry(id)? {
            HeldLeader::Praos(_) => {
                let body = HeaderBody::decode(body).map_err(SignError::MalformedBody)?;
                let (slot, body_hash) = (body.slot, blake2b256(&[&body.to_cbor()]));
                (slot, body_hash, self.guarded_praos(id, body, body_hash)?)
            }
            HeldLeader::Bft(_) => {
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

/// The signed header's bytes and whether they are fresh, or the refusal or signer failure.
fn guard_result(outcome: GuardOutcome<SignError>) -> Result<(Vec<u8>, bool), SignError> {
    match outcome {
        GuardOutcome::Signed(Signed::Fresh(b)) => Ok((b, true)),
        GuardOutcome::Signed(Signed::Replayed(b)) => Ok((b, false)),
        GuardOutcome::Refused(r) => Err(SignError::Refused(r)),
        GuardOutcome::SignerFailed(e) => Err(e),
    }
}
