//! The REST API bounds what a client can make it do, on a live node: a body over the limit is
//! refused with 413 before it is read whole; event-stream subscribers beyond the limit get 503
//! and a freed place is taken again; a page from a foreign origin may not read the API (CORS is
//! same-origin unless configured, as the devnet configures its nodes' origins); and `/utxos`
//! pages through an address's outputs in input order with a cursor.

mod live_devnet;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use live_devnet::{eventually, get, http, slotforge, LiveDevnet};

/// A one-pool devnet, its pool forging alone from genesis.
const LONE_POOL: &[&str] = &[
    "--pools",
    "1",
    "--slot-length",
    "0.1",
    "--epoch-length",
    "100",
    "--f",
    "1/2",
];

/// GET `path` with an `Origin` header: (status, the response head).
fn get_with_origin(rest: &str, path: &str, origin: &str) -> (u16, String) {
    let host = rest.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let head = text.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), head)
}

/// Opens an event stream; returns the connection and the status it was answered with.
fn subscribe(rest: &str) -> (TcpStream, u16) {
    let host = rest.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    write!(
        s,
        "GET /api/v1/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "the stream ended before its head");
        buf.push(byte[0]);
    }
    let status = String::from_utf8_lossy(&buf)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (s, status)
}

#[test]
fn the_rest_api_bounds_bodies_subscribers_origins_and_pages() {
    let devnet = LiveDevnet::up(LONE_POOL);
    let rest = devnet.rest(0);

    // A body over 256 KiB: 413, and the node goes on serving.
    let (status, _) = http(
        "POST",
        &format!("{rest}/api/submit/tx"),
        Some("application/cbor"),
        &vec![0u8; 300 * 1024],
    )
    .unwrap();
    assert_eq!(status, 413);
    let (status, body) = http(
        "POST",
        &format!("{rest}/api/submit/tx"),
        Some("application/cbor"),
        &[0x80],
    )
    .unwrap();
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));

    // A transaction listing one input twice is a decoding failure, as Conway decodes it.
    let mut twice = vec![0x84, 0xa3, 0x00, 0x82];
    for _ in 0..2 {
        twice.extend_from_slice(&[0x82, 0x58, 0x20]);
        twice.extend_from_slice(&[7; 32]);
        twice.push(0x00);
    }
    twice.extend_from_slice(&[0x01, 0x80, 0x02, 0x00, 0xa0, 0xf5, 0xf6]);
    let (status, body) = http(
        "POST",
        &format!("{rest}/api/submit/tx"),
        Some("application/cbor"),
        &twice,
    )
    .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, answer["kind"].as_str()),
        (400, Some("DecoderFailure")),
        "{answer}"
    );
    assert!(
        answer["message"].as_str().unwrap().contains("appears twice"),
        "{answer}"
    );

    // CORS: the devnet's own origins may read; any other page may not.
    let (status, head) = get_with_origin(&rest, "/api/v1/tip", "http://evil.example");
    assert_eq!(status, 200);
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    let (_, head) = get_with_origin(&rest, "/api/v1/tip", &rest);
    assert!(
        head.contains(&format!("access-control-allow-origin: {}", rest.to_ascii_lowercase())),
        "{head}"
    );

    // 32 subscribers at once; the 33rd is refused until one leaves.
    let mut subscribers: Vec<TcpStream> = (0..32)
        .map(|i| {
            let (s, status) = subscribe(&rest);
            assert_eq!(status, 200, "subscriber {i}");
            s
        })
        .collect();
    let (_, status) = subscribe(&rest);
    assert_eq!(status, 503);
    drop(subscribers.pop());
    eventually(Duration::from_secs(10), "a freed subscription", || {
        (subscribe(&rest).1 == 200).then_some(())
    });
    drop(subscribers);

    // /utxos in pages: three payments to one address, two per page.
    let keys = devnet.dir.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let k = |f: &str| keys.join(f).to_str().unwrap().to_string();
    let (ok, _, err) = slotforge(&[
        "keys",
        "payment",
        "--signing-key-file",
        &k("p.skey"),
        "--verification-key-file",
        &k("p.vkey"),
    ]);
    assert!(ok, "{err}");
    let (ok, address, err) = slotforge(&[
        "keys",
        "address",
        "--payment-vkey",
        &k("p.vkey"),
        "--testnet-magic",
        "42",
    ]);
    assert!(ok, "{err}");
    let address = address.trim().to_string();
    for lovelace in ["3000000", "4000000", "5000000"] {
        let (ok, _, err) = devnet.cmd("faucet", &[&address, lovelace]);
        assert!(ok, "faucet: {err}");
    }
    let all = eventually(Duration::from_secs(60), "three outputs at the address", || {
        let u = get(&format!("{rest}/api/v1/utxos?address={address}&limit=1000"));
        (u["utxos"].as_array().unwrap().len() == 3).then_some(u)
    });
    assert!(all["next"].is_null());
    let first = get(&format!("{rest}/api/v1/utxos?address={address}&limit=2"));
    assert_eq!(first["utxos"].as_array().unwrap().len(), 2);
    // `next` is TXID#INDEX, percent-encoded in a URL ('#' would start a fragment).
    let next = first["next"].as_str().expect("a next page").replace('#', "%23");
    let second = get(&format!("{rest}/api/v1/utxos?address={address}&limit=2&after={next}"));
    assert_eq!(second["utxos"].as_array().unwrap().len(), 1);
    assert!(second["next"].is_null());
    let paged: Vec<_> = first["utxos"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["utxos"].as_array().unwrap())
        .cloned()
        .collect();
    assert_eq!(
        &paged,
        all["utxos"].as_array().unwrap(),
        "the pages are the whole list, in order"
    );
    let (status, _) = http(
        "GET",
        &format!("{rest}/api/v1/utxos?address={address}&after=nonsense"),
        None,
        &[],
    )
    .unwrap();
    assert_eq!(status, 400);
}
