//! The order task: for each request, build the order, sign it (EIP-712 via the product's
//! `OrderSigner`, i.e. ethers / k256) on the fly, serialise the body with `serde_json`,
//! authenticate it (L2 HMAC via the product's `L2Signer`) and post it with async `reqwest` in a
//! spawned task that parses the JSON answer. Every post is awaited before the task ends.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use cassandra::clob::amounts::{marketable_order_amounts, MarketRules, TickSize};
use cassandra::clob::auth::{
    Credentials, L2Signer, POLY_ADDRESS, POLY_API_KEY, POLY_PASSPHRASE, POLY_SIGNATURE,
    POLY_TIMESTAMP,
};
use cassandra::clob::order::{
    Address, Bytes32, Chain, Exchange, OrderV2, OrderVersion, Side, SignatureType, TokenId,
    SALT_MAX,
};
use cassandra::clob::sign::{OrderSigner, PrivateKey};
use cassandra::sim::wire::TRIGGER_HEADER;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::messages::{OrderRequest, OrderResponse, PostOrder, WireOrder};
use super::{AsyncBaselineConfig, Counters};

/// The FAK refusal text of the venue (nothing to fill at the limit).
const FAK_KILLED_PREFIX: &str = "no orders found to match with FAK order";

const ZERO_BYTES32: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

/// Everything needed to sign and send, built once at start.
pub struct OrderSender {
    http: reqwest::Client,
    url: String,
    signer: OrderSigner,
    address: Address,
    l2: L2Signer,
    creds: Credentials,
    version: OrderVersion,
}

#[derive(Deserialize)]
struct VersionReply {
    version: u8,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl OrderSender {
    /// Parses the key, keys the HMAC and asks the CLOB which order version it takes.
    pub async fn new(cfg: &AsyncBaselineConfig, http: reqwest::Client) -> anyhow::Result<Self> {
        let key = PrivateKey::parse_hex(&cfg.key_hex)?;
        let address = key.address();
        let base = cfg.http.trim_end_matches('/');
        let v: VersionReply = http
            .get(format!("{base}/version"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let version = match v.version {
            3 => OrderVersion::V3,
            _ => OrderVersion::V2,
        };
        Ok(OrderSender {
            http,
            url: format!("{base}/order"),
            signer: OrderSigner::new(key, Chain::Polygon),
            address,
            l2: L2Signer::new(&cfg.creds)?,
            creds: cfg.creds.clone(),
            version,
        })
    }

    /// The signed, serialised body of a FAK BUY.
    fn build(&self, req: &OrderRequest) -> anyhow::Result<Vec<u8>> {
        let tick_u6 = u64::from(req.tick_e4) * 100;
        let tick = TickSize::ALL
            .into_iter()
            .find(|t| t.tick_u6() == tick_u6)
            .ok_or_else(|| anyhow::anyhow!("tick {} not supported", req.tick_e4))?;
        // A FAK carries market-order amounts (maker ≤ 2 decimals, taker ≤ 4): the venue
        // refuses limit rounding for marketable orders.
        let amounts = marketable_order_amounts(
            Side::Buy,
            u64::from(req.price_e4) * 100,
            req.size_e6,
            MarketRules {
                tick,
                min_size_u6: req.min_size_e6,
            },
        )?;
        let order = OrderV2 {
            salt: rand::random::<u64>() & SALT_MAX,
            maker: self.address,
            signer: self.address,
            token_id: TokenId::parse_decimal(&req.token)
                .map_err(|e| anyhow::anyhow!("token id: {e:?}"))?,
            maker_amount_u6: amounts.maker_amount_u6,
            taker_amount_u6: amounts.taker_amount_u6,
            side: Side::Buy,
            signature_type: SignatureType::Eoa,
            timestamp_ms: now_ms(),
            metadata: Bytes32::ZERO,
            builder: Bytes32::ZERO,
            expiration_s: 0,
        };
        let exchange = Exchange::select(self.version, req.neg_risk);
        let signature = self.signer.sign_order(exchange, &order)?;
        let body = PostOrder {
            order: WireOrder {
                salt: order.salt,
                maker: self.address.as_str().to_string(),
                signer: self.address.as_str().to_string(),
                token_id: req.token.clone(),
                maker_amount: order.maker_amount_u6.to_string(),
                taker_amount: order.taker_amount_u6.to_string(),
                side: "BUY".to_string(),
                expiration: "0".to_string(),
                signature_type: SignatureType::Eoa as u8,
                timestamp: order.timestamp_ms.to_string(),
                metadata: ZERO_BYTES32.to_string(),
                builder: ZERO_BYTES32.to_string(),
                signature: signature.to_hex(),
            },
            owner: self.creds.api_key().to_string(),
            order_type: "FAK".to_string(),
            defer_exec: false,
            post_only: false,
        };
        Ok(serde_json::to_vec(&body)?)
    }

    /// Authenticates and posts one body; the outcome goes to the counters.
    fn post(
        &self,
        body: Vec<u8>,
        trigger_seq: u64,
    ) -> impl std::future::Future<Output = Outcome> + Send + 'static {
        let ts = now_ms() / 1000;
        let signature = self.l2.sign(ts, "POST", "/order", Some(&body));
        let request = self
            .http
            .post(&self.url)
            .header(POLY_ADDRESS, self.address.as_str())
            .header(POLY_SIGNATURE, signature)
            .header(POLY_TIMESTAMP, ts.to_string())
            .header(POLY_API_KEY, self.creds.api_key())
            .header(POLY_PASSPHRASE, self.creds.passphrase())
            .header(TRIGGER_HEADER, trigger_seq.to_string())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        async move {
            let resp = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!("post /order: {e}");
                    return Outcome::Error;
                }
            };
            let status = resp.status();
            let reply: OrderResponse = resp.json().await.unwrap_or_default();
            if status.is_success() && reply.success {
                Outcome::Ok
            } else if reply.error.starts_with(FAK_KILLED_PREFIX) {
                Outcome::Killed
            } else {
                tracing::debug!("post /order: {status} {reply:?}");
                Outcome::Error
            }
        }
    }
}

enum Outcome {
    Ok,
    Killed,
    Error,
}

/// Signs and posts every request until the channel closes, then waits for the posts.
pub async fn run(
    sender: OrderSender,
    mut requests: mpsc::Receiver<OrderRequest>,
    counters: Arc<Counters>,
) {
    let mut posts = JoinSet::new();
    while let Some(req) = requests.recv().await {
        let body = match sender.build(&req) {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!("build order: {e:#}");
                counters.build_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        counters.orders_sent.fetch_add(1, Ordering::Relaxed);
        let post = sender.post(body, req.trigger_seq);
        let c = counters.clone();
        posts.spawn(async move {
            let counter = match post.await {
                Outcome::Ok => &c.orders_ok,
                Outcome::Killed => &c.orders_killed,
                Outcome::Error => &c.order_errors,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        });
        // Reap finished posts so the set does not grow over a long run.
        while posts.try_join_next().is_some() {}
    }
    while posts.join_next().await.is_some() {}
}
