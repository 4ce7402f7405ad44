//! Polymarket books of the simulator: how a quote becomes five levels a side, how the DOWN book
//! mirrors the UP book, the level changes between two books, and the wire JSON of each event.
//!
//! Prices are integers in 1e-4 (the pipeline's `PX_SCALE`), sizes in 1e-2 shares (the venue's
//! two size decimals), so a client that applies the `price_change` levels exactly ends with the
//! same book. Books are kept best level first; the wire lists them best level last, as
//! Polymarket does.

use serde_json::{json, Value};

/// 1.0 in price units.
pub const PX_ONE: u32 = 10_000;
/// The normal tick (0.01) and the fine tick used near 0 and 1 (0.001), in price units.
pub const TICK_NORMAL: u32 = 100;
pub const TICK_FINE: u32 = 10;
/// Levels quoted per side.
pub const LEVELS: usize = 5;

/// One price level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SimLevel {
    /// Price in 1e-4 units.
    pub price_e4: u32,
    /// Resting size in 1e-2 shares.
    pub size_e2: u64,
}

/// A token's book, best level first on both sides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimBook {
    /// Tick size in 1e-4 units (100 = 0.01, 10 = 0.001).
    pub tick_e4: u32,
    pub bids: Vec<SimLevel>,
    pub asks: Vec<SimLevel>,
}

impl SimBook {
    pub fn best_bid(&self) -> Option<SimLevel> {
        self.bids.first().copied()
    }
    pub fn best_ask(&self) -> Option<SimLevel> {
        self.asks.first().copied()
    }

    /// Content hash of the book, "0x" + 40 hex chars (not the venue's SHA-1, but it changes
    /// exactly when the levels do, so a client can check it is in sync).
    pub fn hash(&self) -> String {
        book_hash(&self.bids, &self.asks)
    }
}

/// The tick a quote trades on: fine beyond 0.96 / below 0.04.
pub fn tick_for(q: f64) -> u32 {
    if !(0.04..=0.96).contains(&q) {
        TICK_FINE
    } else {
        TICK_NORMAL
    }
}

/// The UP book for a quote `q` (probability), `spread_ticks` (1 or 2) wide, one tick between
/// levels, with these sizes (best first). Levels outside (0, 1) are left out.
pub fn quote_book(q: f64, tick_e4: u32, spread_ticks: u32, sizes: &[[u64; LEVELS]; 2]) -> SimBook {
    let tick = tick_e4 as f64 / PX_ONE as f64;
    let q = q.clamp(0.01, 0.99);
    let bid0 = ((q - spread_ticks as f64 * tick / 2.0) / tick).round() as i64 * tick_e4 as i64;
    let ask0 = bid0 + (spread_ticks * tick_e4) as i64;
    let t = tick_e4 as i64;
    let in_range = |p: i64| p >= t && p <= PX_ONE as i64 - t;
    let bids = (0..LEVELS)
        .map(|k| (bid0 - k as i64 * t, sizes[0][k]))
        .filter(|&(p, _)| in_range(p))
        .map(|(p, s)| SimLevel {
            price_e4: p as u32,
            size_e2: s,
        })
        .collect();
    let asks = (0..LEVELS)
        .map(|k| (ask0 + k as i64 * t, sizes[1][k]))
        .filter(|&(p, _)| in_range(p))
        .map(|(p, s)| SimLevel {
            price_e4: p as u32,
            size_e2: s,
        })
        .collect();
    SimBook {
        tick_e4,
        bids,
        asks,
    }
}

/// The DOWN book of an UP book: DOWN bid = 1 − UP ask, DOWN ask = 1 − UP bid, same sizes.
pub fn complement(up: &SimBook) -> SimBook {
    let flip = |l: &SimLevel| SimLevel {
        price_e4: PX_ONE - l.price_e4,
        size_e2: l.size_e2,
    };
    SimBook {
        tick_e4: up.tick_e4,
        bids: up.asks.iter().map(flip).collect(),
        asks: up.bids.iter().map(flip).collect(),
    }
}

/// Side of a level change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookSide {
    /// "BUY"
    Bid,
    /// "SELL"
    Ask,
}

impl BookSide {
    pub fn wire(self) -> &'static str {
        match self {
            BookSide::Bid => "BUY",
            BookSide::Ask => "SELL",
        }
    }
}

/// One level change: the new resting size at a price (0 removes the level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelChange {
    pub side: BookSide,
    pub price_e4: u32,
    pub size_e2: u64,
}

/// The level changes that turn `old` into `new`: removals first, then new or resized levels.
pub fn diff(old: &SimBook, new: &SimBook) -> Vec<LevelChange> {
    let mut out = Vec::new();
    for (side, o, n) in [
        (BookSide::Bid, &old.bids, &new.bids),
        (BookSide::Ask, &old.asks, &new.asks),
    ] {
        for l in o {
            if !n.iter().any(|x| x.price_e4 == l.price_e4) {
                out.push(LevelChange {
                    side,
                    price_e4: l.price_e4,
                    size_e2: 0,
                });
            }
        }
        for l in n {
            if !o.iter().any(|x| x == l) {
                out.push(LevelChange {
                    side,
                    price_e4: l.price_e4,
                    size_e2: l.size_e2,
                });
            }
        }
    }
    out
}

/// Apply one change to a book (best first kept). The reference any client can follow.
pub fn apply(book: &mut SimBook, c: &LevelChange) {
    let is_bid = c.side == BookSide::Bid;
    let levels = if is_bid {
        &mut book.bids
    } else {
        &mut book.asks
    };
    levels.retain(|l| l.price_e4 != c.price_e4);
    if c.size_e2 > 0 {
        let better = |p: u32| {
            if is_bid {
                p > c.price_e4
            } else {
                p < c.price_e4
            }
        };
        let at = levels.partition_point(|l| better(l.price_e4));
        levels.insert(
            at,
            SimLevel {
                price_e4: c.price_e4,
                size_e2: c.size_e2,
            },
        );
    }
}

/// A price in 1e-4 units as the venue writes it: "0.48", "0.5", "0.961".
pub fn fmt_price(p_e4: u32) -> String {
    trim(format!("{}.{:04}", p_e4 / PX_ONE, p_e4 % PX_ONE))
}

/// A size in 1e-2 shares as the venue writes it: "120.5", "200".
pub fn fmt_size(s_e2: u64) -> String {
    trim(format!("{}.{:02}", s_e2 / 100, s_e2 % 100))
}

fn trim(mut s: String) -> String {
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s
}

/// Tick size as the venue writes it.
pub fn fmt_tick(tick_e4: u32) -> String {
    fmt_price(tick_e4)
}

fn fnv1a(basis: u64, bytes: &[u8]) -> u64 {
    let mut h = basis;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// Content hash of a book's levels (best first on both sides): "0x" + 40 hex chars.
pub fn book_hash(bids: &[SimLevel], asks: &[SimLevel]) -> String {
    let mut text = String::with_capacity(256);
    for l in bids {
        text.push_str(&format!("b{}:{};", l.price_e4, l.size_e2));
    }
    for l in asks {
        text.push_str(&format!("a{}:{};", l.price_e4, l.size_e2));
    }
    let a = fnv1a(0xcbf2_9ce4_8422_2325, text.as_bytes());
    let b = fnv1a(a ^ 0x1234_5678_9abc_def1, text.as_bytes());
    // 40 hex digits, no `0x`, as the venue writes its SHA-1 (tests/data/venue/polymarket).
    format!("{:016x}{:016x}{:08x}", a, b, (a ^ b) as u32)
}

fn wire_levels(levels: &[SimLevel]) -> Value {
    // Best level last, as the venue sends them.
    Value::Array(
        levels
            .iter()
            .rev()
            .map(|l| json!({"price": fmt_price(l.price_e4), "size": fmt_size(l.size_e2)}))
            .collect(),
    )
}

/// The name a client gives a `book` or `price_change` event (one token's) when an order it
/// triggered is measured: `pipeline::events::book_frame_tag` of its timestamp and hash, read
/// back from the event as the client reads it. 0 for other events.
pub fn update_tag(ev: &Value) -> u64 {
    let ts = ev["timestamp"].as_str().and_then(|t| t.parse::<u64>().ok());
    let hash = match ev["event_type"].as_str() {
        Some("book") => ev["hash"].as_str(),
        Some("price_change") => ev["price_changes"]
            .as_array()
            .and_then(|c| c.last())
            .and_then(|c| c["hash"].as_str()),
        _ => None,
    };
    match (ts, hash) {
        (Some(ts), Some(h)) => crate::pipeline::events::book_frame_tag(
            ts,
            crate::feeds::polymarket::parse::hash64(h.as_bytes()),
        ),
        _ => 0,
    }
}

/// The `book` event of a token.
pub fn book_event(token: &str, market: &str, book: &SimBook, ts_ms: u64) -> Value {
    json!({
        "event_type": "book",
        "asset_id": token,
        "market": market,
        "bids": wire_levels(&book.bids),
        "asks": wire_levels(&book.asks),
        "timestamp": ts_ms.to_string(),
        "hash": book.hash(),
    })
}

/// The `GET /book` summary of a token.
pub fn book_summary(token: &str, market: &str, book: &SimBook, ts_ms: u64, last: u32) -> Value {
    json!({
        "market": market,
        "asset_id": token,
        "timestamp": ts_ms.to_string(),
        "hash": book.hash(),
        "bids": wire_levels(&book.bids),
        "asks": wire_levels(&book.asks),
        "min_order_size": "5",
        "tick_size": fmt_tick(book.tick_e4),
        "neg_risk": false,
        "last_trade_price": fmt_price(last),
    })
}

/// The `price_change` event for one token's changes; `book` is the book after them.
pub fn price_change_event(
    token: &str,
    market: &str,
    changes: &[LevelChange],
    book: &SimBook,
    ts_ms: u64,
) -> Value {
    let hash = book.hash();
    let best_bid = book.best_bid().map_or(0, |l| l.price_e4);
    let best_ask = book.best_ask().map_or(PX_ONE, |l| l.price_e4);
    let entries: Vec<Value> = changes
        .iter()
        .map(|c| {
            json!({
                "asset_id": token,
                "price": fmt_price(c.price_e4),
                "size": fmt_size(c.size_e2),
                "side": c.side.wire(),
                "hash": hash,
                "best_bid": fmt_price(best_bid),
                "best_ask": fmt_price(best_ask),
            })
        })
        .collect();
    json!({
        "event_type": "price_change",
        "market": market,
        "timestamp": ts_ms.to_string(),
        "price_changes": entries,
    })
}

pub fn tick_size_change_event(token: &str, market: &str, old: u32, new: u32, ts_ms: u64) -> Value {
    json!({
        "event_type": "tick_size_change",
        "asset_id": token,
        "market": market,
        "old_tick_size": fmt_tick(old),
        "new_tick_size": fmt_tick(new),
        "timestamp": ts_ms.to_string(),
    })
}

pub fn last_trade_event(
    token: &str,
    market: &str,
    side: BookSide,
    price_e4: u32,
    size_e2: u64,
    ts_ms: u64,
) -> Value {
    json!({
        "event_type": "last_trade_price",
        "asset_id": token,
        "market": market,
        "price": fmt_price(price_e4),
        "side": side.wire(),
        "size": fmt_size(size_e2),
        "fee_rate_bps": "0",
        "timestamp": ts_ms.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [[u64; LEVELS]; 2] = [[100, 200, 300, 400, 500], [150, 250, 350, 450, 550]];

    #[test]
    fn quote_shape() {
        let b = quote_book(0.503, TICK_NORMAL, 2, &SIZES);
        assert_eq!(b.best_bid().map(|l| l.price_e4), Some(4900));
        assert_eq!(b.best_ask().map(|l| l.price_e4), Some(5100));
        assert_eq!(b.bids.len(), 5);
        assert_eq!(b.bids[4].price_e4, 4500);
        assert_eq!(b.asks[4].price_e4, 5500);
        let b1 = quote_book(0.5, TICK_NORMAL, 1, &SIZES);
        let (bb, ba) = (b1.bids[0].price_e4, b1.asks[0].price_e4);
        assert_eq!(ba - bb, 100);
        // Near 1 the asks beyond 0.99 disappear.
        let hi = quote_book(0.99, TICK_NORMAL, 2, &SIZES);
        assert!(hi.asks.iter().all(|l| l.price_e4 <= 9900));
        let fine = quote_book(0.975, TICK_FINE, 2, &SIZES);
        assert_eq!(fine.asks[0].price_e4 - fine.bids[0].price_e4, 20);
        assert_eq!(tick_for(0.97), TICK_FINE);
        assert_eq!(tick_for(0.5), TICK_NORMAL);
        assert_eq!(tick_for(0.03), TICK_FINE);
    }

    #[test]
    fn down_is_the_complement() {
        let up = quote_book(0.62, TICK_NORMAL, 2, &SIZES);
        let down = complement(&up);
        assert_eq!(
            down.best_bid().map(|l| l.price_e4),
            Some(PX_ONE - up.asks[0].price_e4)
        );
        assert_eq!(
            down.best_ask().map(|l| l.price_e4),
            Some(PX_ONE - up.bids[0].price_e4)
        );
        assert!(down.bids.windows(2).all(|w| w[0].price_e4 > w[1].price_e4));
        assert!(down.asks.windows(2).all(|w| w[0].price_e4 < w[1].price_e4));
        assert_eq!(complement(&down), up);
    }

    #[test]
    fn diff_then_apply_reproduces_the_book() {
        let mut sizes = SIZES;
        let old = quote_book(0.41, TICK_NORMAL, 2, &SIZES);
        for (q, tick) in [
            (0.47, TICK_NORMAL),
            (0.455, TICK_NORMAL),
            (0.97, TICK_FINE),
            (0.2, TICK_NORMAL),
        ] {
            sizes[0][1] += 7;
            let new = quote_book(q, tick, 1, &sizes);
            let mut b = old.clone();
            for c in diff(&old, &new) {
                apply(&mut b, &c);
            }
            b.tick_e4 = new.tick_e4;
            assert_eq!(b, new, "q={q}");
            assert_eq!(book_hash(&b.bids, &b.asks), new.hash());
        }
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn wire_formats() {
        assert_eq!(fmt_price(4800), "0.48");
        assert_eq!(fmt_price(5000), "0.5");
        assert_eq!(fmt_price(9610), "0.961");
        assert_eq!(fmt_price(10), "0.001");
        assert_eq!(fmt_size(12050), "120.5");
        assert_eq!(fmt_size(20000), "200");
        assert_eq!(fmt_size(0), "0");
        let b = quote_book(0.5, TICK_NORMAL, 2, &SIZES);
        let ev = book_event("1", "0xab", &b, 5);
        let bids = ev["bids"].as_array().cloned().unwrap_or_default();
        // Best bid last.
        assert_eq!(bids.last().map(|l| l["price"].clone()), Some(json!("0.49")));
        let asks = ev["asks"].as_array().cloned().unwrap_or_default();
        assert_eq!(asks.last().map(|l| l["price"].clone()), Some(json!("0.51")));
        // 40 hex digits without `0x`, as the captured book (tests/data/venue/polymarket).
        let h = book_hash(&b.bids, &b.asks);
        assert_eq!(h.len(), 40);
        assert!(h.bytes().all(|c| c.is_ascii_hexdigit()), "{h}");
        // A client names the update by its timestamp and hash.
        assert_eq!(
            update_tag(&ev),
            crate::pipeline::events::book_frame_tag(
                5,
                crate::feeds::polymarket::parse::hash64(h.as_bytes())
            )
        );
        assert_eq!(update_tag(&json!({"event_type": "last_trade_price"})), 0);
    }
}
