//! `devnet up` never fails on a port race: a 30-pool devnet (60 listening ports, 60 processes
//! dialling each other) starts ten times in a row, every node serving, and every port it
//! listens on lies outside the kernel's ephemeral range, where no outgoing connection can take
//! it first.

mod live_devnet;

use live_devnet::{get, LiveDevnet};

fn ephemeral_range() -> (u16, u16) {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let mut it = text.split_whitespace().map(|n| n.parse().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

fn port(addr: &str) -> u16 {
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

#[test]
fn a_30_pool_devnet_starts_ten_times_in_a_row() {
    let (low, high) = ephemeral_range();
    for round in 0..10 {
        let devnet = LiveDevnet::up(&["--pools", "30"]);
        let nodes = devnet.nodes();
        assert_eq!(nodes.len(), 30);
        let mut ports = Vec::new();
        for n in &nodes {
            for addr in [n["rest"].as_str().unwrap(), n["node_to_node"].as_str().unwrap()] {
                let p = port(addr);
                assert!(
                    !(low..=high).contains(&p),
                    "round {round}: port {p} is in the ephemeral range"
                );
                ports.push(p);
            }
        }
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 60, "round {round}: every port is its own");
        for (i, n) in nodes.iter().enumerate() {
            let node = get(&format!("{}/api/v1/node", n["rest"].as_str().unwrap()));
            assert!(
                node["sync"].is_object(),
                "round {round}: node {i} serves its API: {node}"
            );
        }
        let (ok, _, err) = devnet.cmd("down", &[]);
        assert!(ok, "round {round}: {err}");
    }
}
