//! A synthetic ledger state for measuring the epoch boundary (`benches/epoch_boundary.rs`,
//! `examples/boundary_memory.rs`): `accounts` registered stake credentials, each holding one
//! output at its base address, delegating to one of `pools` pools and, one in two, to a DRep;
//! every pool made blocks in the epoch the boundary rewards, and the `go` snapshot is taken.

use std::sync::Arc;

use crate::state::{Account, Credential, DRep, DRepState, LedgerState, PoolParams, PoolState, TxIn, TxOut};

fn hash28(tag: u8, i: u64) -> [u8; 28] {
    let mut h = [tag; 28];
    h[..8].copy_from_slice(&i.to_be_bytes());
    h
}

/// The state just before a boundary, with `accounts` accounts and `pools` pools.
pub fn state(accounts: u64, pools: u64) -> LedgerState {
    let mut s = LedgerState {
        reserves: 10_000_000_000_000_000,
        fees: 1_000_000_000,
        ..LedgerState::default()
    };
    let pools = pools.max(1);
    for p in 0..pools {
        let id = hash28(1, p);
        let mut reward_account = vec![0xe0];
        reward_account.extend(hash28(2, p));
        s.pools.insert(
            id,
            PoolState {
                params: PoolParams {
                    vrf_key_hash: [p as u8; 32],
                    pledge: 0,
                    cost: 170_000_000,
                    margin: (1, 100),
                    reward_account,
                    owners: vec![hash28(2, p)],
                    relays: Vec::new(),
                    metadata: Vec::new(),
                },
                future: None,
                retiring: None,
                deposit: 500_000_000,
            },
        );
        s.blocks_current.insert(id, 10);
    }
    for d in 0..(accounts / 100).max(1) {
        s.governance.dreps.insert(
            Credential::Key(hash28(3, d)),
            DRepState {
                deposit: 500_000_000,
                expiry: 100,
                anchor: vec![],
            },
        );
    }
    for a in 0..accounts {
        let stake = hash28(4, a);
        let drep = (a % 2 == 0).then(|| DRep::Key(hash28(3, a % (accounts / 100).max(1))));
        s.accounts.insert(
            Credential::Key(stake),
            Account {
                deposit: 2_000_000,
                rewards: 0,
                pool: Some(hash28(1, a % pools)),
                drep,
            },
        );
        // [base address (header 0x00, payment hash, stake hash), coin]
        let mut out = vec![0x82, 0x58, 0x39, 0x00];
        out.extend(hash28(5, a));
        out.extend(stake);
        out.push(0x1b);
        out.extend((1_000_000_000 + a).to_be_bytes());
        let txin = TxIn {
            tx: {
                let mut t = [0u8; 32];
                t[..8].copy_from_slice(&a.to_be_bytes());
                t
            },
            index: 0,
        };
        s.add_output(txin, Arc::new(TxOut::decode(&out).expect("a base-address output")));
    }
    // Three boundaries: the snapshots (`go` included) hold this stake; then every pool made
    // blocks in the epoch the next boundary rewards (`blocks_previous`) and in this one.
    s.new_epoch();
    s.new_epoch();
    s.new_epoch();
    for p in 0..pools {
        s.blocks_previous.insert(hash28(1, p), 10);
        s.blocks_current.insert(hash28(1, p), 10);
    }
    s
}
