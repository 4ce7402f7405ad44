//! The live path trades for the wallet that holds the funds: a deposit wallet (signature
//! type 3, POLY_1271: maker = signer = the wallet, the owner's key signing the ERC-7739
//! envelope) and a proxy wallet (type 1: the key signs, the proxy pays) each place orders the
//! strict simulated CLOB verifies and fills, paid from that wallet. A post-2026-05 account
//! (one with a deposit wallet) run with an EOA maker is refused by the venue in its words.

mod support;

use std::time::Duration;

use cassandra::clob::order::{Address, Chain, SignatureType};
use cassandra::clob::sign::PrivateKey;
use cassandra::demo::{point_at, sim_config};
use cassandra::pipeline::shared::Mode;
use cassandra::runtime::{LiveSetup, Pipeline, StartOptions};
use cassandra::sim::{SimClob, SimVerdict, Simulator, WalletKind};
use support::{fast_demo_config, trade_eagerly, wait_for};

const DEPOSIT_REFUSAL: &str = "maker address not allowed, please use the deposit wallet flow";

/// Runs the live pipeline against a fresh simulator for an account of `kind` (`None`: a
/// deposit-wallet account run with an EOA maker) until `done` holds on the simulator.
fn run_live(
    key_byte: u8,
    kind: Option<WalletKind>,
    done: impl Fn(&Simulator, &Address) -> bool,
) -> (Simulator, Address, Address) {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    cfg.api.enabled = false;
    let sim = Simulator::start(sim_config(&cfg)).expect("sim");
    point_at(&mut cfg, &sim);
    let key = PrivateKey::parse_hex(&format!("{key_byte:02x}").repeat(32)).unwrap();
    let eoa = key.address();
    let creds = SimClob::derived_credentials(&eoa, 0);
    sim.clob().add_credentials(creds.clone(), eoa);
    let wallet = Address::from_bytes([key_byte ^ 0x5a; 20]);
    let (signature_type, funder, holder) = match kind {
        Some(WalletKind::Eoa) => (SignatureType::Eoa, None, eoa),
        Some(k) => {
            sim.clob().add_wallet(eoa, wallet, k);
            (k.signature_type(), Some(wallet), wallet)
        }
        None => {
            // The account has a deposit wallet; the process is set up as a plain EOA.
            sim.clob()
                .add_wallet(eoa, wallet, WalletKind::DepositWallet);
            (SignatureType::Eoa, None, eoa)
        }
    };
    sim.clob().fund(&holder, 1_000_000_000);
    let live = LiveSetup {
        key,
        creds,
        clob: sim.http_url(),
        chain: Chain::Polygon,
        signature_type,
        funder,
        order_type: cfg.live.order_type.into(),
        ladder: cfg.live.ladder.clone(),
        tag_trigger: false,
        venue: cassandra::config::LiveVenueConfig {
            // The simulator serves the user channel on its HTTP port.
            user_channel: format!("{}/ws/user", sim.http_url().replacen("http://", "ws://", 1)),
            ..cfg.live.venue.clone()
        },
    };
    let pipeline = Pipeline::start(
        &cfg,
        StartOptions {
            price_socket: None,
            paper_latency: Duration::ZERO,
            strategy: cfg.strategy.clone(),
            risk: cfg.risk,
            log_discovery_errors: false,
            record: None,
            live: Some(live),
        },
    )
    .expect("pipeline");
    let ok = wait_for(Duration::from_secs(40), || done(&sim, &holder));
    pipeline.shutdown();
    assert!(
        ok,
        "the simulated CLOB saw {:?}",
        sim.clob()
            .orders()
            .iter()
            .map(|o| (o.verdict, o.error.clone()))
            .collect::<Vec<_>>()
    );
    (sim, holder, eoa)
}

fn filled_from(sim: &Simulator, holder: &Address) -> bool {
    let matched = sim
        .clob()
        .orders()
        .iter()
        .filter(|o| o.verdict == SimVerdict::Matched)
        .count();
    matched >= 2
        && sim
            .clob()
            .balance(holder)
            .is_some_and(|b| b.tokens.iter().any(|(_, n)| *n > 0))
}

fn check_paid_by(sim: &Simulator, holder: &Address, eoa: &Address) {
    let orders = sim.clob().orders();
    for o in &orders {
        assert!(o.hmac_ok && o.signer_ok, "{o:?}");
        assert!(
            matches!(o.verdict, SimVerdict::Matched | SimVerdict::Killed),
            "refused: {o:?}"
        );
    }
    // The wallet paid: its pUSD went down by what the fills cost; the key's own is untouched.
    let b = sim.clob().balance(holder).unwrap();
    let spent: u64 = orders.iter().map(|o| o.notional_u6).sum();
    assert!(spent > 0);
    assert_eq!(b.pusd_u6, 1_000_000_000 - spent);
    if holder != eoa {
        let own = sim.clob().balance(eoa).unwrap();
        assert_eq!((own.pusd_u6, own.tokens.len()), (0, 0));
    }
}

#[test]
fn a_deposit_wallet_type_3_places_orders_that_fill() {
    let (sim, holder, eoa) = run_live(0x91, Some(WalletKind::DepositWallet), filled_from);
    check_paid_by(&sim, &holder, &eoa);
}

#[test]
fn a_proxy_wallet_type_1_places_orders_that_fill() {
    let (sim, holder, eoa) = run_live(0x92, Some(WalletKind::Proxy), filled_from);
    check_paid_by(&sim, &holder, &eoa);
}

#[test]
fn an_eoa_maker_is_refused_for_a_deposit_wallet_account_in_the_venues_words() {
    let (sim, holder, _) = run_live(0x93, None, |sim, _| sim.clob().orders().len() >= 2);
    let orders = sim.clob().orders();
    assert!(
        orders
            .iter()
            .all(|o| o.verdict == SimVerdict::Rejected && o.error == DEPOSIT_REFUSAL),
        "{orders:?}"
    );
    let b = sim.clob().balance(&holder).unwrap();
    assert_eq!(b.pusd_u6, 1_000_000_000, "nothing traded");
    // What the product tells the operator for that refusal.
    let fix = cassandra::wallet::refusal::operator_fix(&orders[0].error).unwrap();
    assert!(fix.contains("POLYMARKET_SIGNATURE_TYPE=3"), "{fix}");
    assert!(fix.contains("POLYMARKET_FUNDER"), "{fix}");
}
