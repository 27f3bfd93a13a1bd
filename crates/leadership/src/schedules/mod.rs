//! The leaders' schedules: which slots each leader of the enclave wins, asked of the enclave
//! and kept in the slot log.
//!
//! - [`leaders`]: the enclave's leaders, read at start and whenever they change.
//! - [`triggers`]: when a schedule is asked for (an epoch's parameters announced, a leader
//!   added, the end of the schedule reached, a retry), idempotent by (epoch, parameter
//!   digest); old epochs pruned from the slot log.
//! - [`superseding`]: a fork that changed an epoch's parameters, or a leader removed, cancels
//!   the computations and supersedes the pending entries they made.
//! - [`streaming`]: a schedule streamed from the enclave into the slot log, each won slot
//!   recorded (and its timer armed) as it arrives, the rest kept at stop so a restart resumes.

mod leaders;
mod streaming;
mod superseding;
mod triggers;

use tokio::task::JoinHandle;

/// A schedule being streamed from the enclave.
pub(crate) struct Computation {
    /// The digest of the parameters it is computed under.
    pub(crate) digest: String,
    pub(crate) task: JoinHandle<()>,
}
