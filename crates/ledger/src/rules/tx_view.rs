//! What every rule reads of one transaction against the UTxO: its decoded parts, its input
//! sets, the scripts it provides (witnessed and referenced) and the scripts it needs with their
//! purposes (cardano-ledger's `getConwayScriptsNeeded`, `getScriptsProvided`).

use std::collections::{BTreeMap, BTreeSet};

use pallas_primitives::conway::{Certificate, GovAction, RedeemerTag, TransactionBody, Voter, WitnessSet};
use pallas_primitives::TransactionInput;

use crate::address::reward_credential;
use crate::params::Language;
use crate::script::{Script, ScriptHash};
use crate::state::{Credential, LedgerState, TxIn, TxOut};
use crate::tx::Transaction;

/// A script purpose as a redeemer points at it: the tag and the index in the sorted collection.
pub(crate) type Purpose = (RedeemerTag, u32);

/// One transaction with what the rules look up about it.
pub(crate) struct TxView<'a> {
    pub tx: &'a Transaction,
    pub body: TransactionBody<'a>,
    pub wits: WitnessSet<'a>,
    pub inputs: BTreeSet<TxIn>,
    pub collateral: BTreeSet<TxIn>,
    pub reference_inputs: BTreeSet<TxIn>,
    /// Scripts in the witness set, by hash.
    pub witness_scripts: BTreeMap<ScriptHash, Script>,
    /// Scripts of the outputs the inputs and reference inputs resolve to, by hash.
    pub reference_scripts: BTreeMap<ScriptHash, Script>,
    /// The scripts needed, with the purpose each serves, in the order of the reference.
    pub scripts_needed: Vec<(Purpose, ScriptHash)>,
    /// The body's outputs as the UTxO will hold them, with their exact bytes.
    pub outputs: Vec<TxOut>,
    /// The collateral return, if any, with its exact bytes.
    pub collateral_return: Option<TxOut>,
    /// The withdrawals as the reference orders them (its `Map RewardAccount`: network, then
    /// script credentials before key credentials, then hash): account bytes, credential,
    /// amount. Accounts of another network or malformed are left out (UTXO judges them).
    pub withdrawals: Vec<(Vec<u8>, Credential, u64)>,
}

fn txin(i: &TransactionInput) -> TxIn {
    TxIn {
        tx: *i.transaction_id,
        index: i.index,
    }
}

impl<'a> TxView<'a> {
    /// Decodes `tx` and resolves what it needs against `state`'s UTxO.
    pub fn new(tx: &'a Transaction, state: &LedgerState, network: u8) -> Result<Self, crate::LedgerError> {
        let body = tx.decoded_body()?;
        let wits = tx.decoded_witnesses()?;
        let inputs: BTreeSet<TxIn> = body.inputs.iter().map(txin).collect();
        let collateral: BTreeSet<TxIn> = body.collateral.iter().flat_map(|s| s.iter()).map(txin).collect();
        let reference_inputs: BTreeSet<TxIn> = body.reference_inputs.iter().flat_map(|s| s.iter()).map(txin).collect();

        let mut witness_scripts = BTreeMap::new();
        for s in wits.native_script.iter().flat_map(|s| s.iter()) {
            let s = Script::Native(s.raw_cbor().to_vec());
            witness_scripts.insert(s.hash(), s);
        }
        for s in wits.plutus_v1_script.iter().flat_map(|s| s.iter()) {
            let s = Script::Plutus(Language::V1, s.0.to_vec());
            witness_scripts.insert(s.hash(), s);
        }
        for s in wits.plutus_v2_script.iter().flat_map(|s| s.iter()) {
            let s = Script::Plutus(Language::V2, s.0.to_vec());
            witness_scripts.insert(s.hash(), s);
        }
        for s in wits.plutus_v3_script.iter().flat_map(|s| s.iter()) {
            let s = Script::Plutus(Language::V3, s.0.to_vec());
            witness_scripts.insert(s.hash(), s);
        }
        let mut reference_scripts = BTreeMap::new();
        for i in reference_inputs.iter().chain(&inputs) {
            if let Some(s) = state.utxo.get(i).and_then(|o| o.script_ref.clone()) {
                reference_scripts.insert(s.hash(), s);
            }
        }

        let outputs = body
            .outputs
            .iter()
            .map(|o| TxOut::from_output(o, raw_output(o)))
            .collect();
        let collateral_return = body
            .collateral_return
            .as_ref()
            .map(|o| TxOut::from_output(o, raw_output(o)));
        let mut withdrawals: Vec<(Vec<u8>, Credential, u64)> = body
            .withdrawals
            .iter()
            .flat_map(|m| m.iter())
            .filter_map(|(acct, amount)| {
                reward_credential(acct, network)
                    .ok()
                    .map(|c| (acct.to_vec(), c, *amount))
            })
            .collect();
        withdrawals.sort_by_key(|a| credential_order(&a.1));
        let mut view = TxView {
            tx,
            withdrawals,
            outputs,
            collateral_return,
            body,
            wits,
            inputs,
            collateral,
            reference_inputs,
            witness_scripts,
            reference_scripts,
            scripts_needed: Vec::new(),
        };
        view.scripts_needed = view.compute_scripts_needed(state);
        Ok(view)
    }

    /// The output an input resolves to.
    pub fn resolve<'s>(&self, state: &'s LedgerState, i: &TxIn) -> Option<&'s TxOut> {
        state.utxo.get(i).map(|o| &**o)
    }

    /// A provided script (witnessed, else referenced) by hash.
    pub fn provided(&self, h: &ScriptHash) -> Option<&Script> {
        self.witness_scripts.get(h).or_else(|| self.reference_scripts.get(h))
    }

    /// The voters in the reference's order (committee, DReps, pools; scripts before keys).
    pub fn voters(&self) -> Vec<&Voter> {
        let mut v: Vec<&Voter> = self.body.voting_procedures.iter().flat_map(|m| m.keys()).collect();
        v.sort_by_key(|v| voter_order(v));
        v
    }

    fn compute_scripts_needed(&self, state: &LedgerState) -> Vec<(Purpose, ScriptHash)> {
        let mut needed = Vec::new();
        // Spending: inputs locked by a script, indexed in the input set's order.
        for (ix, i) in self.inputs.iter().enumerate() {
            if let Some(Some(h)) = self
                .resolve(state, i)
                .map(|o| crate::address::payment_script(&o.address))
            {
                needed.push(((RedeemerTag::Spend, ix as u32), h));
            }
        }
        // Minting: each policy, in order.
        for (ix, policy) in self.body.mint.iter().flat_map(|m| m.keys()).enumerate() {
            needed.push(((RedeemerTag::Mint, ix as u32), **policy));
        }
        // Certifying: certificates whose witness is a script credential.
        for (ix, c) in self.body.certificates.iter().flat_map(|s| s.iter()).enumerate() {
            if let Some(h) = cert_witness(c).and_then(|c| c.script_hash()) {
                needed.push(((RedeemerTag::Cert, ix as u32), h));
            }
        }
        // Rewarding: withdrawals from script accounts.
        for (ix, (_, c, _)) in self.withdrawals.iter().enumerate() {
            if let Some(h) = c.script_hash() {
                needed.push(((RedeemerTag::Reward, ix as u32), h));
            }
        }
        // Voting: script voters.
        for (ix, v) in self.voters().iter().enumerate() {
            if let Voter::ConstitutionalCommitteeScript(h) | Voter::DRepScript(h) = v {
                needed.push(((RedeemerTag::Vote, ix as u32), **h));
            }
        }
        // Proposing: proposals carrying a policy (the guardrails script).
        for (ix, p) in self.body.proposal_procedures.iter().flat_map(|s| s.iter()).enumerate() {
            if let Some(h) = proposal_policy(&p.gov_action) {
                needed.push(((RedeemerTag::Propose, ix as u32), h));
            }
        }
        needed
    }

    /// The hashes of the scripts needed.
    pub fn script_hashes_needed(&self) -> BTreeSet<ScriptHash> {
        self.scripts_needed.iter().map(|(_, h)| *h).collect()
    }

    /// The key hashes of the verification-key witnesses (what native scripts see).
    pub fn vkey_signers(&self) -> BTreeSet<[u8; 28]> {
        self.wits
            .vkeywitness
            .iter()
            .flat_map(|s| s.iter())
            .map(|w| slotforge_praos::nonce::blake2b224(w.vkey.as_slice()))
            .collect()
    }

    /// The key hashes the witnesses prove: verification keys' and bootstrap witnesses'.
    pub fn signers(&self) -> BTreeSet<[u8; 28]> {
        let mut s = self.vkey_signers();
        for b in self.wits.bootstrap_witness.iter().flat_map(|s| s.iter()) {
            s.insert(bootstrap_key_hash(
                b.public_key.as_slice(),
                b.chain_code.as_slice(),
                b.attributes.as_slice(),
            ));
        }
        s
    }
}

/// An output's exact bytes as they appear in the body.
pub(crate) fn raw_output(o: &pallas_primitives::conway::TransactionOutput<'_>) -> Vec<u8> {
    use pallas_primitives::conway::TransactionOutput;
    match o {
        TransactionOutput::Legacy(l) => l.raw_cbor().to_vec(),
        TransactionOutput::PostAlonzo(p) => p.raw_cbor().to_vec(),
    }
}

/// The policy hash a proposal names (parameter changes and treasury withdrawals carry one).
pub(crate) fn proposal_policy(a: &GovAction) -> Option<ScriptHash> {
    match a {
        GovAction::ParameterChange(_, _, Some(h)) | GovAction::TreasuryWithdrawals(_, Some(h)) => Some(**h),
        _ => None,
    }
}

/// The credential that must witness a certificate, if any (`getVKeyWitnessConwayTxCert` /
/// `getScriptWitnessConwayTxCert`); pool certificates are witnessed by the operator, handled
/// apart.
pub(crate) fn cert_witness(c: &Certificate) -> Option<Credential> {
    match c {
        // Shelley's registration without deposit needs no witness.
        Certificate::StakeRegistration(_) => None,
        Certificate::Reg(c, _)
        | Certificate::StakeDeregistration(c)
        | Certificate::UnReg(c, _)
        | Certificate::StakeDelegation(c, _)
        | Certificate::VoteDeleg(c, _)
        | Certificate::StakeVoteDeleg(c, _, _)
        | Certificate::StakeRegDeleg(c, _, _)
        | Certificate::VoteRegDeleg(c, _, _)
        | Certificate::StakeVoteRegDeleg(c, _, _, _)
        | Certificate::AuthCommitteeHot(c, _)
        | Certificate::ResignCommitteeCold(c, _)
        | Certificate::RegDRepCert(c, _, _)
        | Certificate::UnRegDRepCert(c, _)
        | Certificate::UpdateDRepCert(c, _) => Some(Credential::from(c)),
        Certificate::PoolRegistration { .. } | Certificate::PoolRetirement(..) => None,
    }
}

/// The Haskell order of credentials: script credentials first, then keys, each by hash.
fn credential_order(c: &Credential) -> (u8, [u8; 28]) {
    match c {
        Credential::Script(h) => (0, *h),
        Credential::Key(h) => (1, *h),
    }
}

/// The Haskell order of voters: committee, DRep, pool; within each, scripts before keys.
fn voter_order(v: &Voter) -> (u8, u8, [u8; 28]) {
    match v {
        Voter::ConstitutionalCommitteeScript(h) => (0, 0, **h),
        Voter::ConstitutionalCommitteeKey(h) => (0, 1, **h),
        Voter::DRepScript(h) => (1, 0, **h),
        Voter::DRepKey(h) => (1, 1, **h),
        Voter::StakePoolKey(h) => (2, 1, **h),
    }
}

/// The key hash a bootstrap witness proves (`bootstrapWitKeyHash`): the Byron address root,
/// blake2b-224 of sha3-256 of `[0, [0, public key ‖ chain code], attributes]`.
pub(super) fn bootstrap_key_hash(public_key: &[u8], chain_code: &[u8], attributes: &[u8]) -> [u8; 28] {
    use cryptoxide::digest::Digest;
    let mut pre = vec![0x83, 0x00, 0x82, 0x00, 0x58, 0x40];
    pre.extend_from_slice(public_key);
    pre.extend_from_slice(chain_code);
    pre.extend_from_slice(attributes);
    let mut sha = cryptoxide::sha3::Sha3_256::new();
    sha.input(&pre);
    let mut h = [0u8; 32];
    sha.result(&mut h);
    slotforge_praos::nonce::blake2b224(&h)
}
