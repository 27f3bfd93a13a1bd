//! The multiplexer: one socket carries every mini-protocol of a connection. [`framing`] is its
//! sans-I/O half (segment headers, splitting messages into segments, reassembling them under a
//! size limit); [`connection`] its I/O edge (the socket's reader and writer tasks, and a
//! [`Channel`](connection::Channel) per mini-protocol).

pub mod connection;
pub mod framing;
