//! GOVCERT (Conway `GOVCERT`): DRep registration, update and retirement, and committee hot-key
//! authorisation and resignation.

use pallas_primitives::conway::Certificate;

use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{CommitteeAuthorization, Credential, DRepState, LedgerState};

/// Applies one governance certificate (CERT routes only those here); every failure of the
/// certificate is reported.
pub(super) fn apply(state: &mut LedgerState, p: &LedgerParams, cert: &Certificate) -> Result<(), LedgerError> {
    let mut failures = Vec::new();
    let expiry = drep_expiry(state, p);
    match cert {
        Certificate::RegDRepCert(c, deposit, anchor) => {
            let c = Credential::from(c);
            if state.governance.dreps.contains_key(&c) {
                failures.push(LedgerError::DRepAlreadyRegistered(c));
            }
            if *deposit != p.drep_deposit {
                failures.push(LedgerError::DRepIncorrectDeposit {
                    expected: p.drep_deposit,
                    declared: *deposit,
                });
            }
            if failures.is_empty() {
                state.governance.dreps.insert(
                    c,
                    DRepState {
                        deposit: *deposit,
                        expiry,
                        anchor: anchor_bytes(anchor.as_ref()),
                    },
                );
            }
        }
        Certificate::UnRegDRepCert(c, refund) => {
            let c = Credential::from(c);
            match state.governance.dreps.get(&c) {
                None => failures.push(LedgerError::DRepNotRegistered(c)),
                Some(d) if d.deposit != *refund => failures.push(LedgerError::DRepIncorrectRefund {
                    expected: d.deposit,
                    declared: *refund,
                }),
                Some(_) => {}
            }
            if failures.is_empty() {
                state.governance.dreps.remove(&c);
                // From protocol version 10 the retiring DRep's delegations are cleared.
                let delegators: Vec<Credential> = state
                    .accounts
                    .iter()
                    .filter(|(_, a)| a.drep.and_then(|d| d.credential()) == Some(c))
                    .map(|(k, _)| *k)
                    .collect();
                for k in delegators {
                    if let Some(a) = state.accounts.get_mut(&k) {
                        a.drep = None;
                    }
                }
            }
        }
        Certificate::UpdateDRepCert(c, anchor) => {
            let c = Credential::from(c);
            match state.governance.dreps.get_mut(&c) {
                None => failures.push(LedgerError::DRepNotRegistered(c)),
                Some(d) => {
                    d.expiry = expiry;
                    d.anchor = anchor_bytes(anchor.as_ref());
                }
            }
        }
        Certificate::AuthCommitteeHot(cold, hot) => {
            let authorization = CommitteeAuthorization::Hot(Credential::from(hot));
            overwrite_committee_member(state, Credential::from(cold), authorization, &mut failures);
        }
        Certificate::ResignCommitteeCold(cold, anchor) => {
            let cold = Credential::from(cold);
            if overwrite_committee_member(state, cold, CommitteeAuthorization::Resigned, &mut failures) {
                let anchors = &mut state.governance.resignation_anchors;
                match anchor.as_ref() {
                    Some(a) => anchors.insert(cold, anchor_bytes(Some(a))),
                    None => anchors.remove(&cold),
                };
            }
        }
        _ => {}
    }
    LedgerError::from_failures(failures).map_or(Ok(()), Err)
}

/// `checkAndOverwriteCommitteeMemberState`: a member not resigned, now or in a proposed
/// committee update, takes `authorization`; whether it did.
fn overwrite_committee_member(
    state: &mut LedgerState,
    cold: Credential,
    authorization: CommitteeAuthorization,
    failures: &mut Vec<LedgerError>,
) -> bool {
    let before = failures.len();
    if state.governance.committee_keys.get(&cold) == Some(&CommitteeAuthorization::Resigned) {
        failures.push(LedgerError::CommitteeHasPreviouslyResigned(cold));
    }
    if !state.governance.is_known_committee_member(&cold) {
        failures.push(LedgerError::CommitteeIsUnknown(cold));
    }
    let taken = failures.len() == before;
    if taken {
        state.governance.committee_keys.insert(cold, authorization);
    }
    taken
}

/// A registering, updating or voting DRep's expiry (`computeDRepExpiry`): the current epoch
/// plus `dRepActivity`, less the epochs without proposals so far.
pub(super) fn drep_expiry(state: &LedgerState, p: &LedgerParams) -> u64 {
    state
        .epoch
        .saturating_add(p.drep_activity)
        .saturating_sub(state.governance.dormant_epochs)
}

fn anchor_bytes(a: Option<&pallas_primitives::conway::Anchor>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(a) = a {
        let _ = pallas_codec::minicbor::encode(a, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pallas_primitives::conway::{Anchor, StakeCredential};

    #[test]
    fn a_resignation_keeps_its_anchor_and_a_refused_one_changes_nothing() {
        let cold = [1u8; 28];
        let mut state = LedgerState::default();
        state.governance.committee = Some([(Credential::Key(cold), 50u64)].into_iter().collect());
        let anchor = Anchor {
            url: "https://example.com/why".into(),
            content_hash: [7; 32].into(),
        };
        let resign = |anchor: Option<Anchor>| {
            Certificate::ResignCommitteeCold(StakeCredential::AddrKeyhash(cold.into()), anchor)
        };
        apply(&mut state, &LedgerParams::default(), &resign(Some(anchor.clone()))).unwrap();
        let kept = state.governance.resignation_anchors.get(&Credential::Key(cold));
        assert_eq!(kept, Some(&anchor_bytes(Some(&anchor))));
        // Resigning again is refused, and the first resignation's anchor stays.
        let again = apply(&mut state, &LedgerParams::default(), &resign(None));
        assert!(
            matches!(again, Err(LedgerError::CommitteeHasPreviouslyResigned(_))),
            "{again:?}"
        );
        let kept = state.governance.resignation_anchors.get(&Credential::Key(cold));
        assert_eq!(kept, Some(&anchor_bytes(Some(&anchor))));
    }
}
