//! The handshake against the reference's rules and against pallas-network's encoding (software
//! no one here wrote): what a cardano-node proposes is accepted with the combined flags, a
//! wrong magic refused, no common version refused with ours, a query answered with our table.

use pallas_codec::minicbor;
use pallas_network::miniprotocols::handshake as ph;
use proptest::prelude::*;
use slotforge_network::protocols::handshake::client::{conclude, HandshakeError, Outcome};
use slotforge_network::protocols::handshake::messages::{
    version_table, DecodeError, Message, RefuseReason, VersionData, VersionTable, MAX_MESSAGE_BYTES,
};
use slotforge_network::protocols::handshake::server::respond;

const MAGIC: u32 = 42;

fn ours() -> VersionTable {
    version_table(VersionData::node(MAGIC))
}

/// What cardano-node 10 proposes as a relay: versions 14 and 15, both directions, peer sharing.
fn cardano_node_proposal(magic: u32) -> VersionTable {
    let d = VersionData {
        network_magic: magic,
        initiator_only: false,
        peer_sharing: true,
        query: false,
    };
    [(14, d), (15, d)].into_iter().collect()
}

#[test]
fn a_cardano_node_proposal_is_accepted_at_the_greatest_common_version_with_combined_flags() {
    let bytes = Message::Propose(cardano_node_proposal(MAGIC)).to_cbor();
    let Message::Propose(p) = Message::decode(&bytes).unwrap() else {
        panic!()
    };
    let answer = respond(&ours(), &p);
    // Peer sharing only if both sides want it: we do not.
    let want = VersionData {
        network_magic: MAGIC,
        initiator_only: false,
        peer_sharing: false,
        query: false,
    };
    assert_eq!(answer, Message::Accept(15, want));
    assert_eq!(
        conclude(&cardano_node_proposal(MAGIC), answer).unwrap(),
        Outcome::Accepted {
            version: 15,
            data: want
        }
    );
}

#[test]
fn initiator_only_on_either_side_makes_the_connection_initiator_only() {
    let mut p = cardano_node_proposal(MAGIC);
    for d in p.values_mut() {
        d.initiator_only = true;
    }
    let Message::Accept(15, d) = respond(&ours(), &p) else {
        panic!()
    };
    assert!(d.initiator_only);
}

#[test]
fn a_wrong_magic_is_refused_at_the_greatest_common_version() {
    let answer = respond(&ours(), &cardano_node_proposal(764824073));
    let Message::Refuse(RefuseReason::Refused(15, text)) = &answer else {
        panic!("{answer:?}")
    };
    assert!(text.contains("network magic 42 /= 764824073"), "{text}");
    let back = Message::decode(&answer.to_cbor()).unwrap();
    assert_eq!(back, answer);
    assert!(matches!(
        conclude(&cardano_node_proposal(764824073), back),
        Err(HandshakeError::Refused(RefuseReason::Refused(15, _)))
    ));
}

#[test]
fn no_common_version_is_refused_with_our_versions() {
    // Versions 7 to 12 only: unknown to us, skipped when decoding.
    let bytes = minicbor::to_vec(ph::Message::Propose(ph::n2n::VersionTable::v7_to_v10(MAGIC as u64))).unwrap();
    let Message::Propose(p) = Message::decode(&bytes).unwrap() else {
        panic!()
    };
    assert!(p.is_empty());
    assert_eq!(
        respond(&ours(), &p),
        Message::Refuse(RefuseReason::VersionMismatch(vec![13, 14, 15]))
    );
}

#[test]
fn a_query_is_answered_with_our_table() {
    let mut p = cardano_node_proposal(MAGIC);
    for d in p.values_mut() {
        d.query = true;
    }
    let answer = respond(&ours(), &p);
    assert_eq!(answer, Message::QueryReply(ours()));
    assert_eq!(conclude(&p, answer).unwrap(), Outcome::Queried(ours()));
}

#[test]
fn pallas_network_reads_our_messages_and_we_read_its() {
    // pallas's own proposal (versions 7 to 14, initiator-only, as pallas clients send).
    let bytes = minicbor::to_vec(ph::Message::Propose(ph::n2n::VersionTable::v7_and_above(MAGIC as u64))).unwrap();
    let Message::Propose(p) = Message::decode(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(p.keys().copied().collect::<Vec<_>>(), vec![13, 14]);
    let answer = respond(&ours(), &p);
    let Message::Accept(14, agreed) = answer else {
        panic!("{answer:?}")
    };
    assert!(
        agreed.initiator_only,
        "the pallas client is initiator-only, so the connection is"
    );
    // Our answer, decoded by pallas.
    let theirs: ph::Message<ph::n2n::VersionData> = minicbor::decode(&answer.to_cbor()).unwrap();
    match theirs {
        ph::Message::Accept(14, d) => {
            assert_eq!(d.network_magic, MAGIC as u64);
            assert!(d.initiator_only_diffusion_mode);
            assert_eq!(d.peer_sharing, Some(0));
            assert_eq!(d.query, Some(false));
        }
        other => panic!("{other:?}"),
    }
    // Our proposal, decoded by pallas, and its refusal decoded by us.
    let ours_bytes = Message::Propose(ours()).to_cbor();
    let theirs: ph::Message<ph::n2n::VersionData> = minicbor::decode(&ours_bytes).unwrap();
    let ph::Message::Propose(t) = theirs else { panic!() };
    let mut keys: Vec<u64> = t.values.keys().copied().collect();
    keys.sort();
    assert_eq!(keys, vec![13, 14, 15]);
    let refusal = minicbor::to_vec(ph::Message::<ph::n2n::VersionData>::Refuse(ph::RefuseReason::Refused(
        14,
        "no".into(),
    )))
    .unwrap();
    assert_eq!(
        Message::<VersionData>::decode(&refusal).unwrap(),
        Message::Refuse(RefuseReason::Refused(14, "no".into()))
    );
}

#[test]
fn the_initiator_refuses_an_answer_it_cannot_agree_to() {
    let mine = ours();
    let other_magic = VersionData::node(7);
    assert!(matches!(
        conclude(&mine, Message::Accept(15, other_magic)),
        Err(HandshakeError::Disagreed { version: 15, .. })
    ));
    let fewer: VersionTable = mine.iter().filter(|(v, _)| **v != 15).map(|(v, d)| (*v, *d)).collect();
    assert!(matches!(
        conclude(&fewer, Message::Accept(15, VersionData::node(MAGIC))),
        Err(HandshakeError::NotProposed(15))
    ));
    assert!(matches!(
        conclude(&mine, Message::Propose(mine.clone())),
        Err(HandshakeError::Unexpected(_))
    ));
}

#[test]
fn malformed_messages_are_refused_with_a_reason() {
    let good = Message::Propose(ours()).to_cbor();
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        Message::<VersionData>::decode(&trailing),
        Err(DecodeError::TrailingBytes(1))
    );
    assert_eq!(
        Message::<VersionData>::decode(&vec![0u8; MAX_MESSAGE_BYTES + 1]),
        Err(DecodeError::TooLarge {
            size: MAX_MESSAGE_BYTES + 1,
            limit: MAX_MESSAGE_BYTES
        })
    );
    // {15: …, 14: …}: keys out of order.
    let d = [0x84, 0x18, 0x2a, 0xf4, 0x00, 0xf4];
    let mut unordered = vec![0x82, 0x00, 0xa2, 0x0f];
    unordered.extend_from_slice(&d);
    unordered.push(0x0e);
    unordered.extend_from_slice(&d);
    assert!(
        matches!(Message::<VersionData>::decode(&unordered), Err(DecodeError::Invalid(m)) if m.contains("unordered"))
    );
    // peerSharing 2.
    let bad = [0x82, 0x00, 0xa1, 0x0e, 0x84, 0x18, 0x2a, 0xf4, 0x02, 0xf4];
    assert!(matches!(Message::<VersionData>::decode(&bad), Err(DecodeError::Invalid(m)) if m.contains("peerSharing")));
    // An indefinite-length table.
    let indef = [0x82, 0x00, 0xbf, 0xff];
    assert!(Message::<VersionData>::decode(&indef).is_err());
    for cut in 1..good.len() {
        assert!(Message::<VersionData>::decode(&good[..cut]).is_err(), "cut at {cut}");
    }
}

fn data() -> impl Strategy<Value = VersionData> {
    (any::<u32>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(m, i, p, q)| VersionData {
        network_magic: m,
        initiator_only: i,
        peer_sharing: p,
        query: q,
    })
}

fn table() -> impl Strategy<Value = VersionTable> {
    proptest::collection::btree_map(prop_oneof![Just(13u64), Just(14), Just(15)], data(), 0..3)
}

proptest! {
    #[test]
    fn messages_round_trip(msg in prop_oneof![
        table().prop_map(Message::Propose),
        (prop_oneof![Just(13u64), Just(14), Just(15)], data()).prop_map(|(v, d)| Message::Accept(v, d)),
        proptest::collection::vec(any::<u64>(), 0..5).prop_map(|v| Message::Refuse(RefuseReason::VersionMismatch(v))),
        (any::<u64>(), ".{0,20}").prop_map(|(v, t)| Message::Refuse(RefuseReason::Refused(v, t))),
        (any::<u64>(), ".{0,20}").prop_map(|(v, t)| Message::Refuse(RefuseReason::HandshakeDecodeError(v, t))),
        table().prop_map(Message::QueryReply),
    ]) {
        prop_assert_eq!(Message::decode(&msg.to_cbor()).unwrap(), msg);
    }

    /// The responder's choice is the greatest common version, and it agrees with what the
    /// initiator concludes.
    #[test]
    fn negotiation_is_consistent(theirs in table(), mine in data()) {
        let ours = version_table(mine);
        match respond(&ours, &theirs) {
            Message::Accept(v, d) => {
                prop_assert_eq!(Some(v), theirs.keys().copied().filter(|k| ours.contains_key(k)).max());
                prop_assert_eq!(conclude(&theirs, Message::Accept(v, d)), Ok(Outcome::Accepted { version: v, data: d }));
            }
            Message::QueryReply(t) => prop_assert_eq!(t, ours),
            Message::Refuse(RefuseReason::VersionMismatch(_)) => prop_assert!(theirs.is_empty()),
            Message::Refuse(RefuseReason::Refused(v, _)) => {
                prop_assert_ne!(theirs[&v].network_magic, mine.network_magic);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

mod node_to_client {
    //! The node-to-client handshake against pallas-network's client tables: what pallas-based
    //! tools propose (V10 to V23, the old versions with a bare magic) is accepted at V23, its
    //! V15 query is refused with our versions (the node no longer speaks V15), a magic of
    //! another network refused by name.

    use super::*;
    use pallas_network::miniprotocols::handshake::n2c;
    use slotforge_network::protocols::handshake::messages::ClientVersionData;
    use slotforge_network::protocols::handshake::CLIENT_VERSIONS;

    fn ours() -> VersionTable<ClientVersionData> {
        version_table(ClientVersionData {
            network_magic: MAGIC,
            query: false,
        })
    }

    fn theirs(table: n2c::VersionTable) -> VersionTable<ClientVersionData> {
        let bytes = minicbor::to_vec(ph::Message::<n2c::VersionData>::Propose(table)).unwrap();
        match Message::<ClientVersionData>::decode(&bytes).unwrap() {
            Message::Propose(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pallas_proposal_is_accepted_at_v23_and_pallas_reads_the_answer() {
        let proposal = theirs(n2c::VersionTable::v10_and_above(MAGIC as u64));
        assert_eq!(
            proposal.keys().copied().collect::<Vec<_>>(),
            CLIENT_VERSIONS[..].to_vec(),
            "V10 to V15 skipped"
        );
        let answer = respond(&ours(), &proposal);
        let want = ClientVersionData {
            network_magic: MAGIC,
            query: false,
        };
        assert_eq!(answer, Message::Accept(32791, want));
        let back: ph::Message<n2c::VersionData> = minicbor::decode(&answer.to_cbor()).unwrap();
        let want_bytes = minicbor::to_vec(ph::Message::Accept(
            32791,
            n2c::VersionData::new(MAGIC as u64, Some(false)),
        ))
        .unwrap();
        assert_eq!(
            minicbor::to_vec(back).unwrap(),
            want_bytes,
            "pallas reads our answer as it writes it"
        );
    }

    #[test]
    fn another_magic_and_old_versions_are_refused() {
        let answer = respond(&ours(), &theirs(n2c::VersionTable::v10_and_above(MAGIC as u64 + 1)));
        assert!(
            matches!(&answer, Message::Refuse(RefuseReason::Refused(32791, why)) if why.contains("magic")),
            "{answer:?}"
        );
        let answer = respond(&ours(), &theirs(n2c::VersionTable::v15_with_query(MAGIC as u64)));
        assert_eq!(
            answer,
            Message::Refuse(RefuseReason::VersionMismatch(CLIENT_VERSIONS.to_vec()))
        );
    }

    #[test]
    fn a_query_is_answered_with_our_versions() {
        let mut proposal = ours();
        for d in proposal.values_mut() {
            d.query = true;
        }
        assert_eq!(respond(&ours(), &proposal), Message::QueryReply(ours()));
    }
}
