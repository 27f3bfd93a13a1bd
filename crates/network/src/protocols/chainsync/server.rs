//! The chain-sync server's state machine (one per client), sans-I/O: client messages and
//! chain changes in, the messages to send out. It follows the node's selected chain through a
//! [`ChainView`], serving headers to peers or whole blocks to local clients ([`Serving`]):
//! after an intersection the first reply is a roll-backward to it; at the tip it
//! answers await-reply and sends the next update when the chain moves; a client whose read
//! pointer left the chain (a fork switch) is rolled back to where it rejoins it.

use std::collections::VecDeque;

use super::messages::{Message, Point, Tip, WrappedHeader};

/// How many of the points sent to a client the server remembers: more than the deepest
/// rollback Praos allows (k = 2160 on Cardano's networks).
pub const REMEMBERED_POINTS: usize = 2_200;

/// What the server reads of the node's selected chain.
pub trait ChainView {
    /// The selected chain's tip.
    fn tip(&self) -> Tip;
    /// Whether `p` is on the selected chain (the origin always is).
    fn contains(&self, p: &Point) -> bool;
    /// The block after `p` on the selected chain: its point and wrapped header.
    fn next_after(&self, p: &Point) -> Option<(Point, WrappedHeader)>;
    /// The block after `p` on the selected chain: its point and the whole block as
    /// `[blockTag, block]` (what node-to-client chain-sync serves).
    fn next_block_after(&self, p: &Point) -> Option<(Point, Vec<u8>)>;
    /// The newest point of the selected chain that `p` descends from (`p` itself if on it;
    /// the origin if nothing else is known).
    fn rejoin(&self, p: &Point) -> Point;
}

/// Where the protocol is, as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The client has agency.
    Idle,
    /// We answered await-reply: the next chain change is sent.
    MustReply,
    /// The client ended the protocol.
    Done,
}

/// A client that broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chain-sync protocol violation: {message:?} in state {state:?}")]
pub struct ProtocolError {
    /// The state the message arrived in.
    pub state: State,
    /// The message the state does not allow.
    pub message: Box<Message>,
}

/// What a roll-forward carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// Headers, to peers (node-to-node).
    Headers,
    /// Whole blocks, to local clients (node-to-client).
    Blocks,
}

/// One client's chain-sync server.
#[derive(Debug)]
pub struct ChainSyncServer {
    serving: Serving,
    state: State,
    /// The last point the client has.
    read_pointer: Point,
    /// An intersection the client has not been rolled back to yet.
    rollback_to: Option<Point>,
    /// The client's chain as we sent it, newest last (at most [`REMEMBERED_POINTS`]): after
    /// a fork switch the client is rolled back to the newest of these still on our chain,
    /// even when the blocks it had are gone from the node.
    sent: VecDeque<Point>,
}

impl Default for ChainSyncServer {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainSyncServer {
    /// A server of headers for a peer that starts at the origin.
    pub fn new() -> Self {
        Self::serving(Serving::Headers)
    }

    /// A server of `what` for a client that starts at the origin.
    pub fn serving(what: Serving) -> Self {
        ChainSyncServer {
            serving: what,
            state: State::Idle,
            read_pointer: Point::Origin,
            rollback_to: None,
            sent: VecDeque::new(),
        }
    }

    /// Where the protocol is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The last point the client has (what the next update follows).
    pub fn read_pointer(&self) -> Point {
        self.read_pointer
    }

    /// Handles a message from the client; returns what to send.
    pub fn on_message(&mut self, msg: Message, chain: &impl ChainView) -> Result<Vec<Message>, ProtocolError> {
        match (self.state, msg) {
            (State::Idle, Message::FindIntersect(points)) => {
                let tip = chain.tip();
                Ok(vec![match points.iter().find(|p| chain.contains(p)) {
                    Some(p) => {
                        self.read_pointer = *p;
                        self.rollback_to = Some(*p);
                        self.sent = VecDeque::from([*p]);
                        Message::IntersectFound(*p, tip)
                    }
                    None => Message::IntersectNotFound(tip),
                }])
            }
            (State::Idle, Message::RequestNext) => Ok(vec![match self.update(chain) {
                Some(m) => m,
                None => {
                    self.state = State::MustReply;
                    Message::AwaitReply
                }
            }]),
            (State::Idle, Message::Done) => {
                self.state = State::Done;
                Ok(Vec::new())
            }
            (state, message) => Err(ProtocolError {
                state,
                message: Box::new(message),
            }),
        }
    }

    /// The selected chain changed: what to send a client waiting for it.
    pub fn on_chain_changed(&mut self, chain: &impl ChainView) -> Vec<Message> {
        if self.state != State::MustReply {
            return Vec::new();
        }
        match self.update(chain) {
            Some(m) => {
                self.state = State::Idle;
                vec![m]
            }
            None => Vec::new(),
        }
    }

    /// The next update for the client, if any: a pending roll-backward, a roll-backward to
    /// where a forked-off read pointer rejoins the chain, or the next header.
    fn update(&mut self, chain: &impl ChainView) -> Option<Message> {
        let tip = chain.tip();
        if let Some(p) = self.rollback_to.take() {
            if chain.contains(&p) {
                return Some(Message::RollBackward(p, tip));
            }
        }
        if !chain.contains(&self.read_pointer) {
            while self.sent.back().is_some_and(|p| !chain.contains(p)) {
                self.sent.pop_back();
            }
            if self.sent.is_empty() {
                // Deeper than we remember: where the node's own blocks say it rejoins.
                self.sent.push_back(chain.rejoin(&self.read_pointer));
            }
            self.read_pointer = *self.sent.back().expect("not empty");
            return Some(Message::RollBackward(self.read_pointer, tip));
        }
        let (p, forward) = match self.serving {
            Serving::Headers => {
                let (p, header) = chain.next_after(&self.read_pointer)?;
                (p, Message::RollForward(header, tip))
            }
            Serving::Blocks => {
                let (p, block) = chain.next_block_after(&self.read_pointer)?;
                (p, Message::RollForwardBlock(block, tip))
            }
        };
        self.read_pointer = p;
        if self.sent.len() == REMEMBERED_POINTS {
            self.sent.pop_front();
        }
        self.sent.push_back(p);
        Some(forward)
    }
}
