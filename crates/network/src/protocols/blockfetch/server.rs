//! The block-fetch server's state machine (one per client), sans-I/O: a range request in, the
//! points of the batch to stream (or no blocks) out, read through a [`BlockSource`].

use super::messages::Message;
use crate::protocols::chainsync::messages::Point;

/// What the server reads of the node's blocks.
pub trait BlockSource {
    /// The points from `from` to `to` inclusive, in chain order, when `to` descends from
    /// `from` through blocks the node has (on the selected chain or a fork it keeps); None
    /// otherwise.
    fn range(&self, from: &Point, to: &Point) -> Option<Vec<Point>>;
}

/// The server's answer to a range request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Send `MsgNoBlocks`.
    NoBlocks,
    /// Send `MsgStartBatch`, each block in turn (`MsgBlock`, read from the store as it is
    /// sent, so a long range does not sit in memory), then `MsgBatchDone`.
    Batch(Vec<Point>),
}

/// Where the protocol is, as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The client may ask for a range or say it is done.
    Idle,
    /// The client said it is done.
    Done,
}

/// A client that broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("block-fetch protocol violation: {message:?} in state {state:?}")]
pub struct ProtocolError {
    /// The state the message arrived in.
    pub state: State,
    /// The message the state does not allow.
    pub message: Box<Message>,
}

/// One client's block-fetch server.
#[derive(Debug)]
pub struct BlockFetchServer {
    state: State,
}

impl Default for BlockFetchServer {
    fn default() -> Self {
        BlockFetchServer { state: State::Idle }
    }
}

impl BlockFetchServer {
    /// Where the protocol is.
    pub fn state(&self) -> State {
        self.state
    }

    /// Handles a message from the client. `None`: the client is done.
    pub fn on_message(&mut self, msg: Message, blocks: &impl BlockSource) -> Result<Option<Reply>, ProtocolError> {
        match (self.state, msg) {
            (State::Idle, Message::RequestRange(from, to)) => Ok(Some(match blocks.range(&from, &to) {
                Some(points) if !points.is_empty() => Reply::Batch(points),
                _ => Reply::NoBlocks,
            })),
            (State::Idle, Message::ClientDone) => {
                self.state = State::Done;
                Ok(None)
            }
            (state, message) => Err(ProtocolError {
                state,
                message: Box::new(message),
            }),
        }
    }
}
