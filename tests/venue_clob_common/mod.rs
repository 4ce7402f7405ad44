//! Shared helpers for the strict-CLOB tests (`sim_clob_rules.rs`, `sim_clob_lifecycle.rs`):
//! a simulator with frozen books, traders with API keys the simulated CLOB knows, signed
//! order bodies of any amounts and wallet, and L2-authenticated requests over HTTP.
#![allow(dead_code)]

use cassandra::clob::amounts::{
    limit_order_amounts, marketable_order_amounts, MarketRules, TickSize,
};
use cassandra::clob::auth::{Credentials, L2Headers, L2Signer};
use cassandra::clob::body::{write_post_order_body, PostOptions};
use cassandra::clob::order::{
    Address, Bytes32, Chain, Exchange, OrderType, OrderV2, Side, SignatureType, SignedOrder,
    TokenId,
};
use cassandra::clob::sign::{OrderSigner, PrivateKey};
use cassandra::sim::{SimBook, SimClob, SimConfig, Simulator};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

static SALT: AtomicU64 = AtomicU64::new(7_000_000);

pub fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A key, its API credentials, and the wallet it trades for.
pub struct Trader {
    pub signer: OrderSigner,
    pub creds: Credentials,
    pub l2: L2Signer,
    /// The wallet that holds the funds (maker).
    pub maker: Address,
    pub signature_type: SignatureType,
    /// `POLY_ADDRESS` of its requests (the EOA its API key belongs to).
    pub auth_address: Address,
}

impl Trader {
    pub fn eoa(&self) -> Address {
        *self.signer.address()
    }
}

/// The key `key_byte` repeated.
pub fn key(key_byte: u8) -> PrivateKey {
    PrivateKey::parse_hex(&format!("0x{}", format!("{key_byte:02x}").repeat(32))).unwrap()
}

/// The signer of key `key_byte` repeated (the key `Venue::eoa_trader` uses).
pub fn signer(key_byte: u8) -> OrderSigner {
    let key =
        PrivateKey::parse_hex(&format!("0x{}", format!("{key_byte:02x}").repeat(32))).unwrap();
    OrderSigner::new(key, Chain::Polygon)
}

pub struct Venue {
    pub sim: Simulator,
    pub http: reqwest::blocking::Client,
    pub token: String,
}

/// An answer: HTTP status, body text, `Retry-After` if any.
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON {:?}: {e}", self.text))
    }
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_string()
    }
}

impl Venue {
    pub fn start() -> Venue {
        Venue::start_with(SimConfig {
            poly_update_hz: 0.0,
            ..SimConfig::default()
        })
    }

    pub fn start_with(cfg: SimConfig) -> Venue {
        let sim = Simulator::start(cfg).expect("sim");
        let token = sim.current_window("BTC").expect("window").up_token;
        Venue {
            sim,
            http: reqwest::blocking::Client::new(),
            token,
        }
    }

    /// A trader whose key `key_byte` repeated makes; its EOA wallet, empty.
    pub fn eoa_trader(&self, key_byte: u8) -> Trader {
        let key =
            PrivateKey::parse_hex(&format!("0x{}", format!("{key_byte:02x}").repeat(32))).unwrap();
        let eoa = key.address();
        let creds = SimClob::derived_credentials(&eoa, 0);
        self.sim.clob().add_credentials(creds.clone(), eoa);
        Trader {
            signer: OrderSigner::new(key, Chain::Polygon),
            l2: L2Signer::new(&creds).unwrap(),
            creds,
            maker: eoa,
            signature_type: SignatureType::Eoa,
            auth_address: eoa,
        }
    }

    pub fn book(&self) -> SimBook {
        self.sim.poly_book(&self.token).expect("book")
    }

    pub fn tick(&self) -> TickSize {
        TickSize::from_e4(self.book().tick_e4 as u16).expect("tick")
    }

    /// A signed body with these exact amounts.
    pub fn body_raw(
        &self,
        t: &Trader,
        side: Side,
        maker_u6: u64,
        taker_u6: u64,
        ot: OrderType,
    ) -> Vec<u8> {
        let signer_field = if t.signature_type == SignatureType::Poly1271 {
            t.maker
        } else {
            t.eoa()
        };
        let order = OrderV2 {
            salt: SALT.fetch_add(1, Ordering::SeqCst),
            maker: t.maker,
            signer: signer_field,
            token_id: TokenId::parse_decimal(&self.token).unwrap(),
            maker_amount_u6: maker_u6,
            taker_amount_u6: taker_u6,
            side,
            signature_type: t.signature_type,
            timestamp_ms: now_s() * 1000,
            metadata: Bytes32::ZERO,
            builder: Bytes32::ZERO,
            expiration_s: 0,
        };
        let signature = t.signer.sign_order(Exchange::CtfV2, &order).unwrap();
        let mut out = Vec::new();
        write_post_order_body(
            &mut out,
            &SignedOrder { order, signature },
            t.creds.api_key(),
            PostOptions::new(ot),
        )
        .unwrap();
        out
    }

    /// A body the venue takes: market-order amounts for FOK/FAK, limit amounts otherwise.
    pub fn body(
        &self,
        t: &Trader,
        side: Side,
        price_u6: u64,
        shares_u6: u64,
        ot: OrderType,
    ) -> Vec<u8> {
        let rules = MarketRules {
            tick: self.tick(),
            min_size_u6: 0,
        };
        let a = match ot {
            OrderType::Fok | OrderType::Fak => {
                marketable_order_amounts(side, price_u6, shares_u6, rules)
            }
            _ => limit_order_amounts(side, price_u6, shares_u6, rules),
        }
        .expect("amounts");
        self.body_raw(t, side, a.maker_amount_u6, a.taker_amount_u6, ot)
    }

    pub fn request(&self, t: &Trader, method: &str, path_query: &str, body: &[u8]) -> Answer {
        self.request_at(t, now_s(), method, path_query, body)
    }

    /// As [`Venue::request`] with `POLY_TIMESTAMP` = `ts`.
    pub fn request_at(
        &self,
        t: &Trader,
        ts: u64,
        method: &str,
        path_query: &str,
        body: &[u8],
    ) -> Answer {
        let path = path_query.split('?').next().unwrap();
        let h = L2Headers::new(
            &t.l2,
            &t.creds,
            &t.auth_address,
            ts,
            method,
            path,
            (!body.is_empty()).then_some(body),
        );
        let url = format!("{}{path_query}", self.sim.http_url());
        let mut req = self
            .http
            .request(method.parse().unwrap(), url)
            .body(body.to_vec());
        for (k, v) in h.pairs() {
            req = req.header(k, v);
        }
        if !body.is_empty() {
            req = req.header("Content-Type", "application/json");
        }
        let resp = req.send().expect("request");
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Answer {
            status,
            text: resp.text().unwrap(),
            retry_after,
        }
    }

    pub fn post(&self, t: &Trader, body: &[u8]) -> Answer {
        self.request(t, "POST", "/order", body)
    }

    /// `GET /balance-allowance/update` for the trader's wallet type.
    pub fn refresh(&self, t: &Trader) -> Answer {
        self.request(
            t,
            "GET",
            &format!(
                "/balance-allowance/update?asset_type=COLLATERAL&signature_type={}",
                t.signature_type as u8
            ),
            b"",
        )
    }
}

pub fn px_u6(price_e4: u32) -> u64 {
    u64::from(price_e4) * 100
}

/// Trade the window's dearer outcome (ask at least about 0.5), whatever the simulated market
/// did: a fixed-size marketable BUY of it is worth over the venue's $1, and its limit a cent
/// over the ask stays under 1.
pub fn pick_dearer_side(v: &mut Venue) {
    let w = v.sim.current_window("BTC").expect("window");
    let ask = |t: &str| {
        v.sim
            .poly_book(t)
            .and_then(|b| b.best_ask().map(|l| l.price_e4))
            .unwrap_or(0)
    };
    if ask(&w.down_token) > ask(&w.up_token) {
        v.token = w.down_token;
    }
}
