//! The keys as the signer holds them, and the KES key's evolution: each leader's keys sit
//! behind their own `Arc`, and only the KES key, which evolves, has a lock of its own. An
//! evolved key is persisted before it is used, and the old key's bytes are overwritten.

use std::sync::Mutex;

use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;

use super::{lock, BftLeader, LeaderKeys, SignError, Signer};
use crate::kes_store::KesKeyStore;

/// The evolving part of a Praos leader.
pub(super) struct EvolvingKesKey {
    pub(super) key: KesSecretKey,
    store: Option<KesKeyStore>,
}

impl EvolvingKesKey {
    /// Evolves the key to `period`, persisting it before it is used (and the old key's bytes
    /// are overwritten).
    pub(super) fn evolve_to(&mut self, period: u32) -> Result<(), SignError> {
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

/// A Praos pool's keys as the signer holds them.
pub(super) struct HeldPraosKeys {
    pub(super) vrf: VrfSecretKey,
    pub(super) opcert: OperationalCertificate,
    pub(super) slots_per_kes_period: u64,
    pub(super) max_kes_evolutions: u64,
    pub(super) kes: Mutex<EvolvingKesKey>,
}

/// One leader's keys in the signer's registry.
pub(super) enum HeldLeader {
    Praos(HeldPraosKeys),
    Bft(BftLeader),
}

impl From<LeaderKeys> for HeldLeader {
    fn from(keys: LeaderKeys) -> Self {
        match keys {
            LeaderKeys::Praos(l) => HeldLeader::Praos(HeldPraosKeys {
                vrf: l.vrf,
                opcert: l.opcert,
                slots_per_kes_period: l.slots_per_kes_period,
                max_kes_evolutions: l.max_kes_evolutions,
                kes: Mutex::new(EvolvingKesKey {
                    key: l.kes,
                    store: l.kes_store,
                }),
            }),
            LeaderKeys::Bft(b) => HeldLeader::Bft(b),
        }
    }
}

impl HeldLeader {
    /// The key under which the guard records this leader's history: the pool id for a pool,
    /// the verification key for a BFT leader. It follows the keys, not the configured name,
    /// so an exported history protects the same keys wherever they move.
    pub(super) fn guard_id(&self) -> String {
        match self {
            HeldLeader::Praos(p) => hex::encode(slotforge_praos::validation::pool_id(&p.opcert.cold_vkey)),
            HeldLeader::Bft(b) => format!("bft:{}", hex::encode(b.key.verifying_key().to_bytes())),
        }
    }
}

impl Signer {
    /// Evolves a pool's local KES key up to the highest period any enclave sharing the guard
    /// has signed in with it, so this host erases those older periods' secrets too. Returns
    /// the periods (from, to) when the key moved.
    pub fn catch_up_kes(&self, id: &str) -> Result<Option<(u32, u32)>, SignError> {
        let entry = self.entry(id)?;
        let HeldLeader::Praos(l) = &*entry else { return Ok(None) };
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
}
