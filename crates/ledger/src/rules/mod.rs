//! The transaction rules, one module per cardano-ledger rule, named as the reference names
//! them: `ledger` (LEDGER) composes `certs` (CERTS and CERT) with `deleg` (DELEG), `pool`
//! (POOL) and `govcert` (GOVCERT), `gov` (GOV), `utxow` (UTXOW), `utxo` (UTXO) and `utxos`
//! (UTXOS: scripts run, then the effects); `bbody` holds BBODY's limits on a whole block, and
//! `balance` what a body deposits, refunds and withdraws.
//! `tx_view` resolves what they all read.
//!
//! The epoch boundary: `epoch` (NEWEPOCH and EPOCH) composes `rupd` (the reward update's
//! application), `poolreap` (POOLREAP), `ratify` (RATIFY), `enact` (ENACT) and `hardfork`
//! (HARDFORK).

mod balance;
pub(crate) mod bbody;
mod certs;
mod deleg;
mod enact;
pub(crate) mod epoch;
mod gov;
mod govcert;
mod hardfork;
pub(crate) mod ledger;
mod pool;
mod poolreap;
mod ratify;
mod rupd;
mod tx_info;
pub(crate) mod tx_view;
mod utxo;
mod utxos;
mod utxow;

/// How much of a transaction to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// Every rule.
    Full,
    /// Every rule that depends on the ledger state: for a transaction already fully checked.
    /// Witnesses and the auxiliary data hash depend only on the transaction's bytes and on the
    /// addresses its inputs name, which a given input always resolves to (cardano-ledger's
    /// `reapplyTx` skips them likewise).
    Reapply,
}

/// A redeemer tag's number, as CBOR writes it (0 spend … 5 propose).
pub(crate) fn tag_number(t: pallas_primitives::conway::RedeemerTag) -> u8 {
    use pallas_primitives::conway::RedeemerTag;
    match t {
        RedeemerTag::Spend => 0,
        RedeemerTag::Mint => 1,
        RedeemerTag::Cert => 2,
        RedeemerTag::Reward => 3,
        RedeemerTag::Vote => 4,
        RedeemerTag::Propose => 5,
    }
}

/// What a transaction's certificates, withdrawals and proposals add to its balance
/// (`balance::of`).
#[derive(Debug, Default)]
pub(crate) struct Balance {
    /// Lovelace withdrawn from reward accounts.
    pub withdrawn: u64,
    /// Deposits paid: stake credentials, new pools, DReps, proposals.
    pub deposits: u64,
    /// Deposits refunded: stake credentials and DReps.
    pub refunds: u64,
}
