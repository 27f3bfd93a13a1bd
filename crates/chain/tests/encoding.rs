//! Encodings: any body of valid transactions (with and without auxiliary data) survives
//! block assembly, encoding and decoding byte for byte, with the same hash, size and ids.

mod common;

use common::Devnet;
use proptest::prelude::*;
use slotforge_chain::block::{Block, BlockBody};
use slotforge_devnet::txbuilder::TxBuilder;
use slotforge_ledger::tx::Transaction;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn bodies_round_trip_through_blocks(n in 0usize..40, aux_mask in any::<u64>(), coin in 1_000_000u64..1_000_000_000) {
        let net = Devnet::new(1, 5, (1, 1), 1000);
        let g = net.genesis_state();
        let p = &net.pools[0];
        let txs: Vec<Transaction> = (0..n)
            .map(|i| {
                let mut b = TxBuilder::new().input(p.funds()).output(p.address(), coin + i as u64).fee(200_000);
                if aux_mask >> (i % 64) & 1 == 1 {
                    b.auxiliary_data = Some(vec![0xa1, 0x01, 0x18, i as u8]);
                }
                b.sign(&[&p.payment])
            })
            .collect();
        let body = BlockBody::new(txs.clone());
        let block = net.forge_body(&g, 0, 1, body.clone());
        let bytes = block.to_cbor();
        let back = Block::decode(&bytes).unwrap();
        prop_assert_eq!(back.to_cbor(), bytes);
        prop_assert_eq!(back.body().hash(), body.hash());
        prop_assert_eq!(back.body().size(), body.size());
        prop_assert_eq!(back.hash(), block.hash());
        let ids: Vec<_> = back.body().transactions().iter().map(|t| t.id()).collect();
        let want: Vec<_> = txs.iter().map(|t| t.id()).collect();
        prop_assert_eq!(ids, want);
        for (a, b) in back.body().transactions().iter().zip(&txs) {
            prop_assert_eq!(a.to_cbor(), b.to_cbor());
            prop_assert_eq!(Transaction::decode(&b.to_cbor()).unwrap(), b.clone());
        }
    }

    #[test]
    fn truncated_or_extended_blocks_are_refused(cut in 1usize..200, extra in any::<u8>()) {
        let net = Devnet::new(1, 5, (1, 1), 1000);
        let g = net.genesis_state();
        let block = net.forge(&g, 0, 1, vec![net.pools[0].spend_all_tx()]);
        let bytes = block.to_cbor();
        let cut = cut.min(bytes.len() - 1);
        prop_assert!(Block::decode(&bytes[..bytes.len() - cut]).is_err());
        let mut longer = bytes.clone();
        longer.push(extra);
        prop_assert!(Block::decode(&longer).is_err());
    }
}
