//! Market anchoring (`strategy::anchor`): the book's mid before a move, moved only by what the
//! model says the move is worth; the market's P(UP) from either book; `[strategy] model`.

use cassandra::config::Config;
use cassandra::pipeline::events::{BookTop, Level};
use cassandra::strategy::anchor::{market_mid_up, normal_quantile, Anchor, FairModel};
use cassandra::strategy::fair_value::normal_cdf;

fn book(bid: Option<u32>, ask: Option<u32>) -> BookTop {
    let mut b = BookTop::default();
    if let Some(p) = bid {
        b.bids[0] = Level {
            price_e4: p,
            size_e6: 10_000_000,
        };
        b.n_bids = 1;
    }
    if let Some(p) = ask {
        b.asks[0] = Level {
            price_e4: p,
            size_e6: 10_000_000,
        };
        b.n_asks = 1;
    }
    b
}

#[test]
fn with_no_move_the_anchored_price_is_the_market_mid() {
    let mut a = Anchor::default();
    assert_eq!(a.p_up(Some(0.8)), None, "no anchor yet");
    assert!(a.observe(Some(0.30), Some(0.80)));
    // The model thinks 0.80, the market 0.30: with nothing new, the anchored view is the market's.
    assert!((a.p_up(Some(0.80)).unwrap() - 0.30).abs() < 1e-12);
}

#[test]
fn a_move_shifts_the_market_mid_by_the_models_z_change() {
    let mut a = Anchor::default();
    a.observe(Some(0.40), Some(0.55));
    let p = a.p_up(Some(0.70)).unwrap();
    let want = normal_cdf(normal_quantile(0.40) + normal_quantile(0.70) - normal_quantile(0.55));
    assert!((p - want).abs() < 1e-12, "{p} vs {want}");
    assert!(p > 0.40 && p < 0.70);
    // A move down lowers it; monotone in the model's price.
    let mut last = 0.0;
    for i in 1..100 {
        let q = a.p_up(Some(i as f64 / 100.0)).unwrap();
        assert!(q >= last);
        last = q;
    }
    assert!(a.p_up(Some(0.40)).unwrap() < 0.40);
}

#[test]
fn the_anchor_moves_only_when_the_mid_does() {
    let mut a = Anchor::default();
    assert!(a.observe(Some(0.50), Some(0.50)));
    // The book updated without repricing while Binance moved: the move stays unpriced.
    assert!(!a.observe(Some(0.50), Some(0.65)));
    assert!((a.p_up(Some(0.65)).unwrap() - 0.65).abs() < 1e-12);
    // The book repriced: everything up to now is in the price.
    assert!(a.observe(Some(0.60), Some(0.65)));
    assert!((a.p_up(Some(0.65)).unwrap() - 0.60).abs() < 1e-12);
}

#[test]
fn missing_or_bad_numbers_give_no_price_and_extremes_stay_finite() {
    let mut a = Anchor::default();
    assert!(!a.observe(None, Some(0.5)));
    assert!(!a.observe(Some(0.5), None));
    assert!(!a.observe(Some(f64::NAN), Some(0.5)));
    a.observe(Some(0.5), Some(0.5));
    assert_eq!(a.p_up(None), None);
    assert_eq!(a.p_up(Some(f64::NAN)), None);
    // A certain model and a one-sided market: clamped, never NaN or outside [0, 1].
    for (m, p0, p1) in [(0.0, 0.0, 1.0), (1.0, 1.0, 0.0), (0.999, 1e-300, 1.0)] {
        let mut a = Anchor::default();
        a.observe(Some(m), Some(p0));
        let p = a.p_up(Some(p1)).unwrap();
        assert!((0.0..=1.0).contains(&p), "{m} {p0} {p1} → {p}");
    }
}

#[test]
fn the_market_mid_comes_from_the_up_book_else_the_down_books_mirror() {
    let up = book(Some(4_800), Some(5_000));
    let down = book(Some(5_100), Some(5_300));
    assert!((market_mid_up(Some(&up), Some(&down)).unwrap() - 0.49).abs() < 1e-12);
    let one_sided = book(None, Some(5_000));
    assert!((market_mid_up(Some(&one_sided), Some(&down)).unwrap() - 0.48).abs() < 1e-12);
    assert_eq!(market_mid_up(Some(&one_sided), None), None);
    // A crossed book is not a price.
    let crossed = book(Some(6_000), Some(5_000));
    assert_eq!(market_mid_up(Some(&crossed), None), None);
    assert_eq!(market_mid_up(None, None), None);
}

#[test]
fn the_model_is_chosen_in_the_configuration() {
    assert_eq!(
        Config::from_toml("").unwrap().strategy.model,
        FairModel::Anchored
    );
    let c = Config::from_toml("[strategy]\nmodel = \"absolute\"\n").unwrap();
    assert_eq!(c.strategy.model, FairModel::Absolute);
    let e = Config::from_toml("[strategy]\nmodel = \"psychic\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("psychic") || e.contains("model"), "{e}");
}
