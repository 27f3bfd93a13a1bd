//! A leader's key material as it is handed to the signer: a Praos pool's VRF key, KES key and
//! operational certificate, or a BFT leader's Ed25519 key, and the checks that a pool's
//! cardano-cli files belong together.

use std::path::{Path, PathBuf};

use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;

use crate::kes_store::KesKeyStore;

/// A Praos pool's keys as the enclave holds them.
pub struct PraosLeader {
    /// The VRF key that proves the pool's slot leadership.
    pub vrf: VrfSecretKey,
    /// The hot KES key that signs headers; it evolves, period by period.
    pub kes: KesSecretKey,
    /// Where every evolution of `kes` is persisted before it is used; None keeps it in memory
    /// only (tests).
    pub kes_store: Option<KesKeyStore>,
    /// The cold key's certificate of the KES key, from its first KES period.
    pub opcert: OperationalCertificate,
    /// The chain's KES period length in slots.
    pub slots_per_kes_period: u64,
    /// How many periods an operational certificate's KES key may be used.
    pub max_kes_evolutions: u64,
}

/// A BFT leader: one Ed25519 key (zeroized on drop by ed25519-dalek).
pub struct BftLeader {
    /// The leader's signing key, one of the epoch's round-robin leader list.
    pub key: SigningKey,
}

/// The keys of one leader.
pub enum LeaderKeys {
    /// A Praos stake pool.
    Praos(PraosLeader),
    /// A BFT (round-robin) leader.
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

/// Why a leader's key files cannot be used together.
#[derive(Debug, thiserror::Error)]
pub enum LeaderKeysError {
    /// A key file does not read or parse.
    #[error(transparent)]
    KeyFile(#[from] slotforge_crypto::key_file::KeyFileError),
    /// The operational certificate's signature does not verify under its cold key.
    #[error("{0}: the operational certificate's cold-key signature does not verify")]
    OpCertSignature(PathBuf),
    /// The operational certificate certifies another KES key than the one given.
    #[error("{opcert}: the operational certificate certifies another KES key than {kes}")]
    KesKeyNotCertified {
        /// The operational certificate file.
        opcert: PathBuf,
        /// The KES signing key file.
        kes: PathBuf,
    },
    /// The operational certificate was issued by another cold key than the one given.
    #[error("{opcert}: the operational certificate was issued by another cold key than {cold}")]
    ColdKeyMismatch {
        /// The operational certificate file.
        opcert: PathBuf,
        /// The cold verification key file.
        cold: PathBuf,
    },
    /// A KES period of zero slots.
    #[error("slots per KES period must be positive")]
    ZeroKesPeriodLength,
}

impl PraosLeader {
    /// Loads a pool's cardano-cli files (vrf.skey, kes.skey, node.cert) and checks that they
    /// belong together: the opcert verifies and certifies this KES key. A KES key file holds
    /// the key at period 0.
    pub fn from_key_files(
        vrf_skey: &Path,
        kes_skey: &Path,
        opcert: &Path,
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
