//! Windows: the binary Up/Down markets of each asset, their deterministic ids, strikes and
//! settlement.
//!
//! A window starts at floor(now / window_secs) · window_secs (wall clock). It settles on the series
//! its market names ([`Series`], published in Gamma as `cryptoMarketConfig`/`resolutionSource`):
//! the Chainlink spot observations, or their 60-second TWAP (what `price.crypto.twap` serves and
//! what the real up/down markets resolve on since 2026-08, `tests/data/venue/gamma/`). Its strike
//! is that series at the first observation at or after its start; it settles on the series at the
//! first observation at or after its end (which is also the next window's strike), UP winning when
//! end ≥ strike. The current
//! and the next window of every asset exist at any time; a few settled ones are remembered for
//! Gamma look-ups.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Settled windows remembered per asset (for Gamma and for `window_outcomes`).
const PAST_WINDOWS_KEPT: usize = 8;

/// A settled window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowOutcome {
    /// Asset symbol, e.g. "BTC".
    pub asset: String,
    pub start_s: u64,
    pub end_s: u64,
    /// Chainlink price at the start (the first observation at or after it).
    pub strike: f64,
    /// Chainlink price at the end (the first observation at or after it).
    pub end_price: f64,
    /// `end_price >= strike`.
    pub up_won: bool,
    pub condition_id: String,
    pub up_token: String,
    pub down_token: String,
}

/// A window as the simulator knows it (public view).
#[derive(Clone, Debug, PartialEq)]
pub struct SimWindow {
    pub asset: String,
    pub start_s: u64,
    pub end_s: u64,
    /// Gamma slug: `{asset lowercase}-updown-{5m|15m|1h|4h}-{start_s}`.
    pub slug: String,
    pub condition_id: String,
    pub question_id: String,
    pub up_token: String,
    pub down_token: String,
    /// Known once a Chainlink observation at or after the start exists.
    pub strike: Option<f64>,
    pub end_price: Option<f64>,
}

/// The price series a window settles on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Series {
    /// The Chainlink observation itself (markets of Feb–Apr 2026: Data Streams spot).
    Spot,
    /// The mean of the observations of the previous 60 s (Chainlink TWAP-60 markets).
    #[default]
    Twap60,
}

/// TWAP lookback of [`Series::Twap60`].
pub const TWAP_LOOKBACK_MS: u64 = 60_000;

impl Series {
    /// The series' value at observation `(ts_ms, raw)` of `o` (which holds that observation).
    pub fn value(self, o: &Observations, ts_ms: u64, raw: f64) -> f64 {
        match self {
            Series::Spot => raw,
            Series::Twap60 => o.twap(ts_ms, TWAP_LOOKBACK_MS).unwrap_or(raw),
        }
    }
}

/// One window inside the registry.
#[derive(Clone, Debug)]
pub struct Window {
    pub asset: usize,
    /// What it settles on.
    pub series: Series,
    pub view: SimWindow,
    /// Numeric ids for Gamma.
    pub event_id: u64,
    pub market_id: u64,
}

impl Window {
    pub fn settled(&self) -> bool {
        self.view.end_price.is_some()
    }
}

/// SplitMix64 step: the mixing function behind every deterministic id.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn id_seed(seed: u64, symbol: &str, start_s: u64, tag: u64) -> u64 {
    let mut h = mix64(seed ^ 0x5349_4d5f_4944_5321);
    for b in symbol.bytes() {
        h = mix64(h ^ b as u64);
    }
    mix64(mix64(h ^ start_s) ^ tag)
}

/// A 77-digit decimal id (uint256-like), deterministic per (seed, asset, start, outcome).
pub fn token_id(seed: u64, symbol: &str, start_s: u64, outcome: u8) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(id_seed(seed, symbol, start_s, 0x100 + outcome as u64));
    let mut s = String::with_capacity(77);
    s.push(char::from(b'1' + rng.random_range(0..9u8)));
    for _ in 0..76 {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

/// "0x" + 64 hex chars, deterministic per (seed, asset, start, tag).
pub fn hex32(seed: u64, symbol: &str, start_s: u64, tag: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(id_seed(seed, symbol, start_s, tag));
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for _ in 0..4 {
        s.push_str(&format!("{:016x}", rng.random::<u64>()));
    }
    s
}

/// The venue's duration label of a window length: `5m`, `15m`, `1h`, `4h`. Lengths the venue
/// does not list (short test windows) keep the 15-minute label the product looks for.
pub fn duration_label(window_secs: u64) -> &'static str {
    match window_secs {
        300 => "5m",
        3_600 => "1h",
        14_400 => "4h",
        _ => "15m",
    }
}

/// Gamma slug of a window: `{asset}-updown-{label}-{start}`.
pub fn slug(symbol: &str, window_secs: u64, start_s: u64) -> String {
    format!(
        "{}-updown-{}-{}",
        symbol.to_ascii_lowercase(),
        duration_label(window_secs),
        start_s
    )
}

/// Chainlink observations of one asset, oldest first.
#[derive(Clone, Debug, Default)]
pub struct Observations {
    pub obs: VecDeque<(u64, f64)>,
}

impl Observations {
    /// First observation at or after `ts_ms`.
    pub fn first_at_or_after(&self, ts_ms: u64) -> Option<(u64, f64)> {
        let i = self.obs.partition_point(|&(t, _)| t < ts_ms);
        self.obs.get(i).copied()
    }

    /// Observations strictly after `ts_ms`.
    pub fn after(&self, ts_ms: u64) -> impl Iterator<Item = (u64, f64)> + '_ {
        let i = self.obs.partition_point(|&(t, _)| t <= ts_ms);
        self.obs.range(i..).copied()
    }

    /// Mean of the observations in (ts_ms − window_ms, ts_ms].
    pub fn twap(&self, ts_ms: u64, window_ms: u64) -> Option<f64> {
        let lo = self.obs.partition_point(|&(t, _)| t + window_ms <= ts_ms);
        let hi = self.obs.partition_point(|&(t, _)| t <= ts_ms);
        if hi <= lo {
            return None;
        }
        let sum: f64 = self.obs.range(lo..hi).map(|&(_, v)| v).sum();
        Some(sum / (hi - lo) as f64)
    }

    pub fn last(&self) -> Option<(u64, f64)> {
        self.obs.back().copied()
    }

    pub fn push(&mut self, ts_ms: u64, value: f64, keep_ms: u64) {
        self.obs.push_back((ts_ms, value));
        while let Some(&(t, _)) = self.obs.front() {
            if t + keep_ms < ts_ms {
                self.obs.pop_front();
            } else {
                break;
            }
        }
    }
}

/// All windows of all assets.
#[derive(Debug)]
pub struct Windows {
    seed: u64,
    window_secs: u64,
    series: Series,
    symbols: Vec<String>,
    /// Per asset, ordered by start.
    per_asset: Vec<VecDeque<Window>>,
    outcomes: Vec<WindowOutcome>,
}

impl Windows {
    pub fn new(seed: u64, window_secs: u64, symbols: Vec<String>, series: Series) -> Windows {
        let n = symbols.len();
        Windows {
            seed,
            window_secs: window_secs.max(1),
            series,
            symbols,
            per_asset: vec![VecDeque::new(); n],
            outcomes: Vec::new(),
        }
    }

    pub fn current_start(&self, now_s: u64) -> u64 {
        now_s / self.window_secs * self.window_secs
    }

    fn make(&self, asset: usize, start_s: u64) -> Window {
        let sym = &self.symbols[asset];
        let seed = self.seed;
        let h = id_seed(seed, sym, start_s, 7);
        Window {
            asset,
            series: self.series,
            view: SimWindow {
                asset: sym.clone(),
                start_s,
                end_s: start_s + self.window_secs,
                slug: slug(sym, self.window_secs, start_s),
                condition_id: hex32(seed, sym, start_s, 1),
                question_id: hex32(seed, sym, start_s, 2),
                up_token: token_id(seed, sym, start_s, 0),
                down_token: token_id(seed, sym, start_s, 1),
                strike: None,
                end_price: None,
            },
            event_id: 100_000 + h % 900_000,
            market_id: 1_000_000 + (h >> 20) % 9_000_000,
        }
    }

    /// Make sure the current and next window of every asset exist; strikes of new windows that
    /// already started come from `obs`. Returns the windows created.
    pub fn ensure(&mut self, now_s: u64, obs: &[Observations]) -> Vec<Window> {
        let cur = self.current_start(now_s);
        let mut created = Vec::new();
        for asset in 0..self.symbols.len() {
            for start in [cur, cur + self.window_secs] {
                if self.per_asset[asset]
                    .iter()
                    .any(|w| w.view.start_s == start)
                {
                    continue;
                }
                let mut w = self.make(asset, start);
                if let Some(o) = obs.get(asset) {
                    if let Some((ts, v)) = o.first_at_or_after(start * 1000) {
                        w.view.strike = Some(self.series.value(o, ts, v));
                    }
                }
                let q = &mut self.per_asset[asset];
                let at = q.partition_point(|x| x.view.start_s < start);
                q.insert(at, w.clone());
                created.push(w);
            }
            // Forget old settled windows.
            let q = &mut self.per_asset[asset];
            while q.len() > PAST_WINDOWS_KEPT + 2 && q.front().is_some_and(|w| w.settled()) {
                q.pop_front();
            }
        }
        created
    }

    /// The series windows settle on.
    pub fn series(&self) -> Series {
        self.series
    }

    /// A new observation, already in the windows' series ([`Series::value`]): sets strikes and
    /// settles windows that ended.
    pub fn on_chainlink(&mut self, asset: usize, ts_ms: u64, value: f64) {
        for w in self.per_asset[asset].iter_mut() {
            if w.view.strike.is_none() && w.view.start_s * 1000 <= ts_ms {
                w.view.strike = Some(value);
            }
            if w.view.end_price.is_none() && w.view.end_s * 1000 <= ts_ms {
                if let Some(strike) = w.view.strike {
                    w.view.end_price = Some(value);
                    self.outcomes.push(WindowOutcome {
                        asset: w.view.asset.clone(),
                        start_s: w.view.start_s,
                        end_s: w.view.end_s,
                        strike,
                        end_price: value,
                        up_won: value >= strike,
                        condition_id: w.view.condition_id.clone(),
                        up_token: w.view.up_token.clone(),
                        down_token: w.view.down_token.clone(),
                    });
                }
            }
        }
    }

    pub fn outcomes(&self) -> &[WindowOutcome] {
        &self.outcomes
    }

    /// Windows still open or not yet started at `now_s` (current and next), all assets.
    pub fn live(&self, now_s: u64) -> impl Iterator<Item = &Window> {
        self.per_asset
            .iter()
            .flatten()
            .filter(move |w| w.view.end_s > now_s)
    }

    pub fn all(&self) -> impl Iterator<Item = &Window> {
        self.per_asset.iter().flatten()
    }

    pub fn find(&self, asset: usize, start_s: u64) -> Option<&Window> {
        self.per_asset
            .get(asset)?
            .iter()
            .find(|w| w.view.start_s == start_s)
    }

    pub fn find_by_condition(&self, condition_id: &str) -> Option<&Window> {
        self.all()
            .find(|w| w.view.condition_id.eq_ignore_ascii_case(condition_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_well_formed() {
        let a = token_id(1, "BTC", 900, 0);
        assert_eq!(a, token_id(1, "BTC", 900, 0));
        assert_eq!(a.len(), 77);
        assert!(a.bytes().all(|b| b.is_ascii_digit()) && !a.starts_with('0'));
        assert_ne!(a, token_id(1, "BTC", 900, 1));
        assert_ne!(a, token_id(2, "BTC", 900, 0));
        assert_ne!(a, token_id(1, "ETH", 900, 0));
        assert_ne!(a, token_id(1, "BTC", 1800, 0));
        let c = hex32(1, "BTC", 900, 1);
        assert_eq!(c.len(), 66);
        assert!(c.starts_with("0x") && c[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn strike_and_settlement_follow_chainlink() {
        let mut w = Windows::new(1, 10, vec!["BTC".into()], Series::Spot);
        let created = w.ensure(105, &[Observations::default()]);
        assert_eq!(created.len(), 2);
        assert_eq!(created[0].view.start_s, 100);
        assert_eq!(created[1].view.start_s, 110);
        w.on_chainlink(0, 105_000, 50.0);
        assert_eq!(w.find(0, 100).and_then(|x| x.view.strike), Some(50.0));
        assert_eq!(w.find(0, 110).and_then(|x| x.view.strike), None);
        w.on_chainlink(0, 109_999, 49.0);
        assert!(w.outcomes().is_empty());
        w.on_chainlink(0, 110_000, 50.0);
        assert_eq!(w.outcomes().len(), 1);
        let o = &w.outcomes()[0];
        assert_eq!(
            (o.start_s, o.strike, o.end_price, o.up_won),
            (100, 50.0, 50.0, true)
        );
        assert_eq!(w.find(0, 110).and_then(|x| x.view.strike), Some(50.0));
        w.ensure(111, &[Observations::default()]);
        assert!(w.find(0, 120).is_some());
        assert_eq!(w.live(111).count(), 2);
    }

    #[test]
    fn observations_queries() {
        let mut o = Observations::default();
        for k in 0..10u64 {
            o.push(k * 1000, k as f64, 5_000);
        }
        assert_eq!(o.obs.len(), 6);
        assert_eq!(o.first_at_or_after(6_500), Some((7_000, 7.0)));
        assert_eq!(o.after(7_000).count(), 2);
        assert_eq!(o.twap(9_000, 2_000), Some(8.5));
        assert_eq!(Series::Spot.value(&o, 9_000, 9.0), 9.0);
        // 60 s lookback over 4..=9 (the older ones were dropped): mean 6.5.
        assert_eq!(Series::Twap60.value(&o, 9_000, 9.0), 6.5);
    }
}
