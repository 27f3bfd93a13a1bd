//! Stake accounts: registered credentials with their deposit, rewards and delegation.

use serde::{Deserialize, Serialize};

use super::{DRep, PoolId};

/// A stake credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Credential {
    /// A key credential: blake2b-224 of the stake verification key.
    Key([u8; 28]),
    /// A script credential: the script's blake2b-224 hash (refused by this ledger's rules for now).
    Script([u8; 28]),
}

impl Credential {
    /// The order of the reference's `Ord Credential` (script hashes before key hashes), which
    /// its maps and sets of credentials are written in.
    pub fn reference_order(&self) -> (u8, [u8; 28]) {
        match self {
            Credential::Script(h) => (0, *h),
            Credential::Key(h) => (1, *h),
        }
    }
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Key(h) => write!(f, "key {}", hex::encode(h)),
            Credential::Script(h) => write!(f, "script {}", hex::encode(h)),
        }
    }
}

/// A registered stake credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The deposit paid at registration (refunded at deregistration).
    pub deposit: u64,
    /// The reward balance, in lovelace; withdrawals must take it whole.
    pub rewards: u64,
    /// The pool the credential delegates to, if any.
    pub pool: Option<PoolId>,
    /// The DRep the credential delegates its vote to, if any.
    #[serde(default)]
    pub drep: Option<DRep>,
}

impl From<&pallas_primitives::StakeCredential> for Credential {
    fn from(c: &pallas_primitives::StakeCredential) -> Self {
        match c {
            pallas_primitives::StakeCredential::AddrKeyhash(h) => Credential::Key(**h),
            pallas_primitives::StakeCredential::ScriptHash(h) => Credential::Script(**h),
        }
    }
}

impl Credential {
    /// The key hash of a key credential.
    pub fn key_hash(&self) -> Option<[u8; 28]> {
        match self {
            Credential::Key(h) => Some(*h),
            Credential::Script(_) => None,
        }
    }

    /// The script hash of a script credential.
    pub fn script_hash(&self) -> Option<[u8; 28]> {
        match self {
            Credential::Script(h) => Some(*h),
            Credential::Key(_) => None,
        }
    }
}
