//! Fair value under each settlement rule, against Monte-Carlo reference values computed here
//! from simulated price paths (seeded, so the references are the same on every run):
//! spot settlement early and late in a window, and a 60-second TWAP settlement before its span
//! opens and inside it with part of the average already observed. Late in a window the two
//! rules disagree by far more than the simulation's error: pricing a TWAP market as spot is
//! caught.

use cassandra::strategy::fair_value::{prob_up, prob_up_settled, ObservedAverage, SettlementRule};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// BTC at about 50% a year, per √second.
const SIGMA: f64 = 8.9e-5;
const SPOT: f64 = 100_000.0;
const L: f64 = 60.0;
const PATHS: usize = 20_000;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller; 1 − u keeps the logarithm finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Fraction of simulated paths whose end value is ≥ `strike`. The log-price is a Brownian
/// motion with σ per √s; the end value is the price at τ (spot) or the arithmetic mean of the
/// price over the last L seconds, sampled every `dt` s, combined with the part already seen.
fn monte_carlo(
    seed: u64,
    strike: f64,
    tau: f64,
    rule: SettlementRule,
    observed: Option<ObservedAverage>,
    dt: f64,
) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut up = 0usize;
    for _ in 0..PATHS {
        let end = match rule {
            SettlementRule::Spot => SPOT * (SIGMA * tau.sqrt() * normal(&mut rng)).exp(),
            SettlementRule::Twap { lookback_s } => {
                // Jump to the span's opening (or stay: already inside), then walk it.
                let before = (tau - lookback_s).max(0.0);
                let mut x = SPOT.ln() + SIGMA * before.sqrt() * normal(&mut rng);
                let walk = tau - before;
                let steps = (walk / dt).round() as usize;
                let mut sum = 0.0;
                for _ in 0..steps {
                    x += SIGMA * dt.sqrt() * normal(&mut rng);
                    sum += x.exp() * dt;
                }
                let (seen_s, seen_mean) = observed.map_or((0.0, 0.0), |o| (o.elapsed_s, o.mean));
                (seen_s * seen_mean + sum) / lookback_s
            }
        };
        if end >= strike {
            up += 1;
        }
    }
    up as f64 / PATHS as f64
}

fn assert_matches(name: &str, model: f64, mc: f64) {
    let se = (mc * (1.0 - mc) / PATHS as f64).sqrt().max(1e-4);
    // Four standard errors plus the bias of sampling the average every dt (under 0.004 here).
    assert!(
        (model - mc).abs() <= 4.0 * se + 0.004,
        "{name}: model {model:.4} vs Monte-Carlo {mc:.4} (se {se:.4})"
    );
}

#[test]
fn spot_settlement_matches_simulation_early_and_late() {
    for (seed, tau, strike) in [(1, 600.0, SPOT * 1.0005), (2, 20.0, SPOT * 0.9998)] {
        let model = prob_up_settled(SPOT, strike, SIGMA, tau, SettlementRule::Spot, None).unwrap();
        assert_eq!(model, prob_up(SPOT, strike, SIGMA, tau).unwrap());
        let mc = monte_carlo(seed, strike, tau, SettlementRule::Spot, None, 1.0);
        assert_matches(&format!("spot τ={tau}"), model, mc);
    }
}

#[test]
fn twap_before_its_span_matches_simulation() {
    let rule = SettlementRule::Twap { lookback_s: L };
    for (seed, tau, strike) in [(3, 600.0, SPOT * 1.001), (4, 90.0, SPOT * 0.9997)] {
        let model = prob_up_settled(SPOT, strike, SIGMA, tau, rule, None).unwrap();
        let mc = monte_carlo(seed, strike, tau, rule, None, 0.5);
        assert_matches(&format!("twap τ={tau}"), model, mc);
    }
}

#[test]
fn twap_inside_its_span_uses_what_was_observed() {
    let rule = SettlementRule::Twap { lookback_s: L };
    let tau = 20.0;
    // Forty seconds of the span seen, averaging 3 bp above the spot now; strike 1 bp above.
    let observed = ObservedAverage {
        elapsed_s: L - tau,
        mean: SPOT * 1.0003,
    };
    let strike = SPOT * 1.0001;
    let model = prob_up_settled(SPOT, strike, SIGMA, tau, rule, Some(observed)).unwrap();
    let mc = monte_carlo(5, strike, tau, rule, Some(observed), 0.25);
    assert_matches("twap inside the span", model, mc);
    // The spot rule is far off here: the average is mostly decided.
    let as_spot = prob_up(SPOT, strike, SIGMA, tau).unwrap();
    assert!(
        (as_spot - mc).abs() > 0.3,
        "spot rule {as_spot:.3} should be far from the TWAP's {mc:.3}"
    );
}

#[test]
fn twap_edge_cases() {
    let rule = SettlementRule::Twap { lookback_s: L };
    // Continuous at the span's opening.
    let at = prob_up_settled(SPOT, SPOT * 1.0002, SIGMA, L, rule, None).unwrap();
    let inside = prob_up_settled(SPOT, SPOT * 1.0002, SIGMA, L - 1e-9, rule, None).unwrap();
    assert!((at - inside).abs() < 1e-6, "{at} vs {inside}");
    // At the end the average is known: a tie is UP.
    let done = ObservedAverage {
        elapsed_s: L,
        mean: SPOT,
    };
    assert_eq!(
        prob_up_settled(SPOT * 2.0, SPOT, SIGMA, 0.0, rule, Some(done)),
        Some(1.0)
    );
    let below = ObservedAverage {
        elapsed_s: L,
        mean: SPOT * 0.99999,
    };
    assert_eq!(
        prob_up_settled(SPOT * 2.0, SPOT, SIGMA, 0.0, rule, Some(below)),
        Some(0.0)
    );
    // The same meaningless inputs as the spot model.
    assert_eq!(prob_up_settled(-1.0, SPOT, SIGMA, 30.0, rule, None), None);
    assert_eq!(
        prob_up_settled(SPOT, SPOT, f64::NAN, 30.0, rule, None),
        None
    );
    // A lookback that is not a positive number prices as spot.
    let bad = SettlementRule::Twap { lookback_s: 0.0 };
    assert_eq!(
        prob_up_settled(SPOT, SPOT * 1.0001, SIGMA, 30.0, bad, None),
        prob_up(SPOT, SPOT * 1.0001, SIGMA, 30.0)
    );
}
