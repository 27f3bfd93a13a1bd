//! The chain-sync client's state machine, sans-I/O: it proposes intersection points, asks for
//! the next update, and turns the server's answers into events for the node (roll forward a
//! header, roll backward to a point, at the tip), refusing messages out of protocol state.

use super::messages::{Message, Point, Tip, WrappedHeader};

/// Intersection candidates from our chain (oldest first): the tip, then points 1, 2, 4, 8, …
/// blocks back, then the origin — so a few points find a recent intersection, and a long fork
/// still finds one.
pub fn intersection_points(chain: &[Point]) -> Vec<Point> {
    let mut out = Vec::new();
    let mut back = 0usize;
    while back < chain.len() {
        out.push(chain[chain.len() - 1 - back]);
        back = if back == 0 { 1 } else { back * 2 };
    }
    out.push(Point::Origin);
    out
}

/// Where the protocol is, as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// We have agency.
    Idle,
    /// We asked for an intersection.
    Intersecting,
    /// We asked for the next update; the server may still say await.
    CanAwait,
    /// The server said await: the next update comes when its chain moves.
    MustReply,
    /// We ended the protocol.
    Done,
}

/// What the server's answer means for the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Our chain and the server's share this point (the newest of those we offered).
    Intersected(Point, Tip),
    /// They share none of the points we offered.
    NoIntersection(Tip),
    /// The server's next header.
    RollForward(WrappedHeader, Tip),
    /// The server's chain no longer holds what it sent after this point: roll back to it.
    RollBackward(Point, Tip),
    /// The client is at the server's tip; an update follows when there is one.
    AwaitingUpdate,
}

/// A server that broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chain-sync protocol violation by the server: {message:?} in state {state:?}")]
pub struct ProtocolError {
    /// The state the message arrived in.
    pub state: State,
    /// The message the state does not allow.
    pub message: Box<Message>,
}

/// One connection's chain-sync client.
#[derive(Debug)]
pub struct ChainSyncClient {
    state: State,
}

impl Default for ChainSyncClient {
    fn default() -> Self {
        ChainSyncClient { state: State::Idle }
    }
}

impl ChainSyncClient {
    /// Where the protocol is.
    pub fn state(&self) -> State {
        self.state
    }

    /// `MsgFindIntersect` with `points` (see [`intersection_points`]); None unless idle.
    pub fn find_intersect(&mut self, points: Vec<Point>) -> Option<Message> {
        (self.state == State::Idle).then(|| {
            self.state = State::Intersecting;
            Message::FindIntersect(points)
        })
    }

    /// `MsgRequestNext`; None unless idle.
    pub fn request_next(&mut self) -> Option<Message> {
        (self.state == State::Idle).then(|| {
            self.state = State::CanAwait;
            Message::RequestNext
        })
    }

    /// `MsgDone`; None unless idle.
    pub fn done(&mut self) -> Option<Message> {
        (self.state == State::Idle).then(|| {
            self.state = State::Done;
            Message::Done
        })
    }

    /// Handles a message from the server.
    pub fn on_message(&mut self, msg: Message) -> Result<Event, ProtocolError> {
        let event = match (self.state, msg) {
            (State::Intersecting, Message::IntersectFound(p, t)) => Event::Intersected(p, t),
            (State::Intersecting, Message::IntersectNotFound(t)) => Event::NoIntersection(t),
            (State::CanAwait, Message::AwaitReply) => {
                self.state = State::MustReply;
                return Ok(Event::AwaitingUpdate);
            }
            (State::CanAwait | State::MustReply, Message::RollForward(h, t)) => Event::RollForward(h, t),
            (State::CanAwait | State::MustReply, Message::RollBackward(p, t)) => Event::RollBackward(p, t),
            (state, message) => {
                return Err(ProtocolError {
                    state,
                    message: Box::new(message),
                })
            }
        };
        self.state = State::Idle;
        Ok(event)
    }
}
