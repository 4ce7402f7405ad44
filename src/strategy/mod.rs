//! Strategy math: pure, allocation-free functions and small `Copy` state used by `signal`.
//!
//! Contract for everything here that runs per event: no allocation, no locks, no logging, no
//! panics on bad numbers (NaN, ∞, zero, empty books give a documented value or `None`), O(1)
//! or O(book depth). Configuration structs (`*Config`, serde, `validate()`) are the only things
//! built off the hot path. The `strategy_hot_path_no_alloc` and `strategy_bad_numbers` tests
//! hold these promises.
//!
//! One decision, in data-flow order:
//! 1. [`vol`]: `VolEstimator::update(binance, ts)` per tick → σ per √s.
//! 2. [`basis`]: `BasisEma` fed by both feeds → `corrected_spot(binance)`.
//! 3. [`fair_value`]: `prob_up(S, K, σ, τ)` → P(UP); `prob_of` for DOWN.
//! 4. [`gates`]: `check_context` first (cheap, no model).
//! 5. [`book_walk`] + [`fees`] → [`edge`]: `buy_edge(p, asks, size, fee)` per outcome.
//! 6. [`sizing`]: `size_order_e6` from the edge's effective price and the depth at the limit.
//! 7. [`gates`]: `check_trade` → trade, or a `SkipReason` for the snapshot.
//!
//! Units: book prices `price_e4` (1e-4), sizes and USDC `*_e6` (1e-6), exact costs `cost_e10`
//! (1e-10 USDC); probabilities, σ and edges are `f64`.

pub mod anchor;
pub mod basis;
pub mod book_walk;
pub mod candidate;
pub mod edge;
pub mod fair_value;
pub mod fees;
pub mod gates;
pub mod latency_arb;
pub mod sizing;
pub mod sniper;
pub mod twap_obs;
pub mod vol;
