//! Signing a Praos header body for a pool, after every check before the sign guard: the body
//! is the pool's, the slot has come and is won under the remembered parameters, the VRF
//! result is the enclave's own, and the KES period is signable. The KES key evolves (and is
//! persisted) under the guard's lock, only when the guard allows a fresh signature.

use slotforge_crypto::kes::MAX_PERIODS;
use slotforge_praos::forge;
use slotforge_praos::header::{Header, HeaderBody};
use slotforge_praos::nonce::blake2b256;

use super::held_keys::HeldLeader;
use super::{guard_result, lock, EpochParams, SignError, Signer};
use crate::sign_guard::{GuardRequest, KesUse};

impl Signer {
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
    pub(super) fn guarded_praos(
        &self,
        id: &str,
        body: HeaderBody,
        body_hash: [u8; 32],
    ) -> Result<(Vec<u8>, bool), SignError> {
        let entry = self.entry(id)?;
        let HeldLeader::Praos(l) = &*entry else {
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
}
