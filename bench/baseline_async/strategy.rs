//! The strategy task: the product's `latency_arb` with the benchmark's gates wide open
//! (`demo::trade_eagerly`), re-written in the plain style of an async bot.
//!
//! On every Binance trade (the trigger), once the window, both books and a strike are known
//! and `cooldown_ms` has passed since the last order:
//! 1. `P(UP) = prob_up(spot, strike, σ, τ)` (the product's fair value), spot the trade price,
//!    strike the first Chainlink observation at or after the window start (as the product),
//!    σ constant from `annual_vol`;
//! 2. per side, a limit of best ask + [`SLIPPAGE_TICKS`] ticks (the product's
//!    `max_slippage_ticks` default), the product's fixed-notional sizing over the asks within
//!    it, and the product's `buy_edge` net of fees;
//! 3. the side with the larger edge per share is sent to the order task as a FAK BUY tagged
//!    with the trigger's trade id. Gates are open, so any sized order goes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cassandra::pipeline::events::Level;
use cassandra::strategy::edge::buy_edge;
use cassandra::strategy::fair_value::prob_up;
use cassandra::strategy::sizing::{size_order_e6, SizingConfig, SizingInputs};
use tokio::sync::mpsc;

use super::messages::{Event, OrderRequest, WindowInfo};
use super::{AsyncBaselineConfig, Counters};

/// Ticks above the best ask the limit may go (the product's `max_slippage_ticks` default).
pub const SLIPPAGE_TICKS: u32 = 2;

/// Chainlink observations kept to find a window's strike.
const ORACLE_HISTORY: usize = 1024;

const SECONDS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0;

struct SideBook {
    asks: Vec<Level>,
    tick_e4: u16,
}

pub struct Strategy {
    sizing: SizingConfig,
    sigma_per_sqrt_s: f64,
    cooldown: Duration,
    window: Option<WindowInfo>,
    strike: Option<f64>,
    books: HashMap<String, SideBook>,
    oracle: VecDeque<(u64, f64)>,
    last_order: Option<Instant>,
}

/// One side priced for an order.
struct Priced {
    token: String,
    limit_e4: u32,
    size_e6: u64,
    tick_e4: u16,
    edge_per_share: f64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Strategy {
    pub fn new(cfg: &AsyncBaselineConfig) -> Strategy {
        Strategy {
            sizing: SizingConfig {
                notional_usdc: cfg.notional_usdc,
                ..SizingConfig::default()
            },
            sigma_per_sqrt_s: cfg.annual_vol / SECONDS_PER_YEAR.sqrt(),
            cooldown: Duration::from_millis(cfg.cooldown_ms),
            window: None,
            strike: None,
            books: HashMap::new(),
            oracle: VecDeque::new(),
            last_order: None,
        }
    }

    /// First observation at or after the window start, before its end.
    fn find_strike(&self, w: &WindowInfo) -> Option<f64> {
        let (start, end) = (w.start_s * 1000, w.end_s * 1000);
        self.oracle
            .iter()
            .filter(|(ts, _)| *ts >= start && *ts < end)
            .min_by_key(|(ts, _)| *ts)
            .map(|&(_, p)| p)
    }

    /// Applies a non-trigger event.
    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Trade { .. } => {}
            Event::Book {
                token,
                asks,
                tick_e4,
            } => {
                self.books.insert(token, SideBook { asks, tick_e4 });
            }
            Event::Oracle { ts_ms, price } => {
                if self.oracle.len() == ORACLE_HISTORY {
                    self.oracle.pop_front();
                }
                self.oracle.push_back((ts_ms, price));
                if self.strike.is_none() {
                    if let Some(w) = &self.window {
                        self.strike = self.find_strike(w);
                    }
                }
            }
            Event::Window(w) => {
                if let Some(old) = &self.window {
                    self.books.remove(&old.up_token);
                    self.books.remove(&old.down_token);
                }
                self.strike = self.find_strike(&w);
                self.window = Some(w);
            }
        }
    }

    fn price_side(&self, token: &str, p: f64, w: &WindowInfo) -> Option<Priced> {
        let book = self.books.get(token)?;
        let ask = book.asks.first()?;
        let tick = u32::from(book.tick_e4.max(1));
        let limit = (ask.price_e4 + SLIPPAGE_TICKS * tick).min(10_000 - tick);
        let asks: Vec<Level> = book
            .asks
            .iter()
            .copied()
            .filter(|l| l.price_e4 <= limit)
            .collect();
        let depth_e6: u64 = asks.iter().map(|l| l.size_e6).sum();
        let full = buy_edge(p, &asks, depth_e6, w.fees);
        let size = size_order_e6(
            &self.sizing,
            &SizingInputs {
                p_outcome: p,
                effective_price: full.effective_price(),
                limit_price_e4: limit,
                depth_at_limit_e6: depth_e6,
                bankroll_usdc: 0.0,
                risk_room_usdc: f64::INFINITY,
                min_size_e6: w.min_size_e6,
            },
        );
        let edge = buy_edge(p, &asks, size, w.fees);
        Some(Priced {
            token: token.to_string(),
            limit_e4: limit,
            size_e6: size,
            tick_e4: book.tick_e4,
            edge_per_share: edge.edge_per_share,
        })
    }

    /// A Binance trade: decide, and maybe return an order.
    fn on_trade(&mut self, trade_id: u64, spot: f64, counters: &Counters) -> Option<OrderRequest> {
        let w = self.window.as_ref()?;
        let strike = self.strike?;
        if !(self.books.contains_key(&w.up_token) && self.books.contains_key(&w.down_token)) {
            return None;
        }
        let now = Instant::now();
        if self
            .last_order
            .is_some_and(|t| now.duration_since(t) < self.cooldown)
        {
            return None;
        }
        let tau_s = (w.end_s * 1000).saturating_sub(now_ms()) as f64 / 1000.0;
        if tau_s <= 0.0 {
            return None; // the window is over; discovery brings the next one
        }
        counters.decisions.fetch_add(1, Ordering::Relaxed);
        let p_up = prob_up(spot, strike, self.sigma_per_sqrt_s, tau_s)?;
        let up = self.price_side(&w.up_token, p_up, w);
        let down = self.price_side(&w.down_token, 1.0 - p_up, w);
        let best = match (up, down) {
            (Some(u), Some(d)) => {
                if d.edge_per_share > u.edge_per_share {
                    d
                } else {
                    u
                }
            }
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => return None,
        };
        if best.size_e6 == 0 || best.edge_per_share.is_nan() {
            return None;
        }
        self.last_order = Some(now);
        Some(OrderRequest {
            trigger_seq: trade_id,
            token: best.token,
            price_e4: best.limit_e4,
            size_e6: best.size_e6,
            tick_e4: best.tick_e4,
            min_size_e6: w.min_size_e6,
            neg_risk: w.neg_risk,
        })
    }
}

/// Consumes every event; sends orders to the order task.
pub async fn run(
    mut s: Strategy,
    mut events: mpsc::Receiver<Event>,
    orders: mpsc::Sender<OrderRequest>,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    while let Some(ev) = events.recv().await {
        if let Event::Trade { trade_id, price } = ev {
            if let Some(req) = s.on_trade(trade_id, price, &counters) {
                orders.send(req).await?;
            }
        } else {
            s.on_event(ev);
        }
    }
    Ok(())
}
