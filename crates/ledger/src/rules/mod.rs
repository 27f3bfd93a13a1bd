//! The transaction rules, one module per cardano-ledger rule, named as the reference names
//! them: `ledger` (LEDGER) composes `utxo` (UTXO), `utxow` (UTXOW), `certs` (CERTS and
//! CERT) with `deleg` (DELEG), `pool` (POOL) and `govcert` (GOVCERT), and `gov` (GOV).
//! `scripts` refuses by name what needs script evaluation (UTXOS is still to come).

mod certs;
mod deleg;
mod gov;
mod govcert;
pub(crate) mod ledger;
mod pool;
mod scripts;
mod utxo;
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
