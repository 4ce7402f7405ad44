//! Rolling per-wallet bias: net UP vs DOWN notional in the current window.
//!
//! Buying UP or selling DOWN counts for UP; buying DOWN or selling UP counts for DOWN. A
//! wallet's tally restarts when it trades in a newer window, and is cleared once its window
//! has ended.

use std::collections::BTreeMap;

use serde::Serialize;

use super::wire::{WhaleOutcome, WhaleTrade};

/// One wallet's tally in its current window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WhaleBias {
    pub wallet: String,
    pub window_start_s: u64,
    /// USDC for UP.
    pub up_notional: f64,
    /// USDC for DOWN.
    pub down_notional: f64,
    /// up − down.
    pub net_up: f64,
    pub trades: u32,
    /// Time of the last trade counted, Unix seconds.
    pub last_s: u64,
}

/// Add a trade to its wallet's tally. Trades of an older window than the tally's, or outside
/// an Up/Down market, change nothing. Returns whether the tally changed.
pub fn apply(book: &mut BTreeMap<String, WhaleBias>, t: &WhaleTrade) -> bool {
    let (Some(start), true) = (t.window_start_s, t.outcome != WhaleOutcome::Other) else {
        return false;
    };
    let b = book.entry(t.wallet.clone()).or_insert_with(|| WhaleBias {
        wallet: t.wallet.clone(),
        window_start_s: start,
        ..WhaleBias::default()
    });
    if start < b.window_start_s {
        return false;
    }
    if start > b.window_start_s {
        *b = WhaleBias {
            wallet: t.wallet.clone(),
            window_start_s: start,
            ..WhaleBias::default()
        };
    }
    let up = t.up_notional();
    if up >= 0.0 {
        b.up_notional += up;
    } else {
        b.down_notional -= up;
    }
    b.net_up = b.up_notional - b.down_notional;
    b.trades += 1;
    b.last_s = b.last_s.max(t.time_s);
    true
}

/// Drop the tallies whose window ended before `now_s`.
pub fn expire(book: &mut BTreeMap<String, WhaleBias>, now_s: u64, window_length_s: u64) {
    book.retain(|_, b| b.window_start_s + window_length_s > now_s);
}
