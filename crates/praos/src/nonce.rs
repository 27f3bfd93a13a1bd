//! Nonces: the epoch nonce that seeds leader election and the per-block evolution that
//! produces it (`⭒` is blake2b-256 of the concatenation; the neutral nonce is its identity).

use blake2::digest::consts::{U28, U32};
use blake2::{Blake2b, Digest};

/// blake2b with a 256-bit output, the hash of Cardano's nonces, VRF inputs and headers.
pub type Blake2b256 = Blake2b<U32>;

/// blake2b-256 of the concatenation of `parts`, hashed without copying them together.
pub fn blake2b256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Blake2b256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// blake2b-224: pool ids and key hashes.
pub fn blake2b224(data: &[u8]) -> [u8; 28] {
    Blake2b::<U28>::digest(data).into()
}

/// A Cardano nonce: either neutral or a 32-byte hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Nonce {
    /// The neutral nonce (`NeutralNonce`), the identity of [`Nonce::combine`].
    #[default]
    Neutral,
    /// A 32-byte nonce (`Nonce` of a blake2b-256 hash).
    Hash([u8; 32]),
}

/// Why a nonce could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a nonce is 64 hexadecimal digits (32 bytes), got {0:?}")]
pub struct NonceParseError(pub String);

impl Nonce {
    /// Parses 64 hex digits, or "neutral".
    pub fn from_hex(s: &str) -> Result<Nonce, NonceParseError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("neutral") {
            return Ok(Nonce::Neutral);
        }
        let bytes = hex::decode(s).map_err(|_| NonceParseError(s.to_string()))?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| NonceParseError(s.to_string()))?;
        Ok(Nonce::Hash(arr))
    }

    /// `⭒`: combines two nonces.
    pub fn combine(self, other: Nonce) -> Nonce {
        match (self, other) {
            (Nonce::Neutral, x) | (x, Nonce::Neutral) => x,
            (Nonce::Hash(a), Nonce::Hash(b)) => Nonce::Hash(blake2b256(&[&a, &b])),
        }
    }

    /// `mkNonceFromNumber`: the nonce of a number (blake2b-256 of its 8 big-endian bytes).
    pub fn from_number(n: u64) -> Nonce {
        Nonce::Hash(blake2b256(&[&n.to_be_bytes()]))
    }

    /// The nonce's bytes as hashed into VRF inputs: 32 bytes, or none for the neutral nonce.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Nonce::Neutral => &[],
            Nonce::Hash(h) => h,
        }
    }
}

impl std::fmt::Display for Nonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Nonce::Neutral => f.write_str("neutral"),
            Nonce::Hash(h) => f.write_str(&hex::encode(h)),
        }
    }
}

/// The nonce state the chain carries from block to block (Praos `PraosState` / TPraos
/// `PrtclState` + `TicknState`): evolving and candidate nonces, and the previous-hash nonces
/// the epoch nonce is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceState {
    /// η_v, updated by every block.
    pub evolving: Nonce,
    /// η_c, follows η_v until the randomness stabilisation window, then frozen.
    pub candidate: Nonce,
    /// The previous-hash nonce of the latest block.
    pub last_block: Nonce,
    /// `last_block` as it was at the end of the previous epoch.
    pub last_epoch_block: Nonce,
    /// The nonce of the current epoch.
    pub epoch: Nonce,
    /// The nonce of the epoch before (`praosStatePreviousEpochNonce`); at genesis, the initial
    /// nonce.
    pub previous_epoch: Nonce,
}

impl NonceState {
    /// The state at genesis: every nonce is the initial nonce (usually the genesis hash).
    pub fn genesis(initial: Nonce) -> Self {
        NonceState {
            evolving: initial,
            candidate: initial,
            last_block: Nonce::Neutral,
            last_epoch_block: Nonce::Neutral,
            epoch: initial,
            previous_epoch: initial,
        }
    }

    /// Applies a block: its VRF nonce value (see [`crate::leader::VrfVariant::nonce_value`])
    /// evolves η_v; η_c follows unless the slot is inside the stabilisation window
    /// (`slot + window >= first slot of the next epoch`); the block's previous hash is kept.
    pub fn on_block(
        &mut self,
        slot: u64,
        first_slot_next_epoch: u64,
        stability_window: u64,
        vrf_nonce: [u8; 32],
        prev_hash: Option<[u8; 32]>,
    ) {
        self.evolving = self.evolving.combine(Nonce::Hash(vrf_nonce));
        if slot.saturating_add(stability_window) < first_slot_next_epoch {
            self.candidate = self.evolving;
        }
        self.last_block = prev_hash.map_or(Nonce::Neutral, Nonce::Hash);
    }

    /// The epoch transition: η_e = η_c ⭒ (last block's previous hash at the end of the epoch
    /// before) ⭒ extra entropy (Neutral from Babbage on).
    pub fn on_new_epoch(&mut self, extra_entropy: Nonce) {
        self.previous_epoch = self.epoch;
        self.epoch = self.candidate.combine(self.last_epoch_block).combine(extra_entropy);
        self.last_epoch_block = self.last_block;
    }
}

/// The randomness stabilisation window in slots: ⌈3k/f⌉ up to Babbage, ⌈4k/f⌉ from Conway.
pub fn stability_window(k: u64, f_num: u64, f_den: u64, conway: bool) -> u64 {
    let factor = if conway { 4 } else { 3 };
    let num = factor as u128 * k as u128 * f_den as u128;
    num.div_ceil(f_num.max(1) as u128).min(u64::MAX as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_is_identity_and_combine_hashes() {
        let a = Nonce::Hash([1; 32]);
        assert_eq!(Nonce::Neutral.combine(a), a);
        assert_eq!(a.combine(Nonce::Neutral), a);
        let b = Nonce::Hash([2; 32]);
        assert_ne!(a.combine(b), b.combine(a));
        let mut cat = [0u8; 64];
        cat[..32].copy_from_slice(&[1; 32]);
        cat[32..].copy_from_slice(&[2; 32]);
        assert_eq!(a.combine(b), Nonce::Hash(blake2b256(&[&cat])));
    }

    #[test]
    fn blake2b256_known_answer() {
        // blake2b-256 of the empty string
        assert_eq!(
            hex::encode(blake2b256(&[])),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
    }

    #[test]
    fn candidate_freezes_inside_window() {
        let mut s = NonceState::genesis(Nonce::Hash([9; 32]));
        let window = stability_window(2160, 1, 20, false);
        assert_eq!(window, 129_600);
        s.on_block(10, 432_000, window, [1; 32], Some([5; 32]));
        assert_eq!(s.candidate, s.evolving);
        let frozen = s.candidate;
        s.on_block(432_000 - window, 432_000, window, [2; 32], Some([6; 32]));
        assert_eq!(s.candidate, frozen);
        assert_ne!(s.evolving, frozen);
        s.on_new_epoch(Nonce::Neutral);
        assert_eq!(s.epoch, frozen); // the last-epoch-block nonce was still neutral
        assert_eq!(s.last_epoch_block, Nonce::Hash([6; 32]));
        s.on_new_epoch(Nonce::Neutral);
        assert_eq!(s.epoch, frozen.combine(Nonce::Hash([6; 32])));
        assert_eq!(stability_window(2160, 1, 20, true), 172_800);
    }

    #[test]
    fn parse() {
        assert!(Nonce::from_hex("zz").is_err());
        assert!(Nonce::from_hex(&"ab".repeat(31)).is_err());
        assert_eq!(Nonce::from_hex("neutral"), Ok(Nonce::Neutral));
        assert_eq!(Nonce::from_hex(&"ab".repeat(32)), Ok(Nonce::Hash([0xab; 32])));
    }
}
