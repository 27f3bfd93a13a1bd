//! The responder's side of the handshake: its decision on a proposal.

use super::messages::{HandshakeData, Message, RefuseReason, VersionTable};

/// The responder's decision on a proposal: the greatest common version, its data combined
/// (`MsgAcceptVersion`), or the table itself when the proposal queries (`MsgQueryReply`), or a
/// refusal. Only the greatest common version is tried, as in the reference.
pub fn respond<D: HandshakeData>(ours: &VersionTable<D>, proposal: &VersionTable<D>) -> Message<D> {
    let Some((&v, theirs)) = proposal.iter().rev().find(|(v, _)| ours.contains_key(v)) else {
        return Message::Refuse(RefuseReason::VersionMismatch(ours.keys().copied().collect()));
    };
    match ours[&v].agree(theirs) {
        Ok(agreed) if agreed.query() => Message::QueryReply(ours.clone()),
        Ok(agreed) => Message::Accept(v, agreed),
        Err(why) => Message::Refuse(RefuseReason::Refused(v, why)),
    }
}
