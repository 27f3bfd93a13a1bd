//! The guard's rules, the same for every backend: given what is recorded for a leader, may
//! this body be signed at this slot? A pure decision; the backends read the record and write
//! the signature under their lock around it.
//!
//! Per leader, in order:
//! - a slot already signed with the **same** body: return the stored signed header (a safe
//!   retry);
//! - a slot already signed with a **different** body: refuse (double sign);
//! - a slot below the highest slot signed: refuse (regression);
//! - a KES period below the highest period the same KES key has signed in: refuse.

use super::{GuardOutcome, Signed};

/// Why the guard refused to sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The slot was signed before with another body.
    #[error("slot {slot} was already signed with another body ({})", hex::encode(.signed_body_hash))]
    DoubleSign {
        /// The slot asked for.
        slot: u64,
        /// The hash of the body already signed for it.
        signed_body_hash: [u8; 32],
    },
    /// The slot is below the highest slot already signed.
    #[error("slot {slot} is below slot {highest}, already signed")]
    Regression {
        /// The slot asked for.
        slot: u64,
        /// The leader's highest signed slot.
        highest: u64,
    },
    /// The KES key already signed in a later period than the one the slot needs.
    #[error("slot {slot} needs KES period {period}, but this KES key already signed in period {recorded} (the shared history says so); an older period's key must not sign again")]
    KesPeriodPassed {
        /// The slot asked for.
        slot: u64,
        /// The period the slot needs (relative to the opcert's start).
        period: u32,
        /// The highest period the key signed in (relative to the opcert's start).
        recorded: u32,
    },
}

impl Refusal {
    /// The slot the refusal concerns.
    pub fn slot(&self) -> u64 {
        match self {
            Refusal::DoubleSign { slot, .. }
            | Refusal::Regression { slot, .. }
            | Refusal::KesPeriodPassed { slot, .. } => *slot,
        }
    }
}

/// The KES key a signature will use: its verification key (which names the key across
/// enclaves) and the period, relative to the opcert's start, it signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KesUse {
    /// The KES verification key (the opcert's hot key).
    pub kes_vkey: [u8; 32],
    /// The period the signature is made in, relative to the opcert's start.
    pub period: u32,
}

/// A request as the guard judges it.
#[derive(Debug, Clone, Copy)]
pub struct GuardRequest<'a> {
    /// The leader's guard identity (a pool id, or `bft:` and a verification key).
    pub leader: &'a str,
    /// The slot to sign.
    pub slot: u64,
    /// The hash of the canonical header body to sign.
    pub body_hash: [u8; 32],
    /// The KES key and period a Praos signature uses; None for BFT.
    pub kes: Option<KesUse>,
}

/// What the guard found recorded for a request's leader, read under its lock.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// The body hash and signed header already stored for the slot.
    pub slot: Option<(Vec<u8>, Vec<u8>)>,
    /// The leader's highest signed slot.
    pub highest: Option<u64>,
    /// The highest period the request's KES key signed in.
    pub kes_period: Option<u32>,
}

/// The guard's verdict on a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Replay(Vec<u8>),
    Refuse(Refusal),
    Sign,
}

/// The guard's rules, the same for every backend.
pub(crate) fn decide(req: &GuardRequest<'_>, recorded: Recorded) -> Decision {
    if let Some((hash, signed)) = recorded.slot {
        if hash == req.body_hash {
            return Decision::Replay(signed);
        }
        let mut signed_body_hash = [0u8; 32];
        if hash.len() == 32 {
            signed_body_hash.copy_from_slice(&hash);
        }
        return Decision::Refuse(Refusal::DoubleSign {
            slot: req.slot,
            signed_body_hash,
        });
    }
    if let Some(highest) = recorded.highest.filter(|h| req.slot < *h) {
        return Decision::Refuse(Refusal::Regression {
            slot: req.slot,
            highest,
        });
    }
    if let (Some(kes), Some(recorded)) = (req.kes, recorded.kes_period) {
        if kes.period < recorded {
            return Decision::Refuse(Refusal::KesPeriodPassed {
                slot: req.slot,
                period: kes.period,
                recorded,
            });
        }
    }
    Decision::Sign
}

/// Applies the rules and, when they allow signing, runs the signer: the signed bytes to
/// record, or the outcome to return as it is (a replay, a refusal, a signer failure).
pub(crate) fn judge<E>(
    req: &GuardRequest<'_>,
    recorded: Recorded,
    sign: impl FnOnce() -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, GuardOutcome<E>> {
    match decide(req, recorded) {
        Decision::Replay(signed) => Err(GuardOutcome::Signed(Signed::Replayed(signed))),
        Decision::Refuse(r) => Err(GuardOutcome::Refused(r)),
        Decision::Sign => sign().map_err(GuardOutcome::SignerFailed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(slot: u64, body: u8, kes_period: Option<u32>) -> GuardRequest<'static> {
        GuardRequest {
            leader: "p",
            slot,
            body_hash: [body; 32],
            kes: kes_period.map(|period| KesUse {
                kes_vkey: [7; 32],
                period,
            }),
        }
    }

    #[test]
    fn rules_in_order() {
        let stored = || Some((vec![1u8; 32], b"header".to_vec()));
        assert_eq!(
            decide(
                &req(10, 1, None),
                Recorded {
                    slot: stored(),
                    highest: Some(20),
                    kes_period: Some(9)
                }
            ),
            Decision::Replay(b"header".to_vec()),
            "a retry is replayed even below the highest slot and past the KES period"
        );
        assert!(matches!(
            decide(
                &req(10, 2, None),
                Recorded {
                    slot: stored(),
                    ..Default::default()
                }
            ),
            Decision::Refuse(Refusal::DoubleSign { slot: 10, .. })
        ));
        assert_eq!(
            decide(
                &req(10, 2, None),
                Recorded {
                    highest: Some(11),
                    ..Default::default()
                }
            ),
            Decision::Refuse(Refusal::Regression { slot: 10, highest: 11 })
        );
        assert_eq!(
            decide(
                &req(10, 2, Some(3)),
                Recorded {
                    highest: Some(10),
                    kes_period: Some(4),
                    ..Default::default()
                }
            ),
            Decision::Refuse(Refusal::KesPeriodPassed {
                slot: 10,
                period: 3,
                recorded: 4
            })
        );
        assert_eq!(
            decide(
                &req(10, 2, Some(4)),
                Recorded {
                    highest: Some(10),
                    kes_period: Some(4),
                    ..Default::default()
                }
            ),
            Decision::Sign
        );
        assert_eq!(decide(&req(0, 2, Some(0)), Recorded::default()), Decision::Sign);
    }
}
