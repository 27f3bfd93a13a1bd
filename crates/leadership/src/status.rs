//! What became of a scheduled slot, and the only ways it may change.
//!
//! ```text
//! scheduled → woke → forged → adopted → immutable
//!                      │         └────→ orphaned
//!                      └→ orphaned | rejected
//! scheduled | woke → missed{reason} | superseded
//! ```

use serde::{Deserialize, Serialize};

/// A slot's status. `Immutable`, `Rejected`, `Missed` and `Superseded` are terminal; an
/// `Orphaned` block is adopted again if the chain switches back to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotStatus {
    /// Won; waiting for the slot.
    Scheduled,
    /// Woken before the slot to forge.
    Woke,
    /// Signed by the enclave and handed to the blockchain.
    Forged,
    /// On the node's chain.
    Adopted,
    /// At least k blocks deep.
    Immutable,
    /// Lost a slot battle, or a fork switch dropped it.
    Orphaned,
    /// The blockchain found the block invalid.
    Rejected,
    /// Not forged; the reason says why.
    Missed,
    /// Different parameters for the epoch (a fork) replaced the schedule it came from.
    Superseded,
}

impl SlotStatus {
    /// Every status, in the order a slot's life passes them.
    pub const ALL: [SlotStatus; 9] = [
        SlotStatus::Scheduled,
        SlotStatus::Woke,
        SlotStatus::Forged,
        SlotStatus::Adopted,
        SlotStatus::Immutable,
        SlotStatus::Orphaned,
        SlotStatus::Rejected,
        SlotStatus::Missed,
        SlotStatus::Superseded,
    ];

    /// The status's name, as stored and served (`scheduled`, `woke`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SlotStatus::Scheduled => "scheduled",
            SlotStatus::Woke => "woke",
            SlotStatus::Forged => "forged",
            SlotStatus::Adopted => "adopted",
            SlotStatus::Immutable => "immutable",
            SlotStatus::Orphaned => "orphaned",
            SlotStatus::Rejected => "rejected",
            SlotStatus::Missed => "missed",
            SlotStatus::Superseded => "superseded",
        }
    }

    /// The status named `s` ([`as_str`](Self::as_str)'s inverse); None for an unknown name.
    pub fn parse(s: &str) -> Option<SlotStatus> {
        SlotStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No further change is possible.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SlotStatus::Immutable | SlotStatus::Rejected | SlotStatus::Missed | SlotStatus::Superseded
        )
    }

    /// Whether the slot may move from `self` to `next`.
    pub fn can_become(self, next: SlotStatus) -> bool {
        use SlotStatus::*;
        matches!(
            (self, next),
            (Scheduled, Woke)
                | (Scheduled | Woke, Missed | Superseded)
                | (Woke, Forged)
                | (Forged, Adopted | Orphaned | Rejected)
                | (Adopted, Immutable | Orphaned)
                | (Orphaned, Adopted)
        )
    }
}

impl std::fmt::Display for SlotStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_go_nowhere_and_every_other_reaches_one() {
        for s in SlotStatus::ALL {
            assert_eq!(SlotStatus::parse(s.as_str()), Some(s));
            let next: Vec<_> = SlotStatus::ALL.into_iter().filter(|n| s.can_become(*n)).collect();
            assert_eq!(s.is_terminal(), next.is_empty(), "{s}");
            assert!(!s.can_become(s), "{s} → {s}");
            assert!(!s.can_become(SlotStatus::Scheduled));
        }
        // Forged blocks are never missed or superseded: the enclave signed them.
        assert!(!SlotStatus::Forged.can_become(SlotStatus::Missed));
        assert!(!SlotStatus::Forged.can_become(SlotStatus::Superseded));
    }
}
