//! The simulator's shared world: the price model, bars, Chainlink observations, windows and
//! Polymarket books, stepped by one engine thread and read by the feed and HTTP threads.
//!
//! Everything lives behind one mutex held for microseconds at a time: the engine takes it once
//! per tick (every 1–10 ms), a Binance connection once per frame. Polymarket events go into a
//! bounded broadcast log with a global sequence, so every connection sees the same book changes
//! in the same order, and a subscriber takes its snapshot and its position in the log under the
//! same lock.

use super::book::{self, BookSide, SimBook, LEVELS};
use super::model::{self, Bar, PriceModel};
use super::windows::{Observations, Window, Windows};
use super::SimConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::sync::Arc;

/// 1-second bars kept per asset (6 h), and synthesised before the start (2 h).
const BARS_KEEP_S: u64 = 6 * 3600;
const BARS_BACKFILL_S: u64 = 2 * 3600;
/// Polymarket events kept for connections to catch up on.
const LOG_CAPACITY: usize = 8192;
/// Chance per market update of a `last_trade_price`.
const TRADE_PROB: f64 = 0.15;

/// A live Polymarket market (one window of one asset).
#[derive(Clone, Debug)]
pub struct Market {
    pub asset: usize,
    pub start_s: u64,
    pub end_s: u64,
    pub condition_id: String,
    pub up_token: String,
    pub down_token: String,
    /// The UP book; the DOWN book is its complement.
    pub up: SimBook,
    pub next_update_ms: u64,
    /// Last trade price of the UP token (1e-4 units).
    pub last_trade_e4: u32,
}

impl Market {
    /// The book of one of this market's tokens.
    pub fn book_of(&self, token: &str) -> Option<SimBook> {
        if token == self.up_token {
            Some(self.up.clone())
        } else if token == self.down_token {
            Some(book::complement(&self.up))
        } else {
            None
        }
    }
}

/// One Polymarket event in the broadcast log.
#[derive(Clone, Debug)]
pub struct LoggedEvent {
    pub seq: u64,
    pub token: Arc<str>,
    pub text: Arc<str>,
    /// Name of the book update, for wire-to-wire measurement (`book::update_tag`; 0: not a
    /// book update).
    pub tag: u64,
}

/// Bounded broadcast log of Polymarket events.
#[derive(Debug, Default)]
pub struct PolyLog {
    /// Sequence of the last event pushed (0 = none yet).
    pub last_seq: u64,
    pub events: VecDeque<LoggedEvent>,
}

impl PolyLog {
    fn push(&mut self, token: &str, ev: serde_json::Value) {
        self.last_seq += 1;
        self.events.push_back(LoggedEvent {
            seq: self.last_seq,
            token: Arc::from(token),
            tag: super::book::update_tag(&ev),
            text: Arc::from(ev.to_string()),
        });
        if self.events.len() > LOG_CAPACITY {
            self.events.pop_front();
        }
    }

    /// Sequence of the oldest event still kept.
    pub fn oldest_seq(&self) -> u64 {
        self.events.front().map_or(self.last_seq + 1, |e| e.seq)
    }
}

pub struct World {
    pub symbols: Vec<String>,
    pub model: PriceModel,
    pub bars: Vec<VecDeque<Bar>>,
    pub obs: Vec<Observations>,
    /// Continuous Chainlink price per asset, sampled every tick, for lagged fair values.
    cl_hist: Vec<VecDeque<(u64, f64)>>,
    pub windows: Windows,
    pub markets: Vec<Market>,
    pub log: PolyLog,
    rng: ChaCha8Rng,
    next_cl_ms: u64,
    last_tick_ns: u64,
    chainlink_keep_ms: u64,
    poly_lag_ms: u64,
    poly_noise: f64,
    poly_period_ms: Option<u64>,
    chainlink_period_ms: Option<u64>,
}

fn period_ms(hz: f64) -> Option<u64> {
    (hz > 0.0 && hz.is_finite()).then(|| ((1000.0 / hz).round() as u64).max(1))
}

impl World {
    pub fn new(cfg: &SimConfig, now_ns: u64) -> World {
        let symbols: Vec<String> = cfg
            .assets
            .iter()
            .map(|a| a.symbol.to_ascii_uppercase())
            .collect();
        let prices: Vec<f64> = cfg.assets.iter().map(|a| a.start_price).collect();
        let model = PriceModel::new(cfg.seed, &prices, cfg.annual_vol, now_ns);
        let now_ms = now_ns / 1_000_000;
        let now_s = now_ms / 1000;
        let chainlink_keep_ms = (cfg.window_secs.max(1) + 180) * 1000;
        let mut bars = Vec::new();
        let mut obs = Vec::new();
        for (i, &p) in prices.iter().enumerate() {
            let seed = cfg.seed.wrapping_add(1 + i as u64);
            let back = model::backfill_bars(seed, p, cfg.annual_vol, now_s, BARS_BACKFILL_S);
            let mut o = Observations::default();
            let basis = model.basis(i);
            for b in back
                .iter()
                .filter(|b| (b.open_s + 1) * 1000 + chainlink_keep_ms > now_ms)
            {
                o.push(b.open_s * 1000, b.open * (1.0 + basis), chainlink_keep_ms);
            }
            obs.push(o);
            bars.push(back.into_iter().collect());
        }
        let mut w = World {
            symbols: symbols.clone(),
            model,
            bars,
            obs,
            cl_hist: vec![VecDeque::new(); symbols.len()],
            windows: Windows::new(cfg.seed, cfg.window_secs, symbols, cfg.settlement),
            markets: Vec::new(),
            log: PolyLog::default(),
            rng: ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x636f_736d_6574_6963),
            next_cl_ms: now_ms,
            last_tick_ns: now_ns,
            chainlink_keep_ms,
            poly_lag_ms: cfg.poly_lag_ms,
            poly_noise: cfg.poly_noise.max(0.0),
            poly_period_ms: period_ms(cfg.poly_update_hz),
            chainlink_period_ms: period_ms(cfg.chainlink_hz),
        };
        w.tick(now_ns);
        w
    }

    pub fn asset_index(&self, symbol: &str) -> Option<usize> {
        self.symbols
            .iter()
            .position(|s| s.eq_ignore_ascii_case(symbol))
    }

    /// Advance everything to wall time `now_ns`.
    pub fn tick(&mut self, now_ns: u64) {
        // Callers read the clock before taking the lock: never go back in time.
        let now_ns = now_ns.max(self.last_tick_ns);
        self.model.advance_to(now_ns);
        let now_ms = now_ns / 1_000_000;
        let now_s = now_ms / 1000;
        let dt_s = now_ns.saturating_sub(self.last_tick_ns) as f64 * 1e-9;
        self.last_tick_ns = self.last_tick_ns.max(now_ns);
        let keep_hist_ms = self.poly_lag_ms + 2_000;
        for i in 0..self.symbols.len() {
            let px = self.model.spot(i);
            let bars = &mut self.bars[i];
            if bars.back().is_none_or(|b| b.open_s < now_s) {
                bars.push_back(Bar::new(now_s, px));
            }
            let qty = 150_000.0 / px * dt_s * (0.5 + self.rng.random::<f64>());
            let trades = (dt_s * 40.0 * self.rng.random::<f64>()).round() as u64;
            let buy_share = self.rng.random::<f64>();
            if let Some(b) = bars.back_mut() {
                b.observe(px, qty, trades, buy_share);
            }
            while bars.front().is_some_and(|b| b.open_s + BARS_KEEP_S < now_s) {
                bars.pop_front();
            }
            let hist = &mut self.cl_hist[i];
            hist.push_back((now_ms, self.model.chainlink(i)));
            while hist
                .front()
                .is_some_and(|&(t, _)| t + keep_hist_ms < now_ms)
            {
                hist.pop_front();
            }
        }
        if let Some(period) = self.chainlink_period_ms {
            if now_ms >= self.next_cl_ms {
                for i in 0..self.symbols.len() {
                    let v = self.model.chainlink(i);
                    self.obs[i].push(now_ms, v, self.chainlink_keep_ms);
                    let settle = self.windows.series().value(&self.obs[i], now_ms, v);
                    self.windows.on_chainlink(i, now_ms, settle);
                }
                self.next_cl_ms += period;
                if self.next_cl_ms <= now_ms {
                    self.next_cl_ms = now_ms + period;
                }
            }
        }
        let created = self.windows.ensure(now_s, &self.obs);
        for w in created {
            let m = self.new_market(&w, now_ms);
            self.markets.push(m);
        }
        // A window that ended stops being served.
        self.markets.retain(|m| m.end_s > now_s);
        if let Some(period) = self.poly_period_ms {
            for k in 0..self.markets.len() {
                if now_ms >= self.markets[k].next_update_ms {
                    self.update_market(k, now_ms);
                    let m = &mut self.markets[k];
                    m.next_update_ms += period;
                    if m.next_update_ms <= now_ms {
                        m.next_update_ms = now_ms + period;
                    }
                }
            }
        }
    }

    fn random_sizes(&mut self) -> [[u64; LEVELS]; 2] {
        let mut s = [[0u64; LEVELS]; 2];
        for side in &mut s {
            for v in side.iter_mut() {
                *v = self.rng.random_range(2_000..=50_000);
            }
        }
        s
    }

    /// The quote the market shows now: the fair value `poly_lag_ms` ago plus noise.
    fn noisy_quote(&mut self, asset: usize, start_s: u64, end_s: u64, now_ms: u64) -> f64 {
        let fair = self.lagged_fair(asset, start_s, end_s, now_ms);
        let noise = self.poly_noise * model::standard_normal(&mut self.rng);
        (fair + noise).clamp(0.01, 0.99)
    }

    fn new_market(&mut self, w: &Window, now_ms: u64) -> Market {
        let v = &w.view;
        let q = self.noisy_quote(w.asset, v.start_s, v.end_s, now_ms);
        let sizes = self.random_sizes();
        let spread = if self.rng.random_bool(0.3) { 1 } else { 2 };
        let up = book::quote_book(q, book::tick_for(q), spread, &sizes);
        Market {
            asset: w.asset,
            start_s: v.start_s,
            end_s: v.end_s,
            condition_id: v.condition_id.clone(),
            up_token: v.up_token.clone(),
            down_token: v.down_token.clone(),
            last_trade_e4: up.best_bid().map_or(5_000, |l| l.price_e4),
            up,
            next_update_ms: now_ms + self.poly_period_ms.unwrap_or(0),
        }
    }

    fn update_market(&mut self, k: usize, now_ms: u64) {
        let (asset, start_s, end_s) = {
            let m = &self.markets[k];
            (m.asset, m.start_s, m.end_s)
        };
        let q = self.noisy_quote(asset, start_s, end_s, now_ms);
        self.requote(k, q, now_ms);
    }

    /// Move market `k` to quote `q`: new UP book, and the events that describe the change for
    /// both tokens (tick size first, then levels, sometimes a trade).
    fn requote(&mut self, k: usize, q: f64, now_ms: u64) {
        let fresh = self.random_sizes();
        let spread = if self.rng.random_bool(0.3) { 1 } else { 2 };
        let old = self.markets[k].up.clone();
        let tick = book::tick_for(q);
        let mut new = book::quote_book(q, tick, spread, &fresh);
        // Most levels that stay keep their size.
        for (side_new, side_old) in [(&mut new.bids, &old.bids), (&mut new.asks, &old.asks)] {
            for l in side_new.iter_mut() {
                if let Some(o) = side_old.iter().find(|o| o.price_e4 == l.price_e4) {
                    if self.rng.random_bool(0.7) {
                        l.size_e2 = o.size_e2;
                    }
                }
            }
        }
        if book::diff(&old, &new).is_empty() {
            if let Some(l) = new.bids.first_mut().or(new.asks.first_mut()) {
                l.size_e2 += self.rng.random_range(100..=5_000);
            }
        }
        let m = self.markets[k].clone();
        let (old_down, new_down) = (book::complement(&old), book::complement(&new));
        if old.tick_e4 != new.tick_e4 {
            for token in [&m.up_token, &m.down_token] {
                let ev = book::tick_size_change_event(
                    token,
                    &m.condition_id,
                    old.tick_e4,
                    new.tick_e4,
                    now_ms,
                );
                self.log.push(token, ev);
            }
        }
        for (token, o, n) in [
            (&m.up_token, &old, &new),
            (&m.down_token, &old_down, &new_down),
        ] {
            let changes = book::diff(o, n);
            if !changes.is_empty() {
                let ev = book::price_change_event(token, &m.condition_id, &changes, n, now_ms);
                self.log.push(token, ev);
            }
        }
        let mut last_trade = m.last_trade_e4;
        if self.rng.random_bool(TRADE_PROB) {
            let down = self.rng.random_bool(0.5);
            let buy = self.rng.random_bool(0.5);
            let (token, b) = if down {
                (&m.down_token, &new_down)
            } else {
                (&m.up_token, &new)
            };
            let level = if buy { b.best_ask() } else { b.best_bid() };
            if let Some(l) = level {
                let size = self.rng.random_range(500..=10_000u64).min(l.size_e2);
                let side = if buy { BookSide::Bid } else { BookSide::Ask };
                let ev =
                    book::last_trade_event(token, &m.condition_id, side, l.price_e4, size, now_ms);
                self.log.push(token, ev);
                if !down {
                    last_trade = l.price_e4;
                }
            }
        }
        let mm = &mut self.markets[k];
        mm.up = new;
        mm.last_trade_e4 = last_trade;
    }

    /// True P(UP) of a window as it was `poly_lag_ms` ago (0.5 before the start or without a
    /// strike).
    pub fn lagged_fair(&self, asset: usize, start_s: u64, end_s: u64, now_ms: u64) -> f64 {
        let hist = &self.cl_hist[asset];
        let target = now_ms.saturating_sub(self.poly_lag_ms);
        let i = hist.partition_point(|&(t, _)| t <= target);
        let Some(&(t, s)) = hist.get(i.saturating_sub(1)) else {
            return 0.5;
        };
        self.fair_at(asset, start_s, end_s, t, s)
    }

    /// True P(UP) now.
    pub fn fair_now(&self, asset: usize, start_s: u64, end_s: u64) -> f64 {
        let t = self.model.t_ns() / 1_000_000;
        self.fair_at(asset, start_s, end_s, t, self.model.chainlink(asset))
    }

    fn fair_at(&self, asset: usize, start_s: u64, end_s: u64, t_ms: u64, s: f64) -> f64 {
        if t_ms < start_s * 1000 {
            return 0.5;
        }
        let Some(k) = self
            .windows
            .find(asset, start_s)
            .and_then(|w| w.view.strike)
        else {
            return 0.5;
        };
        let tau_s = (end_s * 1000).saturating_sub(t_ms) as f64 / 1000.0;
        model::fair_up(s, k, self.model.sigma_s(), tau_s)
    }

    /// The market serving `token`, if its window is live.
    pub fn market_of(&self, token: &str) -> Option<&Market> {
        self.markets
            .iter()
            .find(|m| m.up_token == token || m.down_token == token)
    }

    /// Takes filled liquidity out of the book of `token` (the simulated CLOB matched a taker
    /// against it) and logs the change as the market channel shows a trade: `price_change`
    /// for both tokens, then `last_trade_price` on the traded token. `fills` are in the
    /// token's own prices (1e-4) and sizes (1e-2 shares); `taker_buys` says which side of
    /// the book they came from (asks for a BUY). The next requote keeps most sizes, so the
    /// hole closes the way a real book refills. Returns false if the token is not live.
    pub fn take_liquidity(
        &mut self,
        token: &str,
        taker_buys: bool,
        fills: &[book::SimLevel],
        now_ms: u64,
    ) -> bool {
        let Some(k) = self
            .markets
            .iter()
            .position(|m| m.up_token == token || m.down_token == token)
        else {
            return false;
        };
        let m = self.markets[k].clone();
        let is_up = token == m.up_token;
        let old = m.up.clone();
        let mut new = old.clone();
        for f in fills {
            // The DOWN book is the UP book mirrored: DOWN asks are UP bids at 1 - p.
            let (levels, px) = match (is_up, taker_buys) {
                (true, true) => (&mut new.asks, f.price_e4),
                (true, false) => (&mut new.bids, f.price_e4),
                (false, true) => (&mut new.bids, book::PX_ONE - f.price_e4),
                (false, false) => (&mut new.asks, book::PX_ONE - f.price_e4),
            };
            if let Some(l) = levels.iter_mut().find(|l| l.price_e4 == px) {
                l.size_e2 = l.size_e2.saturating_sub(f.size_e2);
            }
            levels.retain(|l| l.size_e2 > 0);
        }
        let (old_down, new_down) = (book::complement(&old), book::complement(&new));
        for (tok, o, n) in [
            (&m.up_token, &old, &new),
            (&m.down_token, &old_down, &new_down),
        ] {
            let changes = book::diff(o, n);
            if !changes.is_empty() {
                let ev = book::price_change_event(tok, &m.condition_id, &changes, n, now_ms);
                self.log.push(tok, ev);
            }
        }
        let total_e2: u64 = fills.iter().map(|f| f.size_e2).sum();
        let mut last_trade = m.last_trade_e4;
        if let Some(last) = fills.last().filter(|_| total_e2 > 0) {
            let side = if taker_buys {
                BookSide::Bid
            } else {
                BookSide::Ask
            };
            let ev = book::last_trade_event(
                token,
                &m.condition_id,
                side,
                last.price_e4,
                total_e2,
                now_ms,
            );
            self.log.push(token, ev);
            last_trade = if is_up {
                last.price_e4
            } else {
                book::PX_ONE - last.price_e4
            };
        }
        let mm = &mut self.markets[k];
        mm.up = new;
        mm.last_trade_e4 = last_trade;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn world() -> (World, u64) {
        let cfg = SimConfig {
            poly_update_hz: 0.0,
            ..SimConfig::default()
        };
        let now_ns = 1_795_558_500_000_000_000 + 123_000_000;
        (World::new(&cfg, now_ns), now_ns / 1_000_000)
    }

    fn logged(w: &World, after: u64) -> Vec<Value> {
        w.log
            .events
            .iter()
            .filter(|e| e.seq > after)
            .map(|e| serde_json::from_str(&e.text).unwrap_or(Value::Null))
            .collect()
    }

    #[test]
    fn current_and_next_markets_exist_with_strikes() {
        let (w, _) = world();
        assert_eq!(w.markets.len(), 8);
        let cur = w.windows.find(0, 1_795_558_500).map(|x| x.view.clone());
        assert!(cur.as_ref().is_some_and(|c| c.strike.is_some()), "{cur:?}");
        for m in &w.markets {
            let up = w
                .market_of(&m.up_token)
                .and_then(|x| x.book_of(&m.up_token));
            let down = w
                .market_of(&m.down_token)
                .and_then(|x| x.book_of(&m.down_token));
            assert_eq!(down, up.as_ref().map(book::complement));
        }
    }

    #[test]
    fn tick_size_changes_near_the_edges_and_back() {
        let (mut w, now_ms) = world();
        let up = w.markets[0].up_token.clone();
        let down = w.markets[0].down_token.clone();
        let seq = w.log.last_seq;
        w.requote(0, 0.975, now_ms);
        let evs = logged(&w, seq);
        assert_eq!(evs[0]["event_type"], "tick_size_change");
        assert_eq!(evs[0]["asset_id"], up.as_str());
        assert_eq!(
            (
                evs[0]["old_tick_size"].as_str(),
                evs[0]["new_tick_size"].as_str()
            ),
            (Some("0.01"), Some("0.001"))
        );
        assert_eq!(evs[1]["asset_id"], down.as_str());
        assert_eq!(evs[2]["event_type"], "price_change");
        assert_eq!(w.markets[0].up.tick_e4, book::TICK_FINE);
        assert!(w.markets[0]
            .up
            .best_bid()
            .is_some_and(|l| l.price_e4 > 9_600));
        let seq = w.log.last_seq;
        w.requote(0, 0.5, now_ms);
        let evs = logged(&w, seq);
        assert_eq!(evs[0]["event_type"], "tick_size_change");
        assert_eq!(evs[0]["new_tick_size"], "0.01");
        assert_eq!(w.markets[0].up.tick_e4, book::TICK_NORMAL);
        // Every requote changes something, even at the same quote.
        let seq = w.log.last_seq;
        w.requote(0, 0.5, now_ms);
        assert!(logged(&w, seq)
            .iter()
            .any(|e| e["event_type"] == "price_change"));
    }

    #[test]
    fn lagged_fair_uses_the_price_from_lag_ago() {
        let (mut w, now_ms) = world();
        let m = w.markets[0].clone();
        // Before the window starts the fair value is 0.5.
        let next = w
            .markets
            .iter()
            .find(|x| x.asset == 0 && x.start_s > m.start_s)
            .cloned();
        if let Some(n) = next {
            assert_eq!(w.lagged_fair(0, n.start_s, n.end_s, now_ms), 0.5);
        }
        for k in 1..=300u64 {
            w.tick((now_ms + k * 10) * 1_000_000);
        }
        let later = now_ms + 3_000;
        let f_lag = w.lagged_fair(0, m.start_s, m.end_s, later);
        let f_now = w.fair_now(0, m.start_s, m.end_s);
        assert!((0.0..=1.0).contains(&f_lag) && (0.0..=1.0).contains(&f_now));
    }
}
