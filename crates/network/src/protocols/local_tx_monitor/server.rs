//! The local tx-monitor server's state machine (one per client), sans-I/O: a client message
//! in, a reply or an acquisition to make out; the snapshot the client acquired is iterated in
//! mempool order, as the reference's server does.

use super::messages::{Measure, Message, Sizes};

/// A transaction of a mempool snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotTx {
    /// Its id.
    pub id: [u8; 32],
    /// Its CBOR.
    pub cbor: Vec<u8>,
    /// Its size, as the mempool counts it.
    pub size: u64,
    /// The execution units its redeemers declare: memory and steps.
    pub ex_units: (u64, u64),
    /// The reference-script bytes it uses.
    pub ref_script_bytes: u64,
}

/// The mempool as a client acquired it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MempoolSnapshot {
    /// The slot the transactions are valid in.
    pub slot: u64,
    /// The mempool's capacity in bytes, execution units (memory, steps) and reference-script
    /// bytes.
    pub capacity: (u64, (u64, u64), u64),
    /// The transactions, in mempool order.
    pub txs: Vec<SnapshotTx>,
}

/// Where the protocol is, as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No snapshot is held.
    Idle,
    /// A snapshot is being taken (the server has agency).
    Acquiring,
    /// A snapshot is held.
    Acquired,
    /// The client ended the protocol.
    Done,
}

/// What the server must do for a client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this reply.
    Reply(Message),
    /// Take a snapshot now and report it with [`LocalTxMonitorServer::acquired`].
    Acquire,
    /// Take a snapshot once the mempool differs from the held one, then report it.
    AwaitChange,
    /// Nothing to send (a release).
    Nothing,
    /// The client is done.
    Done,
}

/// A client that broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("local-tx-monitor protocol violation: {message:?} in state {state:?}")]
pub struct ProtocolError {
    /// The state the message arrived in.
    pub state: State,
    /// The message the state does not allow.
    pub message: Box<Message>,
}

/// One client's tx-monitor server.
#[derive(Debug)]
pub struct LocalTxMonitorServer {
    state: State,
    snapshot: MempoolSnapshot,
    /// The next transaction `NextTx` returns.
    cursor: usize,
}

impl Default for LocalTxMonitorServer {
    fn default() -> Self {
        LocalTxMonitorServer {
            state: State::Idle,
            snapshot: MempoolSnapshot::default(),
            cursor: 0,
        }
    }
}

impl LocalTxMonitorServer {
    /// Where the protocol is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The snapshot held (in state [`State::Acquired`]).
    pub fn snapshot(&self) -> &MempoolSnapshot {
        &self.snapshot
    }

    /// Handles a message from the client.
    pub fn on_message(&mut self, msg: Message, era: u8) -> Result<Action, ProtocolError> {
        let s = &self.snapshot;
        let action = match (self.state, msg) {
            (State::Idle, Message::Acquire) => {
                self.state = State::Acquiring;
                Action::Acquire
            }
            (State::Idle, Message::Done) => {
                self.state = State::Done;
                Action::Done
            }
            (State::Acquired, Message::Acquire) => {
                self.state = State::Acquiring;
                Action::AwaitChange
            }
            (State::Acquired, Message::Release) => {
                self.state = State::Idle;
                Action::Nothing
            }
            (State::Acquired, Message::NextTx) => {
                let next = s.txs.get(self.cursor).map(|t| (era, t.cbor.clone()));
                self.cursor = (self.cursor + 1).min(s.txs.len());
                Action::Reply(Message::ReplyNextTx(next))
            }
            (State::Acquired, Message::HasTx(tx_era, id)) => {
                Action::Reply(Message::ReplyHasTx(tx_era == era && s.txs.iter().any(|t| t.id == id)))
            }
            (State::Acquired, Message::GetSizes) => Action::Reply(Message::ReplyGetSizes(Sizes {
                capacity_bytes: clamp(s.capacity.0),
                size_bytes: clamp(s.txs.iter().map(|t| t.size).sum()),
                transactions: clamp(s.txs.len() as u64),
            })),
            (State::Acquired, Message::GetMeasures) => {
                // Over the transactions `NextTx` has not returned yet, as the reference does.
                let rest = &s.txs[self.cursor..];
                let sum = |f: fn(&SnapshotTx) -> u64| rest.iter().map(f).fold(0u64, u64::saturating_add);
                let (bytes, (mem, steps), refs) = s.capacity;
                let measure = |name: &str, size, capacity| Measure {
                    name: name.into(),
                    size,
                    capacity,
                };
                Action::Reply(Message::ReplyGetMeasures(
                    clamp(rest.len() as u64),
                    vec![
                        measure("ex_units_memory", sum(|t| t.ex_units.0), mem),
                        measure("ex_units_steps", sum(|t| t.ex_units.1), steps),
                        measure("reference_scripts_bytes", sum(|t| t.ref_script_bytes), refs),
                        measure("transaction_bytes", sum(|t| t.size), bytes),
                    ],
                ))
            }
            (state, message) => {
                return Err(ProtocolError {
                    state,
                    message: Box::new(message),
                })
            }
        };
        Ok(action)
    }

    /// The snapshot the last [`Action::Acquire`] or [`Action::AwaitChange`] asked for: the reply.
    pub fn acquired(&mut self, snapshot: MempoolSnapshot) -> Message {
        let slot = snapshot.slot;
        self.snapshot = snapshot;
        self.cursor = 0;
        self.state = State::Acquired;
        Message::Acquired(slot)
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
