//! The node's glue: what connects the chain task, the leadership module and (later) the
//! network and REST server in one `slotforge node` process.

pub mod chain_bridge;
