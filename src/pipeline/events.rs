//! Hot events: the small `Copy` structs that cross the rings between pinned threads.
//!
//! No heap, no `String`. Assets and tokens are small integer indexes into the registries built
//! when a window is set up; prices and sizes are fixed-point integers whose unit ends the name.
//! Every event carries the venue's time and the local receive stamp of the frame it came from,
//! so each later stage can record its latency from the wire.

/// Spot prices and quantities are integers in 1e-8 units.
pub const SPOT_SCALE: i64 = 100_000_000;
/// Polymarket prices are integers in 1e-4 units: every tick size (0.1 … 0.0001) is a whole number of them.
pub const PX_SCALE: u32 = 10_000;
/// Polymarket sizes and USDC amounts are integers in 1e-6 units, the venue's token decimals.
pub const SIZE_SCALE: u64 = 1_000_000;
/// Levels per side carried in a [`BookTop`]: enough to walk the book for the sizes we trade.
pub const BOOK_DEPTH: usize = 5;

/// Index of an asset (BTC, ETH, …) in the asset registry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId(pub u8);

/// Index of a Polymarket outcome token in the token registry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(pub u16);

/// Which side of a binary window a token pays on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Outcome {
    #[default]
    Up,
    Down,
}

/// Order side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Side {
    #[default]
    Buy,
    Sell,
}

/// Stage stamps carried from the wire: when the frame's bytes were read and when it was parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireStamps {
    /// `clock::mono_ns` when the frame was taken off the socket.
    pub read_ns: u64,
    /// `clock::mono_ns` when parsing finished.
    pub parsed_ns: u64,
}

/// What kind of Binance event produced a [`SpotTick`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpotKind {
    #[default]
    Trade,
    /// Best bid/ask; `price_e8` is the mid, `qty_e8` the smaller of the two sizes.
    BookTicker,
}

/// One spot price observation from Binance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpotTick {
    pub asset: AssetId,
    pub kind: SpotKind,
    pub price_e8: i64,
    pub qty_e8: i64,
    /// Venue event time in ms (trade time for trades; receive wall time for bookTicker, which has none).
    pub venue_ts_ms: u64,
    /// Trade id or book update id: the venue's sequence.
    pub seq: u64,
    pub stamps: WireStamps,
}

impl SpotTick {
    #[inline]
    pub fn price(&self) -> f64 {
        self.price_e8 as f64 / SPOT_SCALE as f64
    }
}

/// One price level of a Polymarket book.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Level {
    pub price_e4: u32,
    pub size_e6: u64,
}

/// Top of a Polymarket L2 book after an update: best levels each side, best first.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BookTop {
    pub token: TokenId,
    pub bids: [Level; BOOK_DEPTH],
    pub asks: [Level; BOOK_DEPTH],
    pub n_bids: u8,
    pub n_asks: u8,
    /// Current tick size in 1e-4 units.
    pub tick_e4: u16,
    pub venue_ts_ms: u64,
    /// First 64 bits of the book `hash` of the update that last changed this book (0: none).
    pub venue_hash64: u64,
    pub stamps: WireStamps,
}

impl BookTop {
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        (self.n_bids > 0).then(|| self.bids[0])
    }
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        (self.n_asks > 0).then(|| self.asks[0])
    }
    #[inline]
    pub fn asks(&self) -> &[Level] {
        &self.asks[..self.n_asks as usize]
    }
    #[inline]
    pub fn bids(&self) -> &[Level] {
        &self.bids[..self.n_bids as usize]
    }
}

/// A trade printed on a Polymarket token (`last_trade_price`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PolyTrade {
    pub token: TokenId,
    pub side: Side,
    pub price_e4: u32,
    pub size_e6: u64,
    pub venue_ts_ms: u64,
    pub stamps: WireStamps,
}

/// A Chainlink (resolution source) price for an asset.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OraclePrice {
    pub asset: AssetId,
    pub price_e8: i64,
    /// The oracle's own observation time in ms.
    pub venue_ts_ms: u64,
    pub stamps: WireStamps,
}

/// What `poly-ingest` hands to `signal`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PolyEvent {
    Book(BookTop),
    Trade(PolyTrade),
    Oracle(OraclePrice),
}

impl PolyEvent {
    #[inline]
    pub fn stamps(&self) -> WireStamps {
        match self {
            PolyEvent::Book(b) => b.stamps,
            PolyEvent::Trade(t) => t.stamps,
            PolyEvent::Oracle(o) => o.stamps,
        }
    }
}

/// Time-in-force of an order sent to the CLOB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderType {
    /// Fill what is possible now, cancel the rest.
    #[default]
    Fak,
    /// Fill fully now or cancel.
    Fok,
}

/// The venue's name for the frame that triggered a decision, for wire-to-wire measurement
/// (`sim::wire`): the venue can then tell when it sent that frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TriggerTag {
    /// Nothing names the frame (a book event without a hash, a timer).
    #[default]
    None,
    /// A Binance trade frame: its trade id.
    Binance(u64),
    /// A Polymarket book update: [`book_frame_tag`] of its timestamp and hash.
    Book(u64),
}

/// A market-channel book update's tag: its `timestamp` (ms) and the first 64 bits of the
/// book `hash` it carries. The venue has no sequence number on that channel; the pair names
/// one update (a repeated pair is the simulator's to notice).
#[inline]
pub fn book_frame_tag(ts_ms: u64, hash64: u64) -> u64 {
    hash64 ^ ts_ms.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A decision by `signal` to buy a token, for `order` to execute.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OrderIntent {
    /// Unique per process run; ties the intent to its `ExecReport`.
    pub intent_id: u64,
    pub asset: AssetId,
    pub token: TokenId,
    pub outcome: Outcome,
    pub side: Side,
    pub order_type: OrderType,
    /// Worst price we accept, 1e-4 units.
    pub limit_price_e4: u32,
    /// Shares to buy, 1e-6 units.
    pub size_e6: u64,
    /// Model probability of this outcome, ×1e6.
    pub fair_e6: u32,
    /// Expected edge net of fees per share, ×1e6 (may be negative in a snapshot, never in an intent).
    pub edge_e6: i32,
    /// Which strategy decided (`strategy::candidate::StrategyKind` as `u8`).
    pub strategy: u8,
    /// Window the intent belongs to (unix seconds of its start).
    pub window_start_s: u64,
    /// The market's fee parameters, for fills and fee accounting.
    pub fees: crate::pipeline::control::FeeParams,
    /// The book as it stood at decision time: paper fills walk it.
    pub book: BookTop,
    /// Stamps of the frame that triggered the decision.
    pub trigger: WireStamps,
    /// The venue's name for the triggering frame, for wire-to-wire measurement.
    pub trigger_tag: TriggerTag,
    pub decision_ns: u64,
}

/// Outcome of an order as the venue (or the paper engine) reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExecStatus {
    /// Filled (fully or partly) at once.
    #[default]
    Matched,
    /// Accepted but matching is delayed by the venue.
    Delayed,
    /// Accepted, nothing matched (FAK with no liquidity at the limit).
    Unmatched,
    /// Refused by the venue or by a local check.
    Rejected,
}

/// What `order` reports back to `signal` (and to the control side) for one intent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ExecReport {
    pub intent_id: u64,
    pub asset: AssetId,
    pub token: TokenId,
    pub outcome: Outcome,
    pub status: ExecStatus,
    /// Shares matched, 1e-6 units.
    pub filled_e6: u64,
    /// Tokens actually received after the fee taken in shares, 1e-6 units.
    pub received_e6: u64,
    /// USDC paid, 1e-6 units.
    pub cost_e6: u64,
    /// Fee charged, expressed in USDC 1e-6 units.
    pub fee_e6: u64,
    pub window_start_s: u64,
    pub decision_ns: u64,
    pub done_ns: u64,
}
