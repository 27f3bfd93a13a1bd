//! Building and signing Conway transactions (payments with native assets, stake, pool, DRep and
//! committee certificates, governance proposals and votes) from public keys and Ed25519
//! signing keys, encoded with pallas-primitives — what the devnet's wallet and the tests submit.

use std::collections::BTreeMap;

use pallas_codec::minicbor;
use pallas_codec::utils::{Bytes, NonEmptySet, Set};
use pallas_primitives::alonzo::Value;
use pallas_primitives::conway::{
    Anchor, Certificate, GovAction, LegacyTransactionOutput, ProposalProcedure, ProtocolParamUpdate, TransactionBody,
    TransactionOutput, VKeyWitness, Voter as PallasVoter, VotingProcedure, WitnessSet,
};
use pallas_primitives::{NetworkId, RationalNumber, StakeCredential, TransactionInput};
use slotforge_crypto::ed25519::{Signer, SigningKey};
use slotforge_praos::nonce::{blake2b224, blake2b256};

pub use slotforge_ledger::state::Voter;
use slotforge_ledger::state::{DRep, GovActionId, Vote};
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{Credential, LedgerParams, TxIn};

/// Native assets: policy id → asset name → quantity.
pub type Assets = BTreeMap<[u8; 28], BTreeMap<Vec<u8>, u64>>;

/// A key's hash as addresses and certificates use it: blake2b-224 of the verification key.
pub fn key_hash(key: &SigningKey) -> [u8; 28] {
    blake2b224(key.verifying_key().as_bytes())
}

/// A base address: payment key and stake key (header `0000 | network`).
pub fn base_address(network: u8, payment: &[u8; 28], stake: &[u8; 28]) -> Vec<u8> {
    let mut a = vec![network & 0x0f];
    a.extend_from_slice(payment);
    a.extend_from_slice(stake);
    a
}

/// An enterprise address: payment key only (header `0110 | network`).
pub fn enterprise_address(network: u8, payment: &[u8; 28]) -> Vec<u8> {
    let mut a = vec![0x60 | (network & 0x0f)];
    a.extend_from_slice(payment);
    a
}

pub use pallas_primitives::conway::Relay;

/// A pool registration's parameters.
#[derive(Debug, Clone)]
pub struct PoolRegistration {
    /// The pool id: blake2b-224 of the pool's cold verification key.
    pub operator: [u8; 28],
    /// blake2b-256 of the pool's VRF verification key.
    pub vrf_key_hash: [u8; 32],
    /// The pledge the owners promise, in lovelace.
    pub pledge: u64,
    /// The fixed cost taken from each epoch's rewards, in lovelace.
    pub cost: u64,
    /// The margin as (numerator, denominator).
    pub margin: (u64, u64),
    /// The reward account's raw bytes (header byte `0xe0 | network` then the stake key hash).
    pub reward_account: Vec<u8>,
    /// The owners' stake key hashes.
    pub owners: Vec<[u8; 28]>,
    /// Where the pool's node can be reached.
    pub relays: Vec<Relay>,
}

/// A certificate the builder can write.
#[derive(Debug, Clone)]
pub enum Cert {
    /// Conway `reg_cert` with its deposit.
    Register {
        /// The stake key hash registered.
        stake: [u8; 28],
        /// The deposit paid, in lovelace (the `keyDeposit` parameter).
        deposit: u64,
    },
    /// Conway `unreg_cert` with the refund.
    Deregister {
        /// The stake key hash deregistered.
        stake: [u8; 28],
        /// The deposit refunded, in lovelace.
        refund: u64,
    },
    /// Conway `stake_delegation`: delegates a stake key to a pool.
    Delegate {
        /// The stake key hash that delegates.
        stake: [u8; 28],
        /// The pool id delegated to.
        pool: [u8; 28],
    },
    /// Conway `pool_registration` (a new pool, or new parameters for a registered one).
    RegisterPool(PoolRegistration),
    /// Conway `pool_retirement`: the pool retires at the start of `epoch`.
    RetirePool {
        /// The retiring pool's id (blake2b-224 of its cold key).
        pool: [u8; 28],
        /// The epoch at whose start the pool retires.
        epoch: u64,
    },
    /// Conway `reg_drep_cert`: a key becomes a DRep.
    RegisterDRep {
        /// The DRep's key hash.
        drep: [u8; 28],
        /// The deposit paid, in lovelace (the `dRepDeposit` parameter).
        deposit: u64,
    },
    /// Conway `vote_deleg_cert`: a stake key delegates its vote.
    DelegateVote {
        /// The stake key hash that delegates.
        stake: [u8; 28],
        /// The DRep it delegates to (a key DRep, or a predefined one).
        drep: DRep,
    },
    /// Conway `auth_committee_hot_cert`: a committee member's cold key names its hot key.
    AuthorizeCommitteeHot {
        /// The member's cold key hash.
        cold: [u8; 28],
        /// The hot key hash that votes for it.
        hot: [u8; 28],
    },
}

/// Protocol parameters a proposal can change (each `None` stays as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamChanges {
    /// `maxTxSize`, in bytes.
    pub max_tx_size: Option<u64>,
    /// `maxBlockBodySize`, in bytes.
    pub max_block_body_size: Option<u64>,
    /// `txFeePerByte` (the fee's `a`).
    pub min_fee_a: Option<u64>,
    /// `txFeeFixed` (the fee's `b`).
    pub min_fee_b: Option<u64>,
}

/// A governance action the builder can propose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Changes protocol parameters; `previous` is the last enacted parameter change, if any.
    ParameterChange {
        /// The last enacted (or proposed) parameter change this one follows.
        previous: Option<GovActionId>,
        /// The new values.
        changes: ParamChanges,
    },
    /// Pays `lovelace` from the treasury to a reward account.
    TreasuryWithdrawal {
        /// The reward account's raw bytes.
        to: Vec<u8>,
        /// The amount, in lovelace.
        lovelace: u64,
    },
    /// Moves the protocol to `version`; `previous` is the last enacted hard fork, if any.
    HardFork {
        /// The last enacted (or proposed) hard fork this one follows.
        previous: Option<GovActionId>,
        /// The new (major, minor) version.
        version: (u64, u64),
    },
    /// An information action: voted on, never enacted.
    Info,
}

/// A proposal procedure: the action, its deposit and the account it returns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The deposit, in lovelace (the `govActionDeposit` parameter).
    pub deposit: u64,
    /// The reward account the deposit returns to (raw bytes; it must be registered).
    pub return_account: Vec<u8>,
    /// What the proposal asks for.
    pub action: Action,
}

/// A transaction under construction.
#[derive(Debug, Clone, Default)]
pub struct TxBuilder {
    /// The inputs spent, written in the order given.
    pub inputs: Vec<TxIn>,
    /// The outputs as (address bytes, lovelace), written as legacy `[address, value]` outputs.
    pub outputs: Vec<(Vec<u8>, u64)>,
    /// The native assets of outputs, by output index: policy id → asset name → quantity.
    pub output_assets: BTreeMap<usize, Assets>,
    /// The fee, in lovelace.
    pub fee: u64,
    /// The slot from which the transaction is invalid (`ttl`, `invalid_hereafter`).
    pub ttl: Option<u64>,
    /// The first slot the transaction is valid in (`validity_interval_start`).
    pub validity_start: Option<u64>,
    /// The certificates, in order.
    pub certs: Vec<Cert>,
    /// Withdrawals as (reward account bytes, lovelace).
    pub withdrawals: Vec<(Vec<u8>, u64)>,
    /// The body's `network_id` (1: mainnet, anything else: testnet); `None` leaves it out.
    pub network_id: Option<u8>,
    /// The auxiliary data's CBOR; its blake2b-256 goes into the body unless overridden.
    pub auxiliary_data: Option<Vec<u8>>,
    /// Overrides the auxiliary data hash written in the body (tests of that rule).
    pub auxiliary_data_hash: Option<[u8; 32]>,
    /// The pool certificate re-registers an existing pool (no deposit, when balancing).
    pub reregistration: bool,
    /// The proposals, in order (the `n`th gets action id `tx#n`).
    pub proposals: Vec<Proposal>,
    /// The votes, each on one action.
    pub votes: Vec<(Voter, GovActionId, Vote)>,
}

impl TxBuilder {
    /// An empty transaction: no inputs, outputs or certificates, fee 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an input to spend.
    pub fn input(mut self, i: TxIn) -> Self {
        self.inputs.push(i);
        self
    }

    /// Adds an output paying `coin` lovelace to `address` (raw address bytes).
    pub fn output(mut self, address: Vec<u8>, coin: u64) -> Self {
        self.outputs.push((address, coin));
        self
    }

    /// Adds an output paying `coin` lovelace and `assets` to `address`.
    pub fn output_with_assets(mut self, address: Vec<u8>, coin: u64, assets: Assets) -> Self {
        self.output_assets.insert(self.outputs.len(), assets);
        self.outputs.push((address, coin));
        self
    }

    /// Sets the fee, in lovelace.
    pub fn fee(mut self, fee: u64) -> Self {
        self.fee = fee;
        self
    }

    /// Appends a certificate; the ledger applies certificates in order.
    pub fn cert(mut self, c: Cert) -> Self {
        self.certs.push(c);
        self
    }

    /// The body's CBOR.
    pub fn body_bytes(&self) -> Vec<u8> {
        let input = |i: &TxIn| TransactionInput {
            transaction_id: i.tx.into(),
            index: i.index,
        };
        let certs: Vec<Certificate> = self.certs.iter().map(certificate).collect();
        let aux_hash = self
            .auxiliary_data_hash
            .or_else(|| self.auxiliary_data.as_ref().map(|a| blake2b256(&[a])));
        let body = TransactionBody {
            inputs: Set::from(self.inputs.iter().map(input).collect::<Vec<_>>()),
            outputs: self
                .outputs
                .iter()
                .enumerate()
                // `[address, value]`, the form wallets and cardano-cli write for plain outputs.
                .map(|(i, (address, coin))| {
                    let amount = match self.output_assets.get(&i) {
                        None => Value::Coin(*coin),
                        Some(assets) => Value::Multiasset(
                            *coin,
                            assets
                                .iter()
                                .map(|(policy, names)| {
                                    let names = names.iter().map(|(n, q)| (Bytes::from(n.clone()), *q)).collect();
                                    ((*policy).into(), names)
                                })
                                .collect(),
                        ),
                    };
                    TransactionOutput::Legacy(
                        LegacyTransactionOutput {
                            address: Bytes::from(address.clone()),
                            amount,
                            datum_hash: None,
                        }
                        .into(),
                    )
                })
                .collect(),
            fee: self.fee,
            ttl: self.ttl,
            certificates: NonEmptySet::from_vec(certs),
            withdrawals: (!self.withdrawals.is_empty()).then(|| {
                self.withdrawals
                    .iter()
                    .map(|(a, c)| (Bytes::from(a.clone()), *c))
                    .collect()
            }),
            auxiliary_data_hash: aux_hash.map(Into::into),
            validity_interval_start: self.validity_start,
            mint: None,
            script_data_hash: None,
            collateral: None,
            required_signers: None,
            network_id: self
                .network_id
                .map(|n| if n == 1 { NetworkId::Mainnet } else { NetworkId::Testnet }),
            collateral_return: None,
            total_collateral: None,
            reference_inputs: None,
            voting_procedures: voting_procedures(&self.votes),
            proposal_procedures: NonEmptySet::from_vec(self.proposals.iter().map(proposal_procedure).collect()),
            treasury_value: None,
            donation: None,
        };
        minicbor::to_vec(&body).unwrap_or_default()
    }

    /// Signs the body with every key in `signers` and makes the transaction.
    pub fn sign(&self, signers: &[&SigningKey]) -> Transaction {
        let body = self.body_bytes();
        let id = blake2b256(&[&body]);
        let wits: Vec<VKeyWitness> = signers
            .iter()
            .map(|k| VKeyWitness {
                vkey: Bytes::from(k.verifying_key().as_bytes().to_vec()),
                signature: Bytes::from(k.sign(&id).to_bytes().to_vec()),
            })
            .collect();
        let ws = WitnessSet {
            vkeywitness: NonEmptySet::from_vec(wits),
            native_script: None,
            bootstrap_witness: None,
            plutus_v1_script: None,
            plutus_data: None,
            redeemer: None,
            plutus_v2_script: None,
            plutus_v3_script: None,
        };
        let wits = minicbor::to_vec(&ws).unwrap_or_default();
        Transaction::from_parts(body, wits, true, self.auxiliary_data.clone())
            .expect("the builder writes decodable transactions")
    }

    /// Sets the fee to (at least) the minimum for the signed size and the output at `change`
    /// to what balances the transaction, given the inputs' total; returns it signed.
    pub fn balance(
        mut self,
        params: &LedgerParams,
        input_total: u64,
        change: usize,
        signers: &[&SigningKey],
    ) -> Transaction {
        let deposits: i128 = self
            .certs
            .iter()
            .map(|c| match c {
                Cert::Register { deposit, .. } => *deposit as i128,
                Cert::Deregister { refund, .. } => -(*refund as i128),
                Cert::RegisterPool(_) if !self.reregistration => params.pool_deposit as i128,
                Cert::RegisterDRep { deposit, .. } => *deposit as i128,
                _ => 0,
            })
            .chain(self.proposals.iter().map(|p| p.deposit as i128))
            .sum();
        let withdrawn: i128 = self.withdrawals.iter().map(|(_, c)| *c as i128).sum();
        let others: i128 = self
            .outputs
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != change)
            .map(|(_, o)| o.1 as i128)
            .sum();
        let available = input_total as i128 + withdrawn - deposits - others;
        let mut fee = params.min_fee(0);
        loop {
            self.fee = fee;
            if let Some(o) = self.outputs.get_mut(change) {
                o.1 = (available - fee as i128).clamp(0, u64::MAX as i128) as u64;
            }
            let tx = self.sign(signers);
            let need = params.min_fee(tx.size());
            if need <= fee {
                return tx;
            }
            fee = need;
        }
    }
}

fn stake(h: &[u8; 28]) -> StakeCredential {
    StakeCredential::AddrKeyhash((*h).into())
}

fn certificate(c: &Cert) -> Certificate {
    match c {
        Cert::Register { stake: s, deposit } => Certificate::Reg(stake(s), *deposit),
        Cert::Deregister { stake: s, refund } => Certificate::UnReg(stake(s), *refund),
        Cert::Delegate { stake: s, pool } => Certificate::StakeDelegation(stake(s), (*pool).into()),
        Cert::RegisterPool(p) => Certificate::PoolRegistration {
            operator: p.operator.into(),
            vrf_keyhash: p.vrf_key_hash.into(),
            pledge: p.pledge,
            cost: p.cost,
            margin: RationalNumber {
                numerator: p.margin.0,
                denominator: p.margin.1,
            },
            reward_account: Bytes::from(p.reward_account.clone()),
            pool_owners: Set::from(p.owners.iter().map(|o| (*o).into()).collect::<Vec<_>>()),
            relays: p.relays.clone(),
            pool_metadata: None,
        },
        Cert::RetirePool { pool, epoch } => Certificate::PoolRetirement((*pool).into(), *epoch),
        Cert::RegisterDRep { drep, deposit } => Certificate::RegDRepCert(stake(drep), *deposit, None),
        Cert::DelegateVote { stake: s, drep } => Certificate::VoteDeleg(stake(s), pallas_drep(drep)),
        Cert::AuthorizeCommitteeHot { cold, hot } => Certificate::AuthCommitteeHot(stake(cold), stake(hot)),
    }
}

fn pallas_drep(d: &DRep) -> pallas_primitives::conway::DRep {
    use pallas_primitives::conway::DRep as P;
    match d {
        DRep::Key(h) => P::Key((*h).into()),
        DRep::Script(h) => P::Script((*h).into()),
        DRep::AlwaysAbstain => P::Abstain,
        DRep::AlwaysNoConfidence => P::NoConfidence,
    }
}

fn pallas_action_id(id: &GovActionId) -> pallas_primitives::conway::GovActionId {
    pallas_primitives::conway::GovActionId {
        transaction_id: id.tx.into(),
        action_index: u32::from(id.index),
    }
}

/// The anchor the devnet writes on proposals: a label and its hash (nothing is fetched).
fn anchor() -> Anchor {
    const URL: &str = "https://slotforge.invalid/devnet-proposal";
    Anchor {
        url: URL.into(),
        content_hash: blake2b256(&[URL.as_bytes()]).into(),
    }
}

fn proposal_procedure(p: &Proposal) -> ProposalProcedure {
    let gov_action = match &p.action {
        Action::ParameterChange { previous, changes } => {
            let mut u = empty_update();
            u.max_transaction_size = changes.max_tx_size;
            u.max_block_body_size = changes.max_block_body_size;
            u.minfee_a = changes.min_fee_a;
            u.minfee_b = changes.min_fee_b;
            GovAction::ParameterChange(previous.as_ref().map(pallas_action_id), Box::new(u), None)
        }
        Action::TreasuryWithdrawal { to, lovelace } => {
            GovAction::TreasuryWithdrawals([(Bytes::from(to.clone()), *lovelace)].into_iter().collect(), None)
        }
        Action::HardFork { previous, version } => {
            GovAction::HardForkInitiation(previous.as_ref().map(pallas_action_id), *version)
        }
        Action::Info => GovAction::Information,
    };
    ProposalProcedure {
        deposit: p.deposit,
        reward_account: Bytes::from(p.return_account.clone()),
        gov_action,
        anchor: anchor(),
    }
}

fn empty_update() -> ProtocolParamUpdate {
    ProtocolParamUpdate {
        minfee_a: None,
        minfee_b: None,
        max_block_body_size: None,
        max_transaction_size: None,
        max_block_header_size: None,
        key_deposit: None,
        pool_deposit: None,
        maximum_epoch: None,
        desired_number_of_stake_pools: None,
        pool_pledge_influence: None,
        expansion_rate: None,
        treasury_growth_rate: None,
        min_pool_cost: None,
        ada_per_utxo_byte: None,
        cost_models_for_script_languages: None,
        execution_costs: None,
        max_tx_ex_units: None,
        max_block_ex_units: None,
        max_value_size: None,
        collateral_percentage: None,
        max_collateral_inputs: None,
        pool_voting_thresholds: None,
        drep_voting_thresholds: None,
        min_committee_size: None,
        committee_term_limit: None,
        governance_action_validity_period: None,
        governance_action_deposit: None,
        drep_deposit: None,
        drep_inactivity_period: None,
        minfee_refscript_cost_per_byte: None,
    }
}

fn voting_procedures(votes: &[(Voter, GovActionId, Vote)]) -> Option<pallas_primitives::conway::VotingProcedures> {
    let mut out: pallas_primitives::conway::VotingProcedures = Default::default();
    for (voter, id, vote) in votes {
        let voter = match voter {
            Voter::Committee(Credential::Key(h)) => PallasVoter::ConstitutionalCommitteeKey((*h).into()),
            Voter::Committee(Credential::Script(h)) => PallasVoter::ConstitutionalCommitteeScript((*h).into()),
            Voter::DRep(Credential::Key(h)) => PallasVoter::DRepKey((*h).into()),
            Voter::DRep(Credential::Script(h)) => PallasVoter::DRepScript((*h).into()),
            Voter::Pool(h) => PallasVoter::StakePoolKey((*h).into()),
        };
        let vote = match vote {
            Vote::Yes => pallas_primitives::conway::Vote::Yes,
            Vote::No => pallas_primitives::conway::Vote::No,
            Vote::Abstain => pallas_primitives::conway::Vote::Abstain,
        };
        out.entry(voter)
            .or_default()
            .insert(pallas_action_id(id), VotingProcedure { vote, anchor: None });
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pallas_primitives::conway::{GovAction as G, TransactionBody as Body};

    /// Governance certificates, proposals and votes come out as the CDDL's, read back by pallas.
    #[test]
    fn governance_pieces_are_written_as_conway_defines_them() {
        let (drep, stake, cold, hot, pool) = ([1u8; 28], [2u8; 28], [3u8; 28], [4u8; 28], [5u8; 28]);
        let id = GovActionId { tx: [9; 32], index: 2 };
        let account = {
            let mut a = vec![0xe0];
            a.extend_from_slice(&stake);
            a
        };
        let proposal = |action| Proposal {
            deposit: 100,
            return_account: account.clone(),
            action,
        };
        let tx = TxBuilder {
            certs: vec![
                Cert::RegisterDRep { drep, deposit: 500 },
                Cert::DelegateVote {
                    stake,
                    drep: DRep::Key(drep),
                },
                Cert::DelegateVote {
                    stake,
                    drep: DRep::AlwaysAbstain,
                },
                Cert::AuthorizeCommitteeHot { cold, hot },
            ],
            proposals: vec![
                proposal(Action::ParameterChange {
                    previous: Some(id),
                    changes: ParamChanges {
                        max_tx_size: Some(4096),
                        ..ParamChanges::default()
                    },
                }),
                proposal(Action::TreasuryWithdrawal {
                    to: account.clone(),
                    lovelace: 7,
                }),
                proposal(Action::HardFork {
                    previous: None,
                    version: (10, 1),
                }),
                proposal(Action::Info),
            ],
            votes: vec![
                (Voter::Committee(Credential::Key(hot)), id, Vote::Yes),
                (Voter::DRep(Credential::Key(drep)), id, Vote::No),
                (Voter::Pool(pool), id, Vote::Abstain),
            ],
            ..TxBuilder::new()
        };
        let bytes = tx.body_bytes();
        let body: Body = minicbor::decode(&bytes).unwrap();
        let certs: Vec<Certificate> = body.certificates.unwrap().to_vec();
        assert!(
            matches!(&certs[0], Certificate::RegDRepCert(StakeCredential::AddrKeyhash(h), 500, None) if **h == drep)
        );
        assert!(matches!(&certs[1], Certificate::VoteDeleg(_, pallas_primitives::conway::DRep::Key(h)) if **h == drep));
        assert!(matches!(
            &certs[2],
            Certificate::VoteDeleg(_, pallas_primitives::conway::DRep::Abstain)
        ));
        assert!(
            matches!(&certs[3], Certificate::AuthCommitteeHot(StakeCredential::AddrKeyhash(c), StakeCredential::AddrKeyhash(h)) if **c == cold && **h == hot)
        );
        let proposals: Vec<ProposalProcedure> = body.proposal_procedures.unwrap().to_vec();
        match &proposals[0].gov_action {
            G::ParameterChange(Some(prev), u, None) => {
                assert_eq!((*prev.transaction_id, prev.action_index), ([9; 32], 2));
                assert_eq!(u.max_transaction_size, Some(4096));
                assert_eq!(u.minfee_a, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&proposals[1].gov_action, G::TreasuryWithdrawals(w, None) if w.values().copied().eq([7])));
        assert!(matches!(&proposals[2].gov_action, G::HardForkInitiation(None, (10, 1))));
        assert!(matches!(&proposals[3].gov_action, G::Information));
        assert!(proposals
            .iter()
            .all(|p| p.deposit == 100 && p.reward_account.to_vec() == account));
        let votes = body.voting_procedures.unwrap();
        assert_eq!(votes.len(), 3);
        let pool_vote = &votes[&PallasVoter::StakePoolKey(pool.into())];
        assert_eq!(
            pool_vote.values().next().unwrap().vote,
            pallas_primitives::conway::Vote::Abstain
        );
        // And the ledger's decoder takes the whole transaction.
        let signed = tx.sign(&[]);
        assert_eq!(signed.body_bytes(), &bytes[..]);
    }

    /// Balancing counts DRep and proposal deposits: the change is what is left after them.
    #[test]
    fn balancing_pays_drep_and_proposal_deposits() {
        let params = LedgerParams {
            min_fee_a: 0,
            min_fee_b: 1_000,
            drep_deposit: 500,
            ..LedgerParams::default()
        };
        let tx = TxBuilder {
            certs: vec![Cert::RegisterDRep {
                drep: [1; 28],
                deposit: 500,
            }],
            proposals: vec![Proposal {
                deposit: 2_000,
                return_account: vec![0xe0; 29],
                action: Action::Info,
            }],
            ..TxBuilder::new()
        }
        .output(vec![0x60; 29], 0)
        .balance(&params, 10_000, 0, &[]);
        let body: pallas_primitives::conway::TransactionBody = minicbor::decode(tx.body_bytes()).unwrap();
        let change = match &body.outputs[0] {
            TransactionOutput::Legacy(o) => match o.amount {
                Value::Coin(c) => c,
                _ => panic!(),
            },
            _ => panic!(),
        };
        assert_eq!((body.fee, change), (1_000, 10_000 - 1_000 - 500 - 2_000));
    }
}
