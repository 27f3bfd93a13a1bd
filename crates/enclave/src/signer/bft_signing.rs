//! Signing a BFT header body for a leader's round-robin slot, after checking that the body is
//! the leader's, the slot has come, and the remembered leader list gives it the slot.

use slotforge_praos::bft::{BftHeader, BftHeaderBody};
use slotforge_praos::leader::bft_leader_index;
use slotforge_praos::nonce::blake2b256;

use super::held_keys::HeldLeader;
use super::{guard_result, EpochParams, SignError, Signer};

impl Signer {
    /// Signs a BFT header body for one of the leader's round-robin slots, under the guard.
    pub fn sign_bft(&self, id: &str, body: BftHeaderBody) -> Result<(BftHeader, bool), SignError> {
        let body_hash = blake2b256(&[&body.to_cbor()]);
        let (bytes, fresh) = self.guarded_bft(id, body, body_hash)?;
        let header =
            BftHeader::decode(&bytes).map_err(|e| SignError::Forge(format!("stored header does not decode: {e}")))?;
        Ok((header, fresh))
    }

    /// [`sign_bft`](Self::sign_bft) with the body's hash already computed, returning the
    /// header's bytes as the guard stored them.
    pub(super) fn guarded_bft(
        &self,
        id: &str,
        body: BftHeaderBody,
        body_hash: [u8; 32],
    ) -> Result<(Vec<u8>, bool), SignError> {
        let entry = self.entry(id)?;
        let HeldLeader::Bft(b) = &*entry else {
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
