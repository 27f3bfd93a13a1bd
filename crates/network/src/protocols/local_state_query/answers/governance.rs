//! The Conway governance queries' answers (cardano-ledger-api's `queryConstitution`,
//! `queryGovState`, `queryDRepState`, `queryDRepStakeDistr`, `queryCommitteeMembersState`),
//! from what the ledger holds.
//!
//! The ledger ratifies at the epoch boundary rather than pulsing through the epoch, so the
//! DRep pulser is always complete (`DRComplete`): its stake distributions and its ratify state
//! are those the boundary computed; its snapshot's proposals are the proposals made before this
//! epoch and its DReps the DReps now, both as they stand now.

use std::collections::{BTreeMap, BTreeSet};

use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;
use slotforge_ledger::state::{
    CommitteeAuthorization, DRep, DRepState, GovActionId, GovActionKind, GovPurpose, Proposal, Vote,
};
use slotforge_ledger::{Credential, LedgerState};

use super::{pparams, safe_zone};
use crate::protocols::codec::Enc;
use crate::protocols::ledger_cbor::{self, credential};

/// `Constitution`: `[anchor, scriptHash / null]`.
pub(super) fn constitution(e: &mut Enc<'_>, anchor: &[u8], guardrail: Option<[u8; 28]>) {
    let _ = e.array(2);
    raw(e, anchor);
    let _ = match guardrail {
        Some(h) => e.bytes(&h),
        None => e.null(),
    };
}

/// `Map (Credential DRepRole) DRepState` of the DReps asked for (all when none are named), each
/// expiry with the dormant epochs added back and with its delegators.
pub(super) fn drep_state(e: &mut Enc<'_>, l: &LedgerState, creds: &[Credential]) {
    drep_states(e, l, creds, true);
}

/// The DReps' states, their expiries with the dormant epochs added back when `dormancy`
/// (`queryDRepState`) or as kept (the pulser's snapshot).
fn drep_states(e: &mut Enc<'_>, l: &LedgerState, creds: &[Credential], dormancy: bool) {
    let g = &l.governance;
    let wanted: BTreeSet<&Credential> = creds.iter().collect();
    let mut dreps: Vec<(&Credential, &DRepState)> = g
        .dreps
        .iter()
        .filter(|(c, _)| wanted.is_empty() || wanted.contains(c))
        .collect();
    dreps.sort_by_key(|(c, _)| c.reference_order());
    let delegators = delegators(l);
    let none = Vec::new();
    ledger_cbor::map(e, &dreps, |e, (c, d)| {
        credential(e, c);
        let _ = e.array(4).and_then(|e| {
            e.u64(match dormancy {
                true => d.expiry_after_dormancy(l.epoch, g.dormant_epochs),
                false => d.expiry,
            })
        });
        strict_maybe_raw(e, &d.anchor);
        let _ = e.u64(d.deposit);
        credential_set(e, delegators.get(*c).unwrap_or(&none));
    });
}

/// Each registered DRep's delegators (`drepDelegs`).
fn delegators(l: &LedgerState) -> BTreeMap<Credential, Vec<Credential>> {
    let mut by_drep: BTreeMap<Credential, Vec<Credential>> = BTreeMap::new();
    for (c, a) in l.accounts.iter() {
        if let Some(d) = a.drep.and_then(|d| d.credential()) {
            if l.governance.dreps.contains_key(&d) {
                by_drep.entry(d).or_default().push(*c);
            }
        }
    }
    by_drep
}

/// `Map DRep Coin`: the DReps' stake ratification counted (`psDRepDistr`), of those asked for.
pub(super) fn drep_stake_distr(e: &mut Enc<'_>, l: &LedgerState, dreps: &[DRep]) {
    let stake: Vec<(&DRep, &u64)> = l
        .governance
        .ratification
        .drep_stake
        .iter()
        .filter(|(d, _)| dreps.is_empty() || dreps.contains(d))
        .collect();
    ledger_cbor::map(e, &stake, |e, (d, coin)| {
        ledger_cbor::drep(e, d);
        let _ = e.u64(**coin);
    });
}

/// `MemberStatus`.
const ACTIVE: u8 = 0;
const EXPIRED: u8 = 1;
const UNRECOGNIZED: u8 = 2;

/// `CommitteeMembersState`: `[{cold => [hotStatus, status, expiry?, nextEpochChange]},
/// threshold?, epoch]`, filtered by cold credentials, hot credentials and statuses.
pub(super) fn committee_members_state(
    e: &mut Enc<'_>,
    l: &LedgerState,
    cold: &[Credential],
    hot: &[Credential],
    statuses: &[u8],
) {
    let g = &l.governance;
    let epoch = l.epoch;
    let empty = Default::default();
    let current = g.committee.as_ref().unwrap_or(&empty);
    let next = g
        .ratification
        .enact_state
        .as_ref()
        .map_or(current, |es| es.committee.as_ref().unwrap_or(&empty));
    let mut relevant: BTreeSet<Credential> = if statuses.is_empty() || statuses.contains(&UNRECOGNIZED) {
        current
            .keys()
            .chain(g.committee_keys.keys())
            .chain(next.keys())
            .copied()
            .collect()
    } else {
        current.keys().copied().collect()
    };
    if !cold.is_empty() {
        relevant.retain(|c| cold.contains(c));
    }
    if !hot.is_empty() {
        relevant.retain(|c| matches!(g.committee_keys.get(c), Some(CommitteeAuthorization::Hot(h)) if hot.contains(h)));
    }
    let mut members: Vec<(Credential, Option<u64>, u8)> = relevant
        .into_iter()
        .filter_map(|c| {
            let expiry = current.get(&c).copied();
            let status = match expiry {
                None => UNRECOGNIZED,
                Some(x) if epoch > x => EXPIRED,
                Some(_) => ACTIVE,
            };
            (statuses.is_empty() || statuses.contains(&status)).then_some((c, expiry, status))
        })
        .collect();
    members.sort_by_key(|(c, ..)| c.reference_order());
    let _ = e.array(3);
    ledger_cbor::map(e, &members, |e, (c, expiry, status)| {
        credential(e, c);
        let _ = e.array(4);
        // `HotCredAuthStatus`: authorised [0, hot], not authorised [1], resigned [2, anchor?].
        match g.committee_keys.get(c) {
            Some(CommitteeAuthorization::Hot(h)) => {
                let _ = e.array(2).and_then(|e| e.u8(0));
                credential(e, h);
            }
            None => {
                let _ = e.array(1).and_then(|e| e.u8(1));
            }
            Some(CommitteeAuthorization::Resigned) => {
                let _ = e.array(2).and_then(|e| e.u8(2));
                strict_maybe_raw(e, g.resignation_anchors.get(c).map_or(&[][..], Vec::as_slice));
            }
        }
        let _ = e.u8(*status);
        maybe_u64(e, *expiry);
        // `NextEpochChange`.
        let now = current.get(c).copied();
        let then = next.get(c).copied();
        let _ = match (now, then) {
            (None, Some(_)) => e.array(1).and_then(|e| e.u8(0)),
            (_, None) => e.array(1).and_then(|e| e.u8(1)),
            (Some(a), Some(b)) if a != b && b != epoch => e.array(2).and_then(|e| e.u8(4)).and_then(|e| e.u64(b)),
            (a, b) if a == Some(epoch) || b == Some(epoch) => e.array(1).and_then(|e| e.u8(3)),
            _ => e.array(1).and_then(|e| e.u8(2)),
        };
    });
    match &g.committee {
        Some(_) => {
            let _ = e.array(1);
            ledger_cbor::rational(e, g.committee_threshold);
        }
        None => {
            let _ = e.array(0);
        }
    }
    let _ = e.u64(epoch);
}

/// `ConwayGovState`: `[proposals, committee?, constitution, current parameters, previous
/// parameters, future parameters, DRep pulser]`.
pub(super) fn gov_state(e: &mut Enc<'_>, state: &ChainState, cfg: &ChainConfig) {
    let l = &state.ledger;
    let g = &l.governance;
    let r = &g.ratification;
    let in_order: Vec<(GovActionId, &Proposal)> = g
        .proposal_order
        .iter()
        .filter_map(|id| g.proposals.get(id).map(|p| (*id, p)))
        .collect();
    let _ = e.array(7).and_then(|e| e.array(2));
    roots(e, |p| g.roots.get(&p).copied());
    ledger_cbor::list(e, &in_order, |e, (id, p)| gov_action_state(e, id, p));
    committee(e, g.committee.as_ref().map(|m| m.iter()), g.committee_threshold);
    constitution(e, &g.constitution_anchor, g.guardrail);
    pparams(e, &l.params);
    pparams(e, &l.prev_params);
    future_pparams(e, state, cfg);
    // `DRComplete`: `[PulsingSnapshot, RatifyState]`.
    let _ = e.array(2).and_then(|e| e.array(4));
    let snapshot: Vec<_> = in_order.iter().filter(|(_, p)| p.proposed_in < l.epoch).collect();
    ledger_cbor::list(e, &snapshot, |e, (id, p)| gov_action_state(e, id, p));
    let dreps: Vec<_> = r.drep_stake.iter().collect();
    ledger_cbor::map(e, &dreps, |e, (d, coin)| {
        ledger_cbor::drep(e, d);
        let _ = e.u64(**coin);
    });
    // The DReps as kept; none before the first boundary (the initial pulser's `def`).
    if r.enact_state.is_some() {
        drep_states(e, l, &[], false);
    } else {
        let _ = e.map(0);
    }
    let pools: Vec<_> = r.pool_stake.iter().collect();
    ledger_cbor::map(e, &pools, |e, (id, coin)| {
        let _ = e.bytes(*id).and_then(|e| e.u64(**coin));
    });
    // `RatifyState`: `[EnactState, enacted, expired, delayed]`.
    let _ = e.array(4).and_then(|e| e.array(7));
    match &r.enact_state {
        Some(es) => {
            committee(e, es.committee.as_ref().map(|m| m.iter()), es.committee_threshold);
            constitution(e, &es.constitution_anchor, es.guardrail);
            pparams(e, &es.params);
            pparams(e, &l.prev_params);
            let _ = e.u64(es.treasury);
            credential_map_u64(e, es.withdrawals.iter());
            roots(e, |p| es.roots.get(&p).copied());
        }
        // Before the first boundary: `mkEnactState` of the governance state.
        None => {
            committee(e, g.committee.as_ref().map(|m| m.iter()), g.committee_threshold);
            constitution(e, &g.constitution_anchor, g.guardrail);
            pparams(e, &l.params);
            pparams(e, &l.prev_params);
            let _ = e.u64(0);
            credential_map_u64(e, std::iter::empty());
            roots(e, |p| g.roots.get(&p).copied());
        }
    }
    let enacted: Vec<_> = r
        .enacted
        .iter()
        .filter_map(|id| g.proposals.get(id).map(|p| (*id, p)))
        .collect();
    ledger_cbor::list(e, &enacted, |e, (id, p)| gov_action_state(e, id, p));
    let mut expired = r.expired.clone();
    expired.sort();
    ledger_cbor::set(e, &expired, ledger_cbor::gov_action_id);
    let _ = e.bool(r.delayed);
}

/// The parameters the next epoch will start with as the reference reports them: a potential
/// update (`[2, pparams?]`) until a block two stability windows or less before the epoch's end
/// (not its first), then definite (`[1, pparams]`) or none (`[0]`).
fn future_pparams(e: &mut Enc<'_>, state: &ChainState, cfg: &ChainConfig) {
    let l = &state.ledger;
    let r = &l.governance.ratification;
    let changes = r.enacted.iter().any(|id| {
        l.governance.proposals.get(id).is_some_and(|p| {
            matches!(
                p.kind,
                GovActionKind::ParameterChange { .. } | GovActionKind::HardFork { .. }
            )
        })
    });
    let next = r.enact_state.as_ref().filter(|_| changes).map(|es| &es.params);
    let epoch_length = cfg.genesis.shelley.epoch_length;
    let next_epoch_start = (l.epoch + 1).saturating_mul(epoch_length);
    let tip_slot = state.tip.map_or(0, |t| t.slot);
    // Solidified by the ticks from the slot of no return on, but reset by the epoch's first
    // block (TICK solidifies before NEWEPOCH, which starts a potential update again).
    let first_of_epoch = l.blocks_current.values().sum::<u64>() <= 1;
    let solid = !first_of_epoch && tip_slot.saturating_add(2 * safe_zone(cfg)) >= next_epoch_start;
    match (solid, next) {
        (true, Some(p)) => {
            let _ = e.array(2).and_then(|e| e.u8(1));
            pparams(e, p);
        }
        (true, None) => {
            let _ = e.array(1).and_then(|e| e.u8(0));
        }
        (false, p) => {
            let _ = e.array(2).and_then(|e| e.u8(2));
            match p {
                Some(p) => {
                    let _ = e.array(1);
                    pparams(e, p);
                }
                None => {
                    let _ = e.array(0);
                }
            }
        }
    }
}

/// `StrictMaybe Committee`: `[]` or `[[{cold => last epoch}, threshold]]`.
fn committee<'c>(
    e: &mut Enc<'_>,
    members: Option<impl Iterator<Item = (&'c Credential, &'c u64)>>,
    threshold: slotforge_ledger::params::Rational,
) {
    match members {
        None => {
            let _ = e.array(0);
        }
        Some(m) => {
            let _ = e.array(1).and_then(|e| e.array(2));
            credential_map_u64(e, m);
            ledger_cbor::rational(e, threshold);
        }
    }
}

/// `GovActionState`: `[id, committee votes, DRep votes, pool votes, [deposit, return account,
/// action, anchor], proposed in, expires after]`.
fn gov_action_state(e: &mut Enc<'_>, id: &GovActionId, p: &Proposal) {
    let _ = e.array(7);
    ledger_cbor::gov_action_id(e, id);
    votes(e, p.committee_votes.iter());
    votes(e, p.drep_votes.iter());
    let pools: Vec<_> = p.pool_votes.iter().collect();
    ledger_cbor::map(e, &pools, |e, (pool, v)| {
        let _ = e.bytes(*pool).and_then(|e| e.u8(vote(v)));
    });
    let _ = e
        .array(4)
        .and_then(|e| e.u64(p.deposit))
        .and_then(|e| e.bytes(&p.return_account));
    raw(e, &p.action);
    raw(e, &p.anchor);
    let _ = e.u64(p.proposed_in).and_then(|e| e.u64(p.expires_after));
}

/// A vote: `VoteNo` 0, `VoteYes` 1, `Abstain` 2.
fn vote(v: &Vote) -> u8 {
    match v {
        Vote::No => 0,
        Vote::Yes => 1,
        Vote::Abstain => 2,
    }
}

fn votes<'v>(e: &mut Enc<'_>, by: impl Iterator<Item = (&'v Credential, &'v Vote)>) {
    let mut by: Vec<_> = by.collect();
    by.sort_by_key(|(c, _)| c.reference_order());
    ledger_cbor::map(e, &by, |e, (c, v)| {
        credential(e, c);
        let _ = e.u8(vote(v));
    });
}

/// The last enacted action of each purpose (`GovRelation StrictMaybe`): parameter change, hard
/// fork, committee, constitution, each `[]` or `[id]`.
fn roots(e: &mut Enc<'_>, root: impl Fn(GovPurpose) -> Option<GovActionId>) {
    let _ = e.array(4);
    for purpose in [
        GovPurpose::ParameterChange,
        GovPurpose::HardFork,
        GovPurpose::Committee,
        GovPurpose::Constitution,
    ] {
        match root(purpose) {
            Some(id) => {
                let _ = e.array(1);
                ledger_cbor::gov_action_id(e, &id);
            }
            None => {
                let _ = e.array(0);
            }
        }
    }
}

/// A map from credentials to whole numbers, in the reference's credential order.
fn credential_map_u64<'c>(e: &mut Enc<'_>, entries: impl Iterator<Item = (&'c Credential, &'c u64)>) {
    let mut entries: Vec<_> = entries.collect();
    entries.sort_by_key(|(c, _)| c.reference_order());
    ledger_cbor::map(e, &entries, |e, (c, v)| {
        credential(e, c);
        let _ = e.u64(**v);
    });
}

/// A set of credentials, in the reference's order.
fn credential_set(e: &mut Enc<'_>, creds: &[Credential]) {
    let mut creds = creds.to_vec();
    creds.sort_by_key(Credential::reference_order);
    ledger_cbor::set(e, &creds, credential);
}

/// `StrictMaybe` of an item kept as its exact CBOR (empty: none): `[]` or `[item]`.
fn strict_maybe_raw(e: &mut Enc<'_>, item: &[u8]) {
    if item.is_empty() {
        let _ = e.array(0);
    } else {
        let _ = e.array(1);
        raw(e, item);
    }
}

/// An item kept as its exact CBOR.
fn raw(e: &mut Enc<'_>, item: &[u8]) {
    e.writer_mut().extend_from_slice(item);
}

fn maybe_u64(e: &mut Enc<'_>, x: Option<u64>) {
    let _ = match x {
        Some(x) => e.array(1).and_then(|e| e.u64(x)),
        None => e.array(0),
    };
}

#[cfg(test)]
mod tests {
    use minicbor::Encoder;
    use pallas_network::miniprotocols::localstate::queries_v16 as q;
    use pallas_network::miniprotocols::localtxsubmission::SMaybe;
    use slotforge_ledger::state::{Account, EnactState, Ratification};

    use super::*;

    fn key(i: u8) -> Credential {
        Credential::Key([i; 28])
    }

    fn pallas(c: &Credential) -> q::StakeAddr {
        let (kind, h) = match c {
            Credential::Key(h) => (0u8, h),
            Credential::Script(h) => (1u8, h),
        };
        q::StakeAddr::from((kind, h.to_vec().into()))
    }

    fn encoded(f: impl FnOnce(&mut Enc<'_>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut Encoder::new(&mut out));
        out
    }

    #[test]
    fn drep_expiries_take_back_the_dormant_epochs_unless_already_expired_and_scripts_come_first() {
        let mut l = LedgerState {
            epoch: 10,
            ..LedgerState::default()
        };
        let drep = |expiry| DRepState {
            deposit: 500,
            expiry,
            anchor: Vec::new(),
        };
        l.governance.dreps.insert(key(1), drep(9));
        l.governance.dreps.insert(Credential::Script([2; 28]), drep(5));
        l.governance.dormant_epochs = 2;
        l.accounts.insert(
            key(7),
            Account {
                deposit: 2,
                rewards: 0,
                pool: None,
                drep: Some(DRep::Key([1; 28])),
            },
        );
        let bytes = encoded(|e| drep_state(e, &l, &[]));
        // The reference's map order: the script credential first.
        assert_eq!(&bytes[..4], &[0xa2, 0x82, 0x01, 0x58]);
        let states: std::collections::BTreeMap<q::StakeAddr, q::DRepState> =
            pallas_codec::minicbor::decode(&bytes).unwrap();
        let alive = &states[&pallas(&key(1))];
        assert_eq!(alive.expiry, 11, "9 + 2 dormant epochs, still ahead of epoch 10");
        assert_eq!(alive.anchor, SMaybe::None);
        assert_eq!(alive.delegs.0.len(), 1);
        let expired = &states[&pallas(&Credential::Script([2; 28]))];
        assert_eq!(expired.expiry, 5, "5 + 2 is past: it stays expired");
        // Asking for one DRep answers only it.
        let one: std::collections::BTreeMap<q::StakeAddr, q::DRepState> =
            pallas_codec::minicbor::decode(&encoded(|e| drep_state(e, &l, &[key(1)]))).unwrap();
        assert_eq!(one.keys().collect::<Vec<_>>(), vec![&pallas(&key(1))]);
    }

    #[test]
    fn committee_members_say_what_the_next_epoch_changes() {
        let mut l = LedgerState {
            epoch: 10,
            ..LedgerState::default()
        };
        let g = &mut l.governance;
        // Now: A's term ends this epoch, B's is extended, C leaves, D joins, E expired.
        g.committee = Some(
            [(key(1), 10u64), (key(2), 12), (key(3), 20), (key(5), 8)]
                .into_iter()
                .collect(),
        );
        g.committee_threshold = (2, 3);
        g.committee_keys.insert(key(2), CommitteeAuthorization::Hot(key(9)));
        g.committee_keys.insert(key(3), CommitteeAuthorization::Resigned);
        // A resignation with its anchor `["a", hash]`.
        g.committee_keys.insert(key(5), CommitteeAuthorization::Resigned);
        let anchor = [hex::decode("8261615820").unwrap(), vec![7; 32]].concat();
        g.resignation_anchors.insert(key(5), anchor);
        g.ratification = Ratification {
            enact_state: Some(EnactState {
                committee: Some(
                    [(key(1), 10u64), (key(2), 15), (key(4), 30), (key(5), 8)]
                        .into_iter()
                        .collect(),
                ),
                committee_threshold: (2, 3),
                guardrail: None,
                constitution_anchor: Vec::new(),
                params: Default::default(),
                roots: Default::default(),
                withdrawals: Default::default(),
                treasury: 0,
            }),
            ..Ratification::default()
        };
        let bytes = encoded(|e| committee_members_state(e, &l, &[], &[], &[]));
        let s: q::CommitteeMembersState = pallas_codec::minicbor::decode(&bytes).unwrap();
        assert_eq!(s.epoch, 10);
        let SMaybe::Some(t) = &s.threshold else {
            panic!("a committee has a quorum")
        };
        assert_eq!((t.numerator, t.denominator), (2, 3));
        let m = |i: u8| s.committee[&pallas(&key(i))].clone();
        assert_eq!(m(1).next_epoch_change, q::NextEpochChange::ToBeExpired);
        assert_eq!(m(1).status, q::MemberStatus::Active);
        assert_eq!(m(2).next_epoch_change, q::NextEpochChange::TermAdjusted(15));
        assert_eq!(
            m(2).hot_cred_auth_status,
            q::HotCredAuthStatus::MemberAuthorized(pallas(&key(9)))
        );
        assert_eq!(m(3).next_epoch_change, q::NextEpochChange::ToBeRemoved);
        assert_eq!(
            m(3).hot_cred_auth_status,
            q::HotCredAuthStatus::MemberResigned(SMaybe::None)
        );
        assert_eq!(m(4).next_epoch_change, q::NextEpochChange::ToBeEnacted);
        assert_eq!(
            (m(4).status, m(4).expiration),
            (q::MemberStatus::Unrecognized, SMaybe::None)
        );
        assert_eq!(m(5).status, q::MemberStatus::Expired);
        let q::HotCredAuthStatus::MemberResigned(SMaybe::Some(anchor)) = &m(5).hot_cred_auth_status else {
            panic!("{:?}", m(5).hot_cred_auth_status)
        };
        assert_eq!((anchor.url.as_str(), &anchor.data_hash[..]), ("a", &[7u8; 32][..]));
        assert_eq!(m(5).next_epoch_change, q::NextEpochChange::NoChangeExpected);
        // Only the active members when asked for them; only the member of a hot key.
        let active: q::CommitteeMembersState =
            pallas_codec::minicbor::decode(&encoded(|e| committee_members_state(e, &l, &[], &[], &[ACTIVE]))).unwrap();
        assert_eq!(active.committee.len(), 3);
        let by_hot: q::CommitteeMembersState =
            pallas_codec::minicbor::decode(&encoded(|e| committee_members_state(e, &l, &[], &[key(9)], &[]))).unwrap();
        assert_eq!(by_hot.committee.keys().collect::<Vec<_>>(), vec![&pallas(&key(2))]);
    }
}
