//! What the benchmarks share: the machine line every report is stamped with, the order fixture
//! the signing comparisons start from, and a busy Polymarket book frame. Each bench includes
//! this with `#[path]` and uses part of it.

#![allow(dead_code)]

use cassandra::clob::auth::{Credentials, L2Signer};
use cassandra::clob::order::{Chain, OrderVersion, SignatureType};
use cassandra::clob::sign::{OrderSigner, PrivateKey};
use cassandra::exec::orders::{Account, TokenOrderInfo};

/// Anvil's first key: a well-known test key, never an account with funds.
pub const KEY_HEX: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// A real 15-minute market's UP token id (from the Polymarket fixtures).
pub const POLY_UP: &str =
    "71321045679252212594626385532706912750332728571942532289631379312455583992563";

/// Output of a shell command, trimmed (empty when it fails).
pub fn sh(cmd: &str) -> String {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// "CPU model, N cores, Linux kernel": what every report names its machine by.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, Linux {}", sh("uname -r"))
}

/// Everything a BUY needs signed and authenticated, as the `order` thread has it.
pub struct OrderFixture {
    pub key: PrivateKey,
    pub signer: OrderSigner,
    pub account: Account,
    pub info: TokenOrderInfo,
    pub l2: L2Signer,
}

pub fn order_fixture() -> OrderFixture {
    let key = PrivateKey::parse_hex(KEY_HEX).expect("key");
    let signer = OrderSigner::new(key.clone(), Chain::Polygon);
    let account = Account {
        maker: key.address(),
        signature_type: SignatureType::Eoa,
        version: OrderVersion::V2,
    };
    let info = TokenOrderInfo::from_window(POLY_UP, 100, false, 5_000_000).expect("token");
    let creds = Credentials::new(
        "00000000-0000-0000-0000-000000000000".into(),
        "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==".into(),
        "passphrase".into(),
    )
    .expect("creds");
    let l2 = L2Signer::new(&creds).expect("l2");
    OrderFixture {
        key,
        signer,
        account,
        info,
        l2,
    }
}

/// A `book` snapshot with 20 levels a side (a busy 15-minute market), the fixture's shape.
pub fn poly_book_frame() -> Vec<u8> {
    let side = |from: u32, step: i32| {
        (0..20)
            .map(|i| {
                let p = (from as i32 + step * i) as u32;
                format!(
                    r#"{{"price":"0.{p:02}","size":"{}.{:02}"}}"#,
                    50 + i * 17,
                    i * 3
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"event_type":"book","asset_id":"{POLY_UP}","market":"0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1","bids":[{}],"asks":[{}],"timestamp":"1757908892351","hash":"0x0a1b2c3d4e5f60718293a4b5c6d7e8f901234567","tick_size":"0.01"}}"#,
        side(29, 1),
        side(70, -1)
    )
    .into_bytes()
}
