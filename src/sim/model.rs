//! The simulator's price model: one seeded random walk per asset, the Chainlink basis on top of
//! it, and the true fair value of a window.
//!
//! - Spot: a driftless walk in log price with the configured annual volatility, occasional
//!   volatility bursts (σ ×3 for 5–30 s) and rare jumps (±0.3%). Increments scale with the real
//!   time elapsed between steps, so the path is realistic at any frame rate.
//! - Chainlink = spot × (1 + basis), the basis an Ornstein–Uhlenbeck drift of a few bps.
//! - Determinism: every step draws the same number of uniforms per asset, whatever happens, so a
//!   seed fixes the sequence of shocks; the same seed and the same step lengths give the same
//!   path bit for bit.
//!
//! Pure and single-threaded: the engine keeps it behind the world lock and steps it.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seconds in a year of 24/7 crypto trading, to turn annual volatility into per-√second.
pub const SECS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0;
/// Mean time between volatility bursts, per asset.
const BURST_MEAN_GAP_S: f64 = 300.0;
const BURST_MIN_S: f64 = 5.0;
const BURST_MAX_S: f64 = 30.0;
const BURST_VOL_MULT: f64 = 3.0;
/// Mean time between jumps, per asset.
const JUMP_MEAN_GAP_S: f64 = 1800.0;
/// Relative size of a jump.
const JUMP_REL: f64 = 0.003;
/// Basis mean reversion rate (1/s) and stationary standard deviation (relative).
const BASIS_REVERT_PER_S: f64 = 1.0 / 120.0;
const BASIS_STD: f64 = 3e-4;

/// Volatility per √second from an annual volatility.
#[inline]
pub fn sigma_per_sqrt_s(annual_vol: f64) -> f64 {
    annual_vol / SECS_PER_YEAR.sqrt()
}

/// Standard normal CDF: Φ(x) = ½·erfc(−x/√2).
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// True P(UP) of a window: Φ(ln(S/K)/(σ√τ)), with S the Chainlink price now, K the strike,
/// σ per √second and τ the seconds left. As τ→0 or σ→0 it is 1 if S ≥ K, else 0.
pub fn fair_up(s: f64, k: f64, sigma_s: f64, tau_s: f64) -> f64 {
    if !(s > 0.0 && k > 0.0) {
        return 0.5;
    }
    let denom = sigma_s * tau_s.max(0.0).sqrt();
    if denom < 1e-12 {
        return if s >= k { 1.0 } else { 0.0 };
    }
    norm_cdf((s / k).ln() / denom)
}

/// Two independent standard normals from two uniforms (Box–Muller).
#[inline]
fn normal_pair(u1: f64, u2: f64) -> (f64, f64) {
    // u1 in (0, 1]: avoid ln(0).
    let r = (-2.0 * (1.0 - u1).ln()).sqrt();
    let th = std::f64::consts::TAU * u2;
    (r * th.cos(), r * th.sin())
}

/// One standard normal draw (consumes two uniforms).
pub fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    normal_pair(rng.random(), rng.random()).0
}

/// State of one asset's path.
#[derive(Clone, Debug, PartialEq)]
struct AssetPath {
    log_px: f64,
    basis: f64,
    burst_left_s: f64,
}

/// The seeded multi-asset random walk.
#[derive(Clone, Debug)]
pub struct PriceModel {
    rng: ChaCha8Rng,
    sigma_s: f64,
    paths: Vec<AssetPath>,
    /// Wall time of the last step, ns since the epoch.
    t_ns: u64,
}

impl PriceModel {
    /// A model at time `t_ns` (wall ns) with these start prices. The initial basis of each asset
    /// is drawn from its stationary distribution.
    pub fn new(seed: u64, start_prices: &[f64], annual_vol: f64, t_ns: u64) -> PriceModel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let paths = start_prices
            .iter()
            .map(|&p| {
                let (z, _) = normal_pair(rng.random::<f64>(), rng.random::<f64>());
                AssetPath {
                    log_px: p.max(1e-12).ln(),
                    basis: BASIS_STD * z,
                    burst_left_s: 0.0,
                }
            })
            .collect();
        PriceModel {
            rng,
            sigma_s: sigma_per_sqrt_s(annual_vol.max(0.0)),
            paths,
            t_ns,
        }
    }

    /// Step every asset by `dt_s` seconds. Draws exactly five uniforms per asset.
    pub fn step(&mut self, dt_s: f64) {
        if dt_s <= 0.0 {
            return;
        }
        let p_burst = 1.0 - (-dt_s / BURST_MEAN_GAP_S).exp();
        let p_jump = 1.0 - (-dt_s / JUMP_MEAN_GAP_S).exp();
        let decay = (-BASIS_REVERT_PER_S * dt_s).exp();
        let basis_sd = BASIS_STD * (1.0 - decay * decay).sqrt();
        for path in &mut self.paths {
            let u: [f64; 5] = [
                self.rng.random(),
                self.rng.random(),
                self.rng.random(),
                self.rng.random(),
                self.rng.random(),
            ];
            let (z_px, z_basis) = normal_pair(u[0], u[1]);
            let mult = if path.burst_left_s > 0.0 {
                BURST_VOL_MULT
            } else {
                1.0
            };
            path.log_px += self.sigma_s * mult * dt_s.sqrt() * z_px;
            if u[4] < p_jump {
                let up = u[4] < p_jump / 2.0;
                path.log_px += if up { 1.0 + JUMP_REL } else { 1.0 - JUMP_REL }.ln();
            }
            if path.burst_left_s > 0.0 {
                path.burst_left_s -= dt_s;
            } else if u[2] < p_burst {
                path.burst_left_s = BURST_MIN_S + (BURST_MAX_S - BURST_MIN_S) * u[3];
            }
            path.basis = path.basis * decay + basis_sd * z_basis;
        }
    }

    /// Step to wall time `t_ns` (no-op if it is not later than the last step).
    pub fn advance_to(&mut self, t_ns: u64) {
        if t_ns > self.t_ns {
            self.step((t_ns - self.t_ns) as f64 * 1e-9);
            self.t_ns = t_ns;
        }
    }

    pub fn t_ns(&self) -> u64 {
        self.t_ns
    }

    pub fn n_assets(&self) -> usize {
        self.paths.len()
    }

    /// Binance spot (mid) price of asset `i`.
    pub fn spot(&self, i: usize) -> f64 {
        self.paths[i].log_px.exp()
    }

    /// Relative Chainlink−spot basis of asset `i`.
    pub fn basis(&self, i: usize) -> f64 {
        self.paths[i].basis
    }

    /// Chainlink price of asset `i`: spot × (1 + basis).
    pub fn chainlink(&self, i: usize) -> f64 {
        self.spot(i) * (1.0 + self.paths[i].basis)
    }

    /// Whether asset `i` is in a volatility burst.
    pub fn in_burst(&self, i: usize) -> bool {
        self.paths[i].burst_left_s > 0.0
    }

    /// The model's base volatility per √second (what fair values use).
    pub fn sigma_s(&self) -> f64 {
        self.sigma_s
    }
}

/// One 1-second OHLCV bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub open_s: u64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub quote_volume: f64,
    pub trades: u64,
    pub taker_buy_volume: f64,
}

impl Bar {
    pub fn new(open_s: u64, px: f64) -> Bar {
        Bar {
            open_s,
            open: px,
            high: px,
            low: px,
            close: px,
            volume: 0.0,
            quote_volume: 0.0,
            trades: 0,
            taker_buy_volume: 0.0,
        }
    }

    /// Fold a price and some traded quantity into the bar.
    pub fn observe(&mut self, px: f64, qty: f64, trades: u64, buy_share: f64) {
        self.high = self.high.max(px);
        self.low = self.low.min(px);
        self.close = px;
        self.volume += qty;
        self.quote_volume += qty * px;
        self.trades += trades;
        self.taker_buy_volume += qty * buy_share;
    }
}

/// Synthetic 1-second bars for the `secs` seconds before `now_s`, ending at `end_price`, so
/// klines have history from the first request. Uses its own RNG stream, so the live shocks
/// are not affected.
pub fn backfill_bars(
    seed: u64,
    end_price: f64,
    annual_vol: f64,
    now_s: u64,
    secs: u64,
) -> Vec<Bar> {
    const SUB: usize = 4;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6261_636b_6669_6c6c);
    let sd = sigma_per_sqrt_s(annual_vol) * (1.0 / SUB as f64).sqrt();
    // Walk forward from 0 in log space, then shift so the last close is the end price.
    let mut x = 0.0f64;
    let mut raw: Vec<[f64; 4]> = Vec::with_capacity(secs as usize);
    for _ in 0..secs {
        let (o, mut h, mut l) = (x, x, x);
        for _ in 0..SUB {
            let (z, _) = normal_pair(rng.random(), rng.random());
            x += sd * z;
            h = h.max(x);
            l = l.min(x);
        }
        raw.push([o, h, l, x]);
    }
    let shift = end_price.ln() - x;
    raw.iter()
        .enumerate()
        .map(|(k, r)| {
            let open_s = now_s - secs + k as u64;
            let c = (r[3] + shift).exp();
            let qty = 150_000.0 / c * (0.5 + rng.random::<f64>());
            let mut bar = Bar::new(open_s, (r[0] + shift).exp());
            bar.high = (r[1] + shift).exp();
            bar.low = (r[2] + shift).exp();
            bar.close = c;
            bar.volume = qty;
            bar.quote_volume = qty * c;
            bar.trades = rng.random_range(5..60);
            bar.taker_buy_volume = qty * rng.random::<f64>();
            bar
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(seed: u64) -> Vec<f64> {
        let mut m = PriceModel::new(seed, &[97_000.0, 3_600.0], 0.6, 0);
        let mut out = Vec::new();
        for k in 0..2_000u64 {
            // Irregular step lengths, as in real use.
            m.step(0.001 + (k % 7) as f64 * 0.01);
            out.push(m.spot(0));
            out.push(m.chainlink(1));
        }
        out
    }

    #[test]
    fn same_seed_same_path() {
        assert_eq!(path(7), path(7));
        assert_ne!(path(7), path(8));
    }

    #[test]
    fn increments_scale_with_elapsed_time() {
        // Same seed and total time, 100x more steps: the spread of 60-second log returns must
        // be about the same (σ√t), not 10x larger.
        let spread = |steps: u64| {
            let mut rets = Vec::new();
            for seed in 0..200 {
                let mut m = PriceModel::new(seed, &[100.0], 0.6, 0);
                for _ in 0..steps {
                    m.step(60.0 / steps as f64);
                }
                rets.push((m.spot(0) / 100.0).ln());
            }
            let var = rets.iter().map(|r| r * r).sum::<f64>() / rets.len() as f64;
            var.sqrt()
        };
        let expect = sigma_per_sqrt_s(0.6) * 60f64.sqrt();
        for steps in [6, 600] {
            let s = spread(steps);
            // Bursts and jumps widen it a little; sampling error ~5%.
            assert!(
                s > expect * 0.8 && s < expect * 1.6,
                "{steps} steps: {s} vs {expect}"
            );
        }
    }

    #[test]
    fn basis_stays_a_few_bps() {
        let mut m = PriceModel::new(3, &[97_000.0], 0.6, 0);
        let mut max_abs: f64 = 0.0;
        for _ in 0..36_000 {
            m.step(0.1);
            max_abs = max_abs.max(m.basis(0).abs());
        }
        assert!(max_abs > 1e-5 && max_abs < 30e-4, "{max_abs}");
        let rel = (m.chainlink(0) / m.spot(0) - 1.0 - m.basis(0)).abs();
        assert!(rel < 1e-12);
    }

    #[test]
    fn fair_value_limits() {
        let s = sigma_per_sqrt_s(0.6);
        assert!((fair_up(100.0, 100.0, s, 450.0) - 0.5).abs() < 1e-12);
        assert!(fair_up(100.1, 100.0, s, 450.0) > 0.5);
        assert!(fair_up(99.9, 100.0, s, 450.0) < 0.5);
        assert_eq!(fair_up(100.0, 100.0, s, 0.0), 1.0);
        assert_eq!(fair_up(99.99, 100.0, s, 0.0), 0.0);
        assert_eq!(fair_up(100.01, 100.0, 0.0, 100.0), 1.0);
        assert_eq!(fair_up(99.0, 100.0, s, -3.0), 0.0);
        // Φ itself.
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((norm_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-9);
        assert!((norm_cdf(-1.0) - 0.158_655_253_931_457).abs() < 1e-9);
    }

    #[test]
    fn backfill_ends_at_the_start_price() {
        let bars = backfill_bars(1, 2.4, 0.6, 1_000_000, 3_600);
        assert_eq!(bars.len(), 3_600);
        assert_eq!(bars.last().map(|b| b.open_s), Some(999_999));
        let last = bars.last().map(|b| b.close).unwrap_or(0.0);
        assert!((last - 2.4).abs() < 1e-9);
        assert!(bars
            .iter()
            .all(|b| b.low <= b.open.min(b.close) && b.high >= b.open.max(b.close)));
    }
}
