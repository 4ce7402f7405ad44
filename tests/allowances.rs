//! Token approvals through a Polygon JSON-RPC node (the simulator's): read them, send the
//! missing ones as signed transactions the node verifies, read them back.

use cassandra::clob::allowances::{read, set_missing, Rpc};
use cassandra::clob::order::Chain;
use cassandra::clob::sign::PrivateKey;
use cassandra::sim::{SimConfig, Simulator};

// The public anvil/hardhat key #0.
const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

#[test]
fn missing_approvals_are_sent_once_and_read_back() {
    let sim = Simulator::start(SimConfig::default()).expect("sim");
    let rpc = Rpc::new(&sim.rpc_url()).unwrap();
    let key = PrivateKey::parse_hex(KEY).unwrap();
    let owner = key.address();

    let before = read(&rpc, Chain::Polygon, &owner).unwrap();
    assert!(!before.ready);
    assert_eq!(before.collateral.len(), 4);
    assert_eq!(before.conditional_tokens.len(), 4);
    assert!(before
        .collateral
        .iter()
        .all(|a| !a.approved && a.allowance == "0"));

    let hashes = set_missing(&rpc, Chain::Polygon, &key).unwrap();
    assert_eq!(
        hashes.len(),
        8,
        "4 pUSD approvals + 4 conditional-token approvals"
    );
    assert!(hashes.iter().all(|h| h.starts_with("0x") && h.len() == 66));
    assert_eq!(sim.rpc().transactions(), 8);

    let after = read(&rpc, Chain::Polygon, &owner).unwrap();
    assert!(after.ready, "{after:?}");
    assert!(after.collateral.iter().all(|a| a.allowance == "max"));
    // The node recovered the signer from each transaction: the approvals are the key's.
    assert_eq!(sim.rpc().approvals_of(&owner).len(), 8);

    // Nothing left to send.
    assert!(set_missing(&rpc, Chain::Polygon, &key).unwrap().is_empty());
    sim.shutdown();
}

#[test]
fn an_unreachable_node_is_a_clear_error() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let rpc = Rpc::new(&format!("http://127.0.0.1:{port}/rpc")).unwrap();
    let key = PrivateKey::parse_hex(KEY).unwrap();
    let err = read(&rpc, Chain::Polygon, &key.address()).unwrap_err();
    assert!(err.to_string().contains("Polygon RPC"), "{err}");
}
