//! Polymarket market-channel frames applied to local L2 books.
//!
//! Wire shapes (`docs/venue/polymarket.md` §5): a frame is one event object or a JSON array of
//! them, tagged by `event_type`:
//! `{"event_type":"book","asset_id":"…","market":"0x…","bids":[{"price":".48","size":"30"}],"asks":[…],"timestamp":"123456789000","hash":"0x…"}`
//! `{"event_type":"price_change","market":"0x…","timestamp":"…","price_changes":[{"asset_id":"…","price":"0.5","size":"200","side":"BUY","hash":"…","best_bid":"0.5","best_ask":"1"}]}`
//! (and the pre-2025-09 form with a top-level `asset_id` and `changes`), `last_trade_price`,
//! `tick_size_change`, `best_bid_ask`, `new_market`, `market_resolved`. `size` in a change is the
//! level's new resting size; 0 removes it (real frames in `tests/data/venue/polymarket/`).
//! The keepalive answer is the bare text `PONG`.
//!
//! A `price_changes[]` entry may come without `size` (Polymarket's docs mark it optional): such an
//! entry says the price moved but not what rests there, so it changes no level; it is counted in
//! [`PolyBatch::unsized_changes`] and the frame's other entries still apply. `best_bid_ask`,
//! `new_market` and `market_resolved` are deliberately not applied (the L2 book is the source of
//! truth; discovery learns markets from Gamma) and counted in [`PolyBatch::ignored`]; an
//! `event_type` this build does not know is counted in [`PolyBatch::unknown`], so a new venue
//! event shows on the feed counters instead of vanishing.

use crate::feeds::decimal::{parse_e6, parse_price_e4, parse_u64};
use crate::feeds::json::{get_str, JsonScratch, Value};
use crate::pipeline::events::{PolyTrade, Side, TokenId};
use crate::pipeline::registry::{TokenTable, MAX_TOKENS};

use super::book::{BookSide, L2Book};

/// Trades one frame may carry before the rest are counted as dropped.
pub const MAX_TRADES_PER_FRAME: usize = 16;

/// What `poly-ingest` keeps: which tokens it follows and their books, indexed by `TokenId`.
pub struct PolyBooks {
    pub tokens: TokenTable,
    pub books: Vec<L2Book>,
    /// Updates refused because they were older than the book.
    pub stale_updates: u64,
}

impl Default for PolyBooks {
    fn default() -> Self {
        PolyBooks {
            tokens: TokenTable::with_capacity(MAX_TOKENS),
            books: (0..MAX_TOKENS).map(|_| L2Book::default()).collect(),
            stale_updates: 0,
        }
    }
}

/// What one frame changed: the tokens whose book moved, and trades printed.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolyBatch {
    /// Bit i set: the book of `TokenId(i)` changed.
    pub touched: u64,
    pub trades: [PolyTrade; MAX_TRADES_PER_FRAME],
    pub n_trades: usize,
    /// Events of kinds we know and do not use (counted, skipped).
    pub ignored: u32,
    /// Events whose `event_type` this build does not know (counted, skipped).
    pub unknown: u32,
    /// `price_changes[]` entries without `size` (no level changed).
    pub unsized_changes: u32,
}

impl PolyBatch {
    pub fn clear(&mut self) {
        self.touched = 0;
        self.n_trades = 0;
        self.ignored = 0;
        self.unknown = 0;
        self.unsized_changes = 0;
    }

    pub fn touched_tokens(&self) -> impl Iterator<Item = TokenId> + '_ {
        (0..MAX_TOKENS as u16)
            .filter(move |i| self.touched & (1u64 << i) != 0)
            .map(TokenId)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolyFrame {
    /// Events were applied (see the batch).
    Events,
    /// The keepalive answer.
    Pong,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolyParseError {
    #[error("not valid JSON")]
    Malformed,
    #[error("missing or mistyped field {0}")]
    Field(&'static str),
}

pub struct PolyParser {
    json: JsonScratch,
}

impl Default for PolyParser {
    fn default() -> Self {
        PolyParser {
            json: JsonScratch::new(256 << 10),
        }
    }
}

impl PolyParser {
    /// Parse one text frame in place and apply it to `state`; what changed goes in `batch`
    /// (cleared first). An event that fails half-way leaves earlier events of the frame applied.
    pub fn parse(
        &mut self,
        frame: &mut [u8],
        state: &mut PolyBooks,
        batch: &mut PolyBatch,
    ) -> Result<PolyFrame, PolyParseError> {
        batch.clear();
        if frame.trim_ascii() == b"PONG" {
            return Ok(PolyFrame::Pong);
        }
        self.json
            .parse(frame, |root| {
                if let Some(events) = root.as_array() {
                    for ev in events.iter() {
                        apply_event(ev, state, batch)?;
                    }
                    Ok(PolyFrame::Events)
                } else {
                    apply_event(root, state, batch).map(|_| PolyFrame::Events)
                }
            })
            .unwrap_or(Err(PolyParseError::Malformed))
    }
}

fn ts_of(ev: Value<'_, '_>) -> Result<u64, PolyParseError> {
    get_str(ev, "timestamp")
        .and_then(|t| parse_u64(t.as_bytes()))
        .or_else(|| {
            ev.get("timestamp")
                .and_then(|t| simd_json::prelude::ValueAsScalar::as_u64(&t))
        })
        .ok_or(PolyParseError::Field("timestamp"))
}

/// The first 64 bits of a `hash` field (40 hex digits on the venue, `0x` tolerated): with the
/// timestamp it names the update (`pipeline::events::book_frame_tag`). 0 when absent or not
/// hex.
pub fn hash64_of(v: Value<'_, '_>) -> u64 {
    get_str(v, "hash").map_or(0, |h| hash64(h.as_bytes()))
}

/// [`hash64_of`] on the field's text.
pub fn hash64(h: &[u8]) -> u64 {
    let h = h.strip_prefix(b"0x").unwrap_or(h);
    let mut x = 0u64;
    for &c in h.iter().take(16) {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return 0,
        };
        x = x << 4 | u64::from(d);
    }
    x
}

fn token_of(ev: Value<'_, '_>, state: &PolyBooks) -> Result<Option<u16>, PolyParseError> {
    let id = get_str(ev, "asset_id").ok_or(PolyParseError::Field("asset_id"))?;
    Ok(state.tokens.lookup(id.as_bytes()))
}

fn side_of(s: &str) -> Result<BookSide, PolyParseError> {
    match s {
        "BUY" | "buy" => Ok(BookSide::Bid),
        "SELL" | "sell" => Ok(BookSide::Ask),
        _ => Err(PolyParseError::Field("side")),
    }
}

fn apply_event(
    ev: Value<'_, '_>,
    state: &mut PolyBooks,
    batch: &mut PolyBatch,
) -> Result<(), PolyParseError> {
    let kind = get_str(ev, "event_type").ok_or(PolyParseError::Field("event_type"))?;
    match kind {
        "book" => apply_book(ev, state, batch),
        "price_change" => apply_price_change(ev, state, batch),
        "last_trade_price" => apply_trade(ev, state, batch),
        "tick_size_change" => {
            let Some(tok) = token_of(ev, state)? else {
                return Ok(());
            };
            let tick = get_str(ev, "new_tick_size")
                .and_then(|t| parse_price_e4(t.as_bytes()))
                .filter(|&t| t > 0)
                .ok_or(PolyParseError::Field("new_tick_size"))?;
            let book = &mut state.books[tok as usize];
            book.set_tick_e4(tick as u16);
            // This update names no book state: a decision it triggers must not carry the name
            // of an older update (it would be timed from that one's send).
            book.set_hash64(0);
            batch.touched |= 1 << tok;
            Ok(())
        }
        "best_bid_ask" | "new_market" | "market_resolved" => {
            batch.ignored += 1;
            Ok(())
        }
        _ => {
            batch.unknown += 1;
            Ok(())
        }
    }
}

fn levels<'t, 'i>(
    ev: Value<'t, 'i>,
    key: &'static str,
) -> Result<simd_json::tape::Array<'t, 'i>, PolyParseError> {
    ev.get(key)
        .and_then(|v| v.as_array())
        .ok_or(PolyParseError::Field(key))
}

fn level_of(l: Value<'_, '_>) -> Result<(u32, u64), PolyParseError> {
    // A price of 0 is no price (the venue's lie strictly between 0 and 1): as a level it
    // would be an ask at zero, so it is refused, not applied.
    let price = get_str(l, "price")
        .and_then(|p| parse_price_e4(p.as_bytes()))
        .filter(|&p| p > 0)
        .ok_or(PolyParseError::Field("price"))?;
    let size = get_str(l, "size")
        .and_then(|s| parse_e6(s.as_bytes()))
        .ok_or(PolyParseError::Field("size"))?;
    Ok((price, size))
}

fn apply_book(
    ev: Value<'_, '_>,
    state: &mut PolyBooks,
    batch: &mut PolyBatch,
) -> Result<(), PolyParseError> {
    let Some(tok) = token_of(ev, state)? else {
        return Ok(());
    };
    let ts = ts_of(ev)?;
    let (bids, asks) = (levels(ev, "bids")?, levels(ev, "asks")?);
    let book = &mut state.books[tok as usize];
    if book.is_stale(ts) {
        state.stale_updates += 1;
        return Ok(());
    }
    // Validate before touching the book, so a bad snapshot leaves the old one intact.
    for l in bids.iter().chain(asks.iter()) {
        level_of(l)?;
    }
    book.begin_snapshot(ts);
    for l in bids.iter() {
        let (p, s) = level_of(l)?;
        book.push_snapshot_level(BookSide::Bid, p, s);
    }
    for l in asks.iter() {
        let (p, s) = level_of(l)?;
        book.push_snapshot_level(BookSide::Ask, p, s);
    }
    book.end_snapshot();
    book.set_hash64(hash64_of(ev));
    if let Some(tick) = get_str(ev, "tick_size").and_then(|t| parse_price_e4(t.as_bytes())) {
        book.set_tick_e4(tick as u16);
    }
    batch.touched |= 1 << tok;
    Ok(())
}

fn apply_price_change(
    ev: Value<'_, '_>,
    state: &mut PolyBooks,
    batch: &mut PolyBatch,
) -> Result<(), PolyParseError> {
    let ts = ts_of(ev)?;
    if let Some(changes) = ev.get("price_changes").and_then(|v| v.as_array()) {
        for ch in changes.iter() {
            let Some(tok) = token_of(ch, state)? else {
                continue;
            };
            apply_change(ch, tok, ts, state, batch)?;
        }
        return Ok(());
    }
    // Legacy schema: one asset per event, `changes` without asset ids.
    let changes = levels(ev, "changes")?;
    let Some(tok) = token_of(ev, state)? else {
        return Ok(());
    };
    for ch in changes.iter() {
        apply_change(ch, tok, ts, state, batch)?;
    }
    Ok(())
}

fn apply_change(
    ch: Value<'_, '_>,
    tok: u16,
    ts: u64,
    state: &mut PolyBooks,
    batch: &mut PolyBatch,
) -> Result<(), PolyParseError> {
    let side = side_of(get_str(ch, "side").ok_or(PolyParseError::Field("side"))?)?;
    if ch.get("size").is_none() {
        // Validate the price all the same: a malformed entry is an error, not a skip.
        get_str(ch, "price")
            .and_then(|p| parse_price_e4(p.as_bytes()))
            .filter(|&p| p > 0)
            .ok_or(PolyParseError::Field("price"))?;
        batch.unsized_changes += 1;
        return Ok(());
    }
    let (price, size) = level_of(ch)?;
    let book = &mut state.books[tok as usize];
    if book.set_level(side, price, size, ts) {
        book.set_hash64(hash64_of(ch));
        batch.touched |= 1 << tok;
    } else {
        state.stale_updates += 1;
    }
    Ok(())
}

fn apply_trade(
    ev: Value<'_, '_>,
    state: &mut PolyBooks,
    batch: &mut PolyBatch,
) -> Result<(), PolyParseError> {
    let Some(tok) = token_of(ev, state)? else {
        return Ok(());
    };
    let (price_e4, size_e6) = level_of(ev)?;
    let side = match get_str(ev, "side") {
        Some("SELL") | Some("sell") => Side::Sell,
        _ => Side::Buy,
    };
    let venue_ts_ms = ts_of(ev)?;
    if batch.n_trades < MAX_TRADES_PER_FRAME {
        batch.trades[batch.n_trades] = PolyTrade {
            token: TokenId(tok),
            side,
            price_e4,
            size_e6,
            venue_ts_ms,
            stamps: Default::default(),
        };
        batch.n_trades += 1;
    } else {
        batch.ignored += 1;
    }
    Ok(())
}
