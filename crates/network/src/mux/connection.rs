//! A connection over a socket (TCP between nodes, a Unix socket for local clients): the
//! multiplexer's I/O edge. A reader task cuts the
//! socket's bytes into segments and routes each to its mini-protocol's [`Channel`]; a writer
//! task sends what the channels queue. Each channel reassembles whole messages under the size
//! limit and the timeout of the protocol state it is in (the caller says which), so a peer can
//! neither grow our memory without bound nor hold a state forever.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::framing::{self, Direction, MessageBuffer, MuxError, SduHeader, HEADER_BYTES};

/// How long the rest of a segment may take once its header has arrived (the reference's SDU
/// timeout for node-to-node bearers).
pub const SDU_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one segment may take to be written: a peer that reads nothing for this long is
/// disconnected rather than left holding the connection's memory.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// Segments a mini-protocol may have queued and not yet read: with [`framing::MAX_SDU_PAYLOAD`],
/// the memory a peer can make one channel hold beyond its message limit.
const INGRESS_SEGMENTS: usize = 64;

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// The socket failed (reset, refused, timed out): the network's fault, not the peer's.
    #[error("socket: {0}")]
    Io(String),
    /// The peer closed the connection, or we ended it cleanly.
    #[error("the peer closed the connection")]
    Closed,
    /// The peer's bytes could not be framed or reassembled into messages.
    #[error("multiplexer: {0}")]
    Mux(#[from] MuxError),
    /// A segment for a mini-protocol the connection does not run.
    #[error("a segment for mini-protocol {0}, which this connection does not run")]
    UnknownProtocol(u16),
    /// A segment marked as sent from our own side of its mini-protocol.
    #[error("a segment for mini-protocol {protocol} from the {direction:?} side, which is ours")]
    WrongDirection {
        /// The segment's mini-protocol.
        protocol: u16,
        /// The side the segment claims to come from.
        direction: Direction,
    },
    /// The peer, having agency, sent nothing within the state's time limit.
    #[error("mini-protocol {protocol}: no message within {timeout:?} in state {state}")]
    Timeout {
        /// The mini-protocol that waited.
        protocol: u16,
        /// The protocol state it waited in.
        state: &'static str,
        /// The state's time limit.
        timeout: Duration,
    },
    /// A whole message that is not one of the protocol's (or not allowed in its state).
    #[error("mini-protocol {protocol}: undecodable message in state {state}: {error}")]
    Decode {
        /// The message's mini-protocol.
        protocol: u16,
        /// The protocol state it arrived in.
        state: &'static str,
        /// Why it could not be decoded.
        error: String,
    },
    /// A decodable message the protocol's state machine refused.
    #[error("mini-protocol {protocol}: {message}")]
    Protocol {
        /// The mini-protocol whose rules were broken.
        protocol: u16,
        /// What the peer did.
        message: String,
    },
    /// The peer read nothing of what we sent for this long (it stopped reading).
    #[error("the peer read nothing we sent for {0:?}")]
    Stalled(Duration),
    /// The handshake failed: refused, or an answer we do not accept.
    #[error("handshake: {0}")]
    Handshake(String),
    /// The peer sent something invalid: a header or block that fails validation, a chain that
    /// does not continue ours, a block that is not the one asked for.
    #[error("{0}")]
    Invalid(String),
    /// Our side failed (the block store, a blocking thread): not the peer's doing.
    #[error("this node: {0}")]
    Local(String),
}

impl ConnectionError {
    /// The node's chain task is gone (the node is stopping).
    pub fn chain_stopped() -> Self {
        ConnectionError::Invalid("the chain task has stopped".into())
    }

    /// The peer broke mini-protocol `protocol`'s rules.
    pub fn violation(protocol: u16, e: impl std::fmt::Display) -> Self {
        ConnectionError::Protocol {
            protocol,
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for ConnectionError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            ConnectionError::Closed
        } else {
            ConnectionError::Io(e.to_string())
        }
    }
}

/// Bytes moved over a connection, shared with whoever reports them.
#[derive(Debug, Default)]
pub struct Traffic {
    /// Bytes received, segment headers included.
    pub bytes_in: AtomicU64,
    /// Bytes sent, segment headers included.
    pub bytes_out: AtomicU64,
}

/// One mini-protocol's end of a connection.
pub struct Channel {
    protocol: u16,
    ours: Direction,
    incoming: mpsc::Receiver<Vec<u8>>,
    buffer: MessageBuffer,
    outgoing: mpsc::Sender<Vec<u8>>,
    started: Instant,
}

impl Channel {
    /// Queues a message for the peer (it waits while the writer is behind).
    pub async fn send(&self, message: &[u8]) -> Result<(), ConnectionError> {
        let now = self.started.elapsed().as_micros() as u32;
        for segment in framing::segment(self.protocol, self.ours, now, message)? {
            self.outgoing.send(segment).await.map_err(|_| ConnectionError::Closed)?;
        }
        Ok(())
    }

    /// The next whole message, which must fit `limit` bytes and arrive within `timeout` (None:
    /// no limit in time, as for states where the peer waits for the chain to move).
    pub async fn recv(
        &mut self,
        state: &'static str,
        limit: usize,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, ConnectionError> {
        let deadline = timeout.map(|t| (tokio::time::Instant::now() + t, t));
        loop {
            if let Some(m) = self.buffer.next_message(limit)? {
                return Ok(m);
            }
            let next =
                match deadline {
                    Some((at, t)) => tokio::time::timeout_at(at, self.incoming.recv()).await.map_err(|_| {
                        ConnectionError::Timeout {
                            protocol: self.protocol,
                            state,
                            timeout: t,
                        }
                    })?,
                    None => self.incoming.recv().await,
                };
            self.buffer.push(&next.ok_or(ConnectionError::Closed)?);
        }
    }

    /// `recv`, then `decode`; a decoding failure names the state.
    pub async fn recv_decoded<T, E: std::fmt::Display>(
        &mut self,
        state: &'static str,
        limit: usize,
        timeout: Option<Duration>,
        decode: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<T, ConnectionError> {
        let bytes = self.recv(state, limit, timeout).await?;
        decode(&bytes).map_err(|e| ConnectionError::Decode {
            protocol: self.protocol,
            state,
            error: e.to_string(),
        })
    }
}

/// A running connection: the reader and writer tasks, stopped when this is dropped.
pub struct Connection {
    reader: JoinHandle<ConnectionError>,
    writer: JoinHandle<ConnectionError>,
    /// Why the multiplexer stopped, once known (a finished task cannot be awaited twice).
    reason: Option<ConnectionError>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

impl Connection {
    /// Starts the multiplexer on `stream` for `protocols`, on the side `ours` (initiator on a
    /// connection we opened, responder on one we accepted); returns one channel per protocol.
    /// Bytes moved are added to `traffic` as they move.
    pub fn start(
        stream: TcpStream,
        ours: Direction,
        protocols: &[u16],
        traffic: Arc<Traffic>,
    ) -> (Connection, HashMap<u16, Channel>) {
        let _ = stream.set_nodelay(true);
        Self::start_on(stream, ours, protocols, traffic)
    }

    /// [`Connection::start`] on any byte stream (a Unix socket's, for local clients).
    pub fn start_on<S: AsyncRead + AsyncWrite + Send + 'static>(
        stream: S,
        ours: Direction,
        protocols: &[u16],
        traffic: Arc<Traffic>,
    ) -> (Connection, HashMap<u16, Channel>) {
        Self::start_with_write_limit(stream, ours, protocols, traffic, WRITE_TIMEOUT)
    }

    /// [`Connection::start_on`], a peer that reads nothing for `write_limit` disconnected.
    pub fn start_with_write_limit<S: AsyncRead + AsyncWrite + Send + 'static>(
        stream: S,
        ours: Direction,
        protocols: &[u16],
        traffic: Arc<Traffic>,
        write_limit: Duration,
    ) -> (Connection, HashMap<u16, Channel>) {
        let (read, write) = tokio::io::split(stream);
        let (out_tx, out_rx) = mpsc::channel(INGRESS_SEGMENTS);
        let started = Instant::now();
        let mut routes = HashMap::new();
        let mut channels = HashMap::new();
        for &p in protocols {
            let (tx, rx) = mpsc::channel(INGRESS_SEGMENTS);
            routes.insert(p, tx);
            channels.insert(
                p,
                Channel {
                    protocol: p,
                    ours,
                    incoming: rx,
                    buffer: MessageBuffer::new(),
                    outgoing: out_tx.clone(),
                    started,
                },
            );
        }
        let reader = tokio::spawn(read_segments(read, ours, routes, traffic.clone()));
        let writer = tokio::spawn(write_segments(write, out_rx, traffic.clone(), write_limit));
        (
            Connection {
                reader,
                writer,
                reason: None,
            },
            channels,
        )
    }

    /// Waits, at most `within`, until what the channels queued is written, once every channel
    /// is dropped: a last message (a handshake refusal) reaches the peer before the connection
    /// closes.
    pub async fn drain(&mut self, within: Duration) {
        if self.reason.is_none() {
            if let Ok(r) = tokio::time::timeout(within, &mut self.writer).await {
                self.reason = Some(r.unwrap_or_else(|e| ConnectionError::Io(format!("multiplexer task: {e}"))));
            }
        }
    }

    /// Waits until the socket fails or the peer breaks the multiplexer's rules: the reason.
    /// Called again, it answers the same at once.
    pub async fn failed(&mut self) -> ConnectionError {
        if let Some(r) = &self.reason {
            return r.clone();
        }
        // The reader first: when both have stopped, what the peer sent is the better reason.
        let done = tokio::select! {
            biased;
            r = &mut self.reader => r,
            w = &mut self.writer => w,
        };
        let reason = done.unwrap_or_else(|e| ConnectionError::Io(format!("multiplexer task: {e}")));
        self.reason = Some(reason.clone());
        reason
    }
}

async fn read_segments(
    mut read: impl AsyncRead + Unpin,
    ours: Direction,
    routes: HashMap<u16, mpsc::Sender<Vec<u8>>>,
    traffic: Arc<Traffic>,
) -> ConnectionError {
    let mut header = [0u8; HEADER_BYTES];
    loop {
        if let Err(e) = read.read_exact(&mut header).await {
            return e.into();
        }
        let h = match SduHeader::decode(&header) {
            Ok(h) => h,
            Err(e) => return e.into(),
        };
        // Judged on the header alone: a segment we would refuse is not waited for.
        if h.direction == ours {
            return ConnectionError::WrongDirection {
                protocol: h.protocol,
                direction: h.direction,
            };
        }
        let Some(route) = routes.get(&h.protocol) else {
            return ConnectionError::UnknownProtocol(h.protocol);
        };
        let mut payload = vec![0u8; h.length as usize];
        match tokio::time::timeout(SDU_TIMEOUT, read.read_exact(&mut payload)).await {
            Err(_) => {
                return ConnectionError::Timeout {
                    protocol: h.protocol,
                    state: "segment",
                    timeout: SDU_TIMEOUT,
                }
            }
            Ok(Err(e)) => return e.into(),
            Ok(Ok(_)) => {}
        }
        traffic
            .bytes_in
            .fetch_add((HEADER_BYTES + payload.len()) as u64, Ordering::Relaxed);
        // A protocol that has ended drops its receiver; what its peer still sends is dropped.
        let _ = route.send(payload).await;
    }
}

async fn write_segments(
    mut write: impl AsyncWrite + Unpin,
    mut queue: mpsc::Receiver<Vec<u8>>,
    traffic: Arc<Traffic>,
    limit: Duration,
) -> ConnectionError {
    while let Some(segment) = queue.recv().await {
        match tokio::time::timeout(limit, write.write_all(&segment)).await {
            Err(_) => return ConnectionError::Stalled(limit),
            Ok(Err(e)) => return e.into(),
            Ok(Ok(())) => {}
        }
        traffic.bytes_out.fetch_add(segment.len() as u64, Ordering::Relaxed);
    }
    let _ = write.shutdown().await;
    ConnectionError::Closed
}
