//! The node's glue: what connects the chain task, the leadership module and the network in
//! one `slotforge node` process.
#![warn(missing_docs)]

pub mod chain_bridge;
pub mod node_metrics;
pub mod node_runtime;
