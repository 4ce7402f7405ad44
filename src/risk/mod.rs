//! Risk: pre-trade limits and circuit breakers, inline on the `signal` thread (DESIGN §6).
//!
//! [`RiskBook::check`] turns an [`OrderCandidate`] into [`RiskApproved`] or [`RiskRefused`]
//! (which names the rule), in precedence order: kill switch > a tripped breaker > mode `off` >
//! limits. Limits: notional per order; exposure (USDC at risk in open positions at cost plus
//! orders in flight at notional) per window, per asset and in total; open positions; orders
//! per minute. Breakers ([`BreakerKind`]): daily realized loss (UTC day), drawdown from the
//! equity peak, consecutive losing windows, venue rejects in a span, a silent feed. Each trip
//! is a `Copy` [`BreakerTrip`] with a time and the numbers behind it; its message is formatted
//! on the control side.
//!
//! Contract: the book is built once (fixed arrays: per asset × [`WINDOW_SLOTS`], an in-flight
//! table, stamp rings); after that `check`, `room_usdc`, every `on_*`, `tick`, `reset` and
//! `drain_events` allocate nothing, take no lock and make no syscall. The caller passes the
//! clocks in (`mono_ns` for the order rate, unix ms for breakers), so tests drive time.

pub mod book;
pub mod breakers;
pub mod config;
pub mod rate;

pub use book::{
    intent_notional_usdc, OrderCandidate, RefuseReason, RiskApproved, RiskBook, RiskLimit,
    RiskRefused, RiskSeed, MAX_IN_FLIGHT, WINDOW_SLOTS,
};
pub use breakers::{BreakerEvent, BreakerKind, BreakerTrip, DAY_MS};
pub use config::{RiskConfig, RiskConfigError};
