//! The local state query server's state machine (one per client), sans-I/O: a client message
//! in, what to do out — acquire a state, answer a query on the acquired one, or nothing —
//! and the outcome of an acquisition in, the reply out. The stage does the reading.

use super::messages::{AcquireFailure, Message, Target};

/// Where the protocol is, as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No state is held; the client may acquire one or end.
    Idle,
    /// An acquisition is under way (the server has agency).
    Acquiring,
    /// A state is held; the client may query it, release it or acquire another.
    Acquired,
    /// The client ended the protocol.
    Done,
}

/// What the server must do for a client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Acquire the target's state and report it with [`LocalStateQueryServer::acquired`].
    Acquire(Target),
    /// Answer the query (its CBOR) on the acquired state, and send the result.
    Answer(Vec<u8>),
    /// Nothing to send (a release).
    Nothing,
    /// The client is done.
    Done,
}

/// A client that broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("local-state-query protocol violation: {message:?} in state {state:?}")]
pub struct ProtocolError {
    /// The state the message arrived in.
    pub state: State,
    /// The message the state does not allow.
    pub message: Box<Message>,
}

/// One client's local state query server, holding the acquired state `S`.
#[derive(Debug)]
pub struct LocalStateQueryServer<S> {
    state: State,
    acquired: Option<S>,
}

impl<S> Default for LocalStateQueryServer<S> {
    fn default() -> Self {
        LocalStateQueryServer {
            state: State::Idle,
            acquired: None,
        }
    }
}

impl<S> LocalStateQueryServer<S> {
    /// Where the protocol is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The acquired state, in state [`State::Acquired`].
    pub fn held(&self) -> Option<&S> {
        self.acquired.as_ref()
    }

    /// Handles a message from the client.
    pub fn on_message(&mut self, msg: Message) -> Result<Action, ProtocolError> {
        match (self.state, msg) {
            (State::Idle, Message::Acquire(t)) | (State::Acquired, Message::ReAcquire(t)) => {
                self.acquired = None;
                self.state = State::Acquiring;
                Ok(Action::Acquire(t))
            }
            (State::Acquired, Message::Query(q)) => Ok(Action::Answer(q)),
            (State::Acquired, Message::Release) => {
                self.acquired = None;
                self.state = State::Idle;
                Ok(Action::Nothing)
            }
            (State::Idle, Message::Done) => {
                self.state = State::Done;
                Ok(Action::Done)
            }
            (state, message) => Err(ProtocolError {
                state,
                message: Box::new(message),
            }),
        }
    }

    /// The outcome of the acquisition the last [`Action::Acquire`] asked for: the reply.
    pub fn acquired(&mut self, outcome: Result<S, AcquireFailure>) -> Message {
        match outcome {
            Ok(s) => {
                self.acquired = Some(s);
                self.state = State::Acquired;
                Message::Acquired
            }
            Err(f) => {
                self.state = State::Idle;
                Message::Failure(f)
            }
        }
    }
}
