//! Which block a leader slot's block builds on.

use crate::seams::{BlockRef, ChainTip};

/// Which block to build on: the tip, or its predecessor when the tip is in the same slot (a
/// fair slot battle). An error is the reason not to forge.
pub fn choose_parent(tip: Option<&ChainTip>, slot: u64) -> Result<Option<BlockRef>, String> {
    match tip {
        None => Ok(None),
        Some(t) if t.block.slot < slot => Ok(Some(t.block)),
        Some(t) if t.block.slot == slot => Ok(t.parent),
        Some(t) => Err(format!("tip ahead: the tip is already at slot {}", t.block.slot)),
    }
}
