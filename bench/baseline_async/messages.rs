//! Wire structs, parsed with `serde_json` into owned `String` fields as typical bots do, and
//! the events the tasks send each other.

use cassandra::pipeline::control::FeeParams;
use cassandra::pipeline::events::Level;
use serde::{Deserialize, Serialize};

/// Binance combined stream envelope:
/// `{"stream":"btcusdt@trade","data":{"e":"trade","E":..,"s":"BTCUSDT","t":1,"p":"97012.35",
/// "q":"0.01","T":..,"m":false,"M":true}}`.
#[derive(Debug, Deserialize)]
pub struct BinanceCombined {
    pub stream: String,
    pub data: BinanceTrade,
}

#[derive(Debug, Deserialize)]
pub struct BinanceTrade {
    #[serde(rename = "e")]
    pub event_type: String,
    #[serde(rename = "E")]
    pub event_time: u64,
    #[serde(rename = "s")]
    pub symbol: String,
    /// Trade id: the sequence the simulator stamps the frame's send time under.
    #[serde(rename = "t")]
    pub trade_id: u64,
    #[serde(rename = "p")]
    pub price: String,
    #[serde(rename = "q")]
    pub quantity: String,
    #[serde(rename = "T")]
    pub trade_time: u64,
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// One price level on the Polymarket wire: `{"price":"0.51","size":"120.5"}`.
#[derive(Debug, Deserialize)]
pub struct PolyLevel {
    pub price: String,
    pub size: String,
}

/// `{"event_type":"book","asset_id":..,"market":..,"bids":[..],"asks":[..],"timestamp":..,
/// "hash":..}`, levels best last.
#[derive(Debug, Deserialize)]
pub struct PolyBook {
    pub asset_id: String,
    pub market: String,
    pub bids: Vec<PolyLevel>,
    pub asks: Vec<PolyLevel>,
    pub timestamp: String,
    #[serde(default)]
    pub hash: String,
}

/// `{"event_type":"price_change","market":..,"timestamp":..,"price_changes":[..]}`.
#[derive(Debug, Deserialize)]
pub struct PolyPriceChange {
    pub market: String,
    pub timestamp: String,
    pub price_changes: Vec<PolyChange>,
}

/// One changed level: the new total size at `price` on `side` ("BUY" bids, "SELL" asks).
#[derive(Debug, Deserialize)]
pub struct PolyChange {
    pub asset_id: String,
    pub price: String,
    pub size: String,
    pub side: String,
    #[serde(default)]
    pub best_bid: Option<String>,
    #[serde(default)]
    pub best_ask: Option<String>,
}

/// `{"event_type":"tick_size_change","asset_id":..,"old_tick_size":..,"new_tick_size":..}`.
#[derive(Debug, Deserialize)]
pub struct PolyTickSizeChange {
    pub asset_id: String,
    pub new_tick_size: String,
}

/// Chainlink envelope: `{"v":1,"channel":"price.crypto","seq":..,"ts":..,"payload":..}` with
/// an array payload for the snapshot, an object for each update.
#[derive(Debug, Deserialize)]
pub struct ChainlinkEnvelope {
    pub channel: String,
    pub payload: serde_json::Value,
}

/// `{"symbol":"btcusd","value":97001.5,"full_accuracy_value":"..","timestamp":<ms>,..}`.
#[derive(Debug, Deserialize)]
pub struct ChainlinkPrice {
    pub symbol: String,
    pub value: f64,
    /// Observation time, Unix ms.
    pub timestamp: u64,
}

/// What the ingest and discovery tasks send the strategy task.
#[derive(Debug)]
pub enum Event {
    /// A Binance trade: the trigger.
    Trade { trade_id: u64, price: f64 },
    /// A token's book changed: its asks best first, its tick.
    Book {
        token: String,
        asks: Vec<Level>,
        tick_e4: u16,
    },
    /// A Chainlink observation.
    Oracle { ts_ms: u64, price: f64 },
    /// The current window, as discovered.
    Window(WindowInfo),
}

/// One Up/Down window of the traded asset.
#[derive(Clone, Debug)]
pub struct WindowInfo {
    pub slug: String,
    pub start_s: u64,
    pub end_s: u64,
    pub up_token: String,
    pub down_token: String,
    pub min_size_e6: u64,
    pub neg_risk: bool,
    pub fees: FeeParams,
}

/// What the strategy asks the order task to send.
#[derive(Clone, Debug)]
pub struct OrderRequest {
    /// Binance trade id of the triggering frame (`x-trigger-seq`).
    pub trigger_seq: u64,
    pub token: String,
    pub price_e4: u32,
    pub size_e6: u64,
    pub tick_e4: u16,
    pub min_size_e6: u64,
    pub neg_risk: bool,
}

/// `POST /order` body, serialised by serde in the venue's key order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostOrder {
    pub order: WireOrder,
    pub owner: String,
    pub order_type: String,
    pub defer_exec: bool,
    pub post_only: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireOrder {
    pub salt: u64,
    pub maker: String,
    pub signer: String,
    pub token_id: String,
    pub maker_amount: String,
    pub taker_amount: String,
    pub side: String,
    pub expiration: String,
    pub signature_type: u8,
    pub timestamp: String,
    pub metadata: String,
    pub builder: String,
    pub signature: String,
}

/// The venue's answer to `POST /order` (success or refusal).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub error_msg: String,
    #[serde(default, rename = "orderID")]
    pub order_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub error: String,
}

/// A decimal string as f64 (`"0.51"`), `None` when it is not a number.
pub fn parse_f64(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}
