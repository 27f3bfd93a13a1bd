//! Scripts: minting, collateral and script data, Plutus and native scripts, and Byron
//! bootstrap witnesses. This ledger does not evaluate scripts yet (UTXOS is still to come), so
//! a transaction that needs any of them is refused by name rather than judged wrongly.

use pallas_primitives::conway::{TransactionBody, WitnessSet};

use crate::error::LedgerError;

/// Refuses what needs script evaluation or Byron witnesses, naming the feature.
pub(super) fn refuse_scripts(body: &TransactionBody<'_>, wits: &WitnessSet<'_>) -> Result<(), LedgerError> {
    let u = |f| Err(LedgerError::Unsupported(f));
    if body.mint.is_some() {
        return u("minting (needs scripts)");
    }
    if body.collateral.is_some()
        || body.collateral_return.is_some()
        || body.total_collateral.is_some()
        || body.script_data_hash.is_some()
    {
        return u("Plutus scripts (collateral and script data)");
    }
    if wits.plutus_v1_script.is_some()
        || wits.plutus_v2_script.is_some()
        || wits.plutus_v3_script.is_some()
        || wits.plutus_data.is_some()
        || wits.redeemer.is_some()
    {
        return u("Plutus scripts");
    }
    if wits.native_script.is_some() {
        return u("native scripts");
    }
    if wits.bootstrap_witness.is_some() {
        return u("Byron bootstrap witnesses");
    }
    Ok(())
}
