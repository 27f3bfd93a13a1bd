//! UTXOS's failures' contents as cardano-ledger writes them: a tag mismatch's description
//! (Alonzo's `TagMismatchDescription`, `FailureDescription`) and the collect errors (Alonzo's
//! `CollectError`, Conway's `ContextError` with Babbage's under tag 8).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use slotforge_ledger::error::{CollectError, ContextError, ScriptFailure, TxOutSource};

use super::{raw, tagged};
use crate::protocols::codec::Enc;
use crate::protocols::ledger_cbor;

/// `PassedUnexpectedly` (`[0]`) when no script failed, else `FailedUnexpectedly`:
/// `[1, [[1 (PlutusFailure), message, base64 of the script with its context]]]`.
pub(super) fn tag_mismatch(e: &mut Enc<'_>, failures: &[ScriptFailure]) {
    if failures.is_empty() {
        tagged(e, 1, 0);
        return;
    }
    tagged(e, 2, 1);
    ledger_cbor::list(e, failures, |e, f| {
        let _ = e
            .array(3)
            .and_then(|e| e.u8(1))
            .and_then(|e| e.str(&f.message))
            .and_then(|e| e.bytes(BASE64.encode(&f.context).as_bytes()));
    });
}

/// One `CollectError`: `[2 (NoCostModel), language]` or `[3 (BadTranslation), contextError]`.
pub(super) fn collect_error(e: &mut Enc<'_>, c: &CollectError) {
    match c {
        CollectError::NoCostModel(language) => {
            tagged(e, 2, 2);
            let _ = e.u8(language.key());
        }
        CollectError::BadTranslation(context) => {
            tagged(e, 2, 3);
            context_error(e, context);
        }
    }
}

/// Conway's `ContextError` (tags from 8); Babbage's inside `[8, babbageContextError]`.
fn context_error(e: &mut Enc<'_>, c: &ContextError) {
    use ContextError as C;
    let babbage = |e: &mut Enc<'_>, tag: u8, source: &TxOutSource| {
        tagged(e, 2, 8);
        tagged(e, 2, tag);
        match source {
            TxOutSource::Input(i) => {
                tagged(e, 2, 0);
                ledger_cbor::tx_in(e, i);
            }
            TxOutSource::Output(ix) => {
                tagged(e, 2, 1);
                let _ = e.u64(*ix);
            }
        }
    };
    match c {
        C::ByronTxOutInContext(source) => babbage(e, 0, source),
        C::InlineDatumsNotSupported(source) => babbage(e, 4, source),
        C::CertificateNotSupported(cert) => {
            tagged(e, 2, 9);
            raw(e, cert);
        }
        C::PlutusPurposeNotSupported(purpose) => {
            tagged(e, 2, 10);
            raw(e, purpose);
        }
        C::CurrentTreasuryFieldNotSupported(coin) => {
            tagged(e, 2, 11);
            let _ = e.u64(*coin);
        }
        C::VotingProceduresFieldNotSupported(votes) => {
            tagged(e, 2, 12);
            raw(e, votes);
        }
        C::ProposalProceduresFieldNotSupported(proposals) => {
            tagged(e, 2, 13);
            raw(e, proposals);
        }
        C::TreasuryDonationFieldNotSupported(coin) => {
            tagged(e, 2, 14);
            let _ = e.u64(*coin);
        }
    }
}
