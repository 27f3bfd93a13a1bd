//! The enclave's signing logic, independent of transport: leaders' keys, remembered epoch
//! parameters, schedules, and `sign_block` with every check before the sign guard.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, MutexGuard};

use slotforge_crypto::kes::{KesSecretKey, MAX_PERIODS};
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::{VrfOutput, VrfProof, VrfSecretKey};
use slotforge_praos::forge;
use slotforge_praos::header::{Header, HeaderBody};
use slotforge_praos::nonce::blake2b256;
use slotforge_praos::schedule::EpochLeadership;

use crate::kes_store::{KesKeyStore, KesStoreError};
use crate::sign_guard::{GuardError, GuardOutcome, Refusal, SignGuard, Signed};

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

/// What the enclave tells about a leader: public material only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub pool_id: [u8; 28],
    pub vrf_vkey: [u8; 32],
    pub cold_vkey: [u8; 32],
    pub opcert: OperationalCertificate,
    /// The period the KES key is at, relative to the opcert's start.
    pub kes_period: u32,
    /// Periods the key can still sign for: min(64, max evolutions) − period.
    pub periods_left: u32,
}

/// A won slot with its VRF proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledSlot {
    pub slot: u64,
    pub output: VrfOutput,
    pub proof: VrfProof,
}

/// Why the enclave did not sign; each is a distinct kind the node can act on.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no leader {0:?} in this enclave")]
    UnknownLeader(String),
    #[error("the body is for another pool or key set: {0}")]
    ForeignBody(&'static str),
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

/// The enclave's state: its leaders, what it remembers of each epoch, and its guard.
pub struct Signer {
    guard: SignGuard,
    leaders: Mutex<HashMap<String, PraosLeader>>,
    /// (leader, epoch) → the leadership parameters the schedule was computed under.
    epochs: Mutex<HashMap<(String, u64), EpochLeadership>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Signer {
    pub fn new(guard: SignGuard) -> Self {
        Signer {
            guard,
            leaders: Mutex::new(HashMap::new()),
            epochs: Mutex::new(HashMap::new()),
        }
    }

    pub fn guard(&self) -> &SignGuard {
        &self.guard
    }

    /// Adds (or replaces) a leader; it can be scheduled and sign at once.
    pub fn add_leader(&self, id: &str, leader: PraosLeader) {
        lock(&self.leaders).insert(id.to_string(), leader);
    }

    /// Removes a leader and forgets its epochs. Its signing history stays in the guard.
    pub fn remove_leader(&self, id: &str) -> bool {
        lock(&self.epochs).retain(|(l, _), _| l != id);
        lock(&self.leaders).remove(id).is_some()
    }

    pub fn leader_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = lock(&self.leaders).keys().cloned().collect();
        ids.sort();
        ids
    }

    pub fn identity(&self, id: &str) -> Result<Identity, SignError> {
        let leaders = lock(&self.leaders);
        let l = leaders
            .get(id)
            .ok_or_else(|| SignError::UnknownLeader(id.to_string()))?;
        let limit = l.max_kes_evolutions.min(MAX_PERIODS as u64) as u32;
        Ok(Identity {
            pool_id: slotforge_praos::validation::pool_id(&l.opcert.cold_vkey),
            vrf_vkey: l.vrf.public_key().0,
            cold_vkey: l.opcert.cold_vkey,
            opcert: l.opcert.clone(),
            kes_period: l.kes.period(),
            periods_left: limit.saturating_sub(l.kes.period()),
        })
    }

    /// Computes the won slots of `slots` under `params`, with proofs, and remembers `params`
    /// for the eligibility check of `sign_block`. New parameters for an epoch replace old ones.
    pub fn schedule(
        &self,
        id: &str,
        params: EpochLeadership,
        slots: Range<u64>,
    ) -> Result<Vec<ScheduledSlot>, SignError> {
        let won = {
            let leaders = lock(&self.leaders);
            let l = leaders
                .get(id)
                .ok_or_else(|| SignError::UnknownLeader(id.to_string()))?;
            params
                .scan(&l.vrf, slots)
                .into_iter()
                .map(|w| {
                    let proof = l.vrf.prove(&params.variant.leader_input(w.slot, &params.nonce));
                    ScheduledSlot {
                        slot: w.slot,
                        output: w.output,
                        proof,
                    }
                })
                .collect()
        };
        lock(&self.epochs).insert((id.to_string(), params.epoch), params);
        Ok(won)
    }

    /// Signs a header body for one of the leader's slots, after checking that the body is the
    /// leader's, the slot is won under the remembered parameters, the VRF result is the
    /// enclave's own, the KES period is signable, and the sign guard allows it. The guard's
    /// record and the evolved KES key are durable before the header is returned.
    pub fn sign_block(&self, id: &str, body: HeaderBody) -> Result<(Header, bool), SignError> {
        let mut leaders = lock(&self.leaders);
        let l = leaders
            .get_mut(id)
            .ok_or_else(|| SignError::UnknownLeader(id.to_string()))?;
        let oc = &l.opcert;
        if body.issuer_vkey != oc.cold_vkey {
            return Err(SignError::ForeignBody("issuer key"));
        }
        if body.vrf_vkey != l.vrf.public_key().0 {
            return Err(SignError::ForeignBody("VRF key"));
        }
        if body.opcert.hot_vkey != oc.hot_vkey.0
            || body.opcert.sequence_number != oc.sequence_number
            || body.opcert.kes_period != oc.kes_period
            || body.opcert.sigma != oc.sigma
        {
            return Err(SignError::ForeignBody("operational certificate"));
        }
        let slot = body.slot;
        let params = lock(&self.epochs)
            .iter()
            .find(|((leader, _), p)| leader == id && p.slots().contains(&slot))
            .map(|(_, p)| p.clone())
            .ok_or(SignError::UnknownEpoch(slot))?;
        if params.scan(&l.vrf, slot..slot + 1).is_empty() {
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
        // A body already signed is replayed by the guard even if the key has moved on since.
        let body_hash = blake2b256(&[&body.to_cbor()]);
        let slots_per_kes_period = l.slots_per_kes_period;
        let outcome = self.guard.sign(id, slot, body_hash, || -> Result<Vec<u8>, SignError> {
            if relative < l.kes.period() {
                return Err(SignError::KesKeyPastPeriod {
                    slot,
                    current: l.kes.period(),
                    needed: relative,
                });
            }
            if relative > l.kes.period() {
                let mut evolved = KesSecretKey::from_bytes(&l.kes.to_bytes(), l.kes.period())
                    .map_err(|e| SignError::Forge(e.to_string()))?;
                evolved
                    .evolve_to(relative)
                    .map_err(|e| SignError::Forge(e.to_string()))?;
                if let Some(store) = &l.kes_store {
                    store.save(&evolved)?;
                }
                l.kes = evolved;
            }
            let header = forge::sign_body(body.clone(), &mut l.kes, slots_per_kes_period)
                .map_err(|e| SignError::Forge(e.to_string()))?;
            Ok(header.to_cbor())
        })?;
        let (bytes, fresh) = match outcome {
            GuardOutcome::Signed(Signed::Fresh(b)) => (b, true),
            GuardOutcome::Signed(Signed::Replayed(b)) => (b, false),
            GuardOutcome::Refused(r) => return Err(SignError::Refused(r)),
            GuardOutcome::SignerFailed(e) => return Err(e),
        };
        let header =
            Header::decode(&bytes).map_err(|e| SignError::Forge(format!("stored header does not decode: {e}")))?;
        Ok((header, fresh))
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
