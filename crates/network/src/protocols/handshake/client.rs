//! The initiator's side of the handshake: its check of the responder's answer to the proposal.

use super::messages::{Message, RefuseReason, VersionData, VersionTable};

/// What the initiator concludes from the responder's answer to `ours`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The connection runs `version`, with the data both sides agreed on.
    Accepted {
        /// The version the responder chose among ours.
        version: u64,
        /// The combined version data.
        data: VersionData,
    },
    /// The responder's versions (we asked with `query`).
    Queried(VersionTable),
}

/// Why the initiator does not take the responder's answer: the handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The responder refused our proposal.
    #[error("the peer refused: {0:?}")]
    Refused(RefuseReason),
    /// The responder accepted a version we did not propose.
    #[error("the peer accepted version {0}, which we did not propose")]
    NotProposed(u64),
    /// The responder accepted with version data ours does not agree to (another magic).
    #[error("the peer accepted version {version} with data we do not agree to: {why}")]
    Disagreed {
        /// The version accepted.
        version: u64,
        /// Why the data does not agree.
        why: String,
    },
    /// A proposal where an answer was expected.
    #[error("the peer sent {0:?} where an answer to our proposal was expected")]
    Unexpected(Box<Message>),
}

/// The initiator's check of the responder's answer: an accepted version must be one we
/// proposed, with data our own agrees to (the reference's `acceptVersion` on the client side).
pub fn conclude(ours: &VersionTable, answer: Message) -> Result<Outcome, HandshakeError> {
    match answer {
        Message::Accept(version, data) => {
            let mine = ours.get(&version).ok_or(HandshakeError::NotProposed(version))?;
            mine.agree(&data)
                .map_err(|why| HandshakeError::Disagreed { version, why })?;
            Ok(Outcome::Accepted { version, data })
        }
        Message::QueryReply(t) => Ok(Outcome::Queried(t)),
        Message::Refuse(r) => Err(HandshakeError::Refused(r)),
        other @ Message::Propose(_) => Err(HandshakeError::Unexpected(Box::new(other))),
    }
}
