//! Circuit breakers: named reasons to halt trading, with when they tripped and why.
//!
//! A [`BreakerTrip`] is `Copy` (no `String`): the hot thread records numbers, and the human
//! message is formatted on demand by `Display`, on the control side (summary, journal, API).
//! Breakers with a cool-down re-arm by themselves; the daily-loss and drawdown breakers hold
//! until the next UTC day or a manual reset; the stale-feed breaker holds while a feed is silent.

use serde::{Serialize, Serializer};

use crate::pipeline::shared::FEED_NAMES;

/// Milliseconds in a UTC day.
pub const DAY_MS: u64 = 86_400_000;

/// Why trading is halted. `name()` is stable: the journal and the API write it.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BreakerKind {
    /// Realized loss today reached the daily limit.
    DailyLoss = 0,
    /// Equity fell too far below its peak.
    Drawdown = 1,
    /// Too many losing windows in a row.
    ConsecutiveLosses = 2,
    /// Too many venue rejects in a short span.
    VenueErrors = 3,
    /// A feed has been silent past its limit.
    StaleFeed = 4,
}

impl BreakerKind {
    /// Number of kinds.
    pub const COUNT: usize = 5;
    /// Every kind, in discriminant order (also the order `halted()` reports them).
    pub const ALL: [BreakerKind; Self::COUNT] = [
        BreakerKind::DailyLoss,
        BreakerKind::Drawdown,
        BreakerKind::ConsecutiveLosses,
        BreakerKind::VenueErrors,
        BreakerKind::StaleFeed,
    ];

    /// Stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            BreakerKind::DailyLoss => "daily_loss",
            BreakerKind::Drawdown => "max_drawdown",
            BreakerKind::ConsecutiveLosses => "consecutive_losses",
            BreakerKind::VenueErrors => "venue_errors",
            BreakerKind::StaleFeed => "stale_feed",
        }
    }

    /// The kind with this name.
    pub fn from_name(s: &str) -> Option<BreakerKind> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Whether it re-arms by itself (after a cool-down, or when feeds are fresh again).
    pub const fn self_rearming(self) -> bool {
        matches!(
            self,
            BreakerKind::ConsecutiveLosses | BreakerKind::VenueErrors | BreakerKind::StaleFeed
        )
    }
}

impl std::fmt::Display for BreakerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for BreakerKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One tripped breaker: what, when, the number that tripped it and the limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerTrip {
    pub kind: BreakerKind,
    /// Wall clock of the trip, unix ms.
    pub at_wall_ms: u64,
    /// When it re-arms by itself, unix ms: the end of the cool-down, or the start of the next
    /// UTC day for the daily-loss and drawdown breakers. `None`: when the condition clears
    /// (stale feed).
    pub until_wall_ms: Option<u64>,
    /// The observed value: losses in a row, USDC lost today, drawdown fraction, rejects in
    /// the span, or the feed's silence in ms.
    pub observed: f64,
    /// The configured limit it reached, in the same unit.
    pub limit: f64,
    /// For the stale-feed breaker: the feed, as an index into `FEED_NAMES`.
    pub feed: u8,
}

impl BreakerTrip {
    /// Whether the trip still holds at `wall_ms`.
    #[inline]
    pub fn active_at(&self, wall_ms: u64) -> bool {
        self.until_wall_ms.is_none_or(|u| wall_ms < u)
    }

    /// The human message (allocates: control side only).
    pub fn message(&self) -> String {
        self.to_string()
    }
}

/// `HH:MM:SS UTC` of a unix-ms instant.
fn utc_hms(ms: u64) -> impl std::fmt::Display {
    struct Hms(u64);
    impl std::fmt::Display for Hms {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let s = (self.0 % DAY_MS) / 1000;
            write!(f, "{:02}:{:02}:{:02} UTC", s / 3600, (s / 60) % 60, s % 60)
        }
    }
    Hms(ms)
}

impl std::fmt::Display for BreakerTrip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            BreakerKind::DailyLoss => write!(
                f,
                "daily_loss: realized loss today {:.2} USDC reached the limit {:.2} USDC; \
                 trading halted until the next UTC day or a manual reset",
                self.observed, self.limit
            ),
            BreakerKind::Drawdown => write!(
                f,
                "max_drawdown: equity {:.1}% below its peak reached the limit {:.1}%; \
                 trading halted until the next UTC day or a manual reset",
                self.observed * 100.0,
                self.limit * 100.0
            ),
            BreakerKind::ConsecutiveLosses => {
                write!(
                    f,
                    "consecutive_losses: {} losing windows in a row (limit {})",
                    self.observed as u64, self.limit as u64
                )?;
                if let Some(u) = self.until_wall_ms {
                    write!(f, "; re-arms at {}", utc_hms(u))?;
                }
                Ok(())
            }
            BreakerKind::VenueErrors => {
                write!(
                    f,
                    "venue_errors: {} rejects in the span (limit {})",
                    self.observed as u64, self.limit as u64
                )?;
                if let Some(u) = self.until_wall_ms {
                    write!(f, "; re-arms at {}", utc_hms(u))?;
                }
                Ok(())
            }
            BreakerKind::StaleFeed => write!(
                f,
                "stale_feed: {} silent for {} ms (limit {} ms); re-arms when it is fresh again",
                FEED_NAMES
                    .get(self.feed as usize)
                    .copied()
                    .unwrap_or("feed"),
                self.observed as u64,
                self.limit as u64
            ),
        }
    }
}

impl Serialize for BreakerTrip {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("BreakerTrip", 6)?;
        st.serialize_field("kind", self.kind.name())?;
        st.serialize_field("at_wall_ms", &self.at_wall_ms)?;
        st.serialize_field("until_wall_ms", &self.until_wall_ms)?;
        st.serialize_field("observed", &self.observed)?;
        st.serialize_field("limit", &self.limit)?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// A change of breaker state, for the control side (journal, alerts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BreakerEvent {
    Tripped(BreakerTrip),
    /// Re-armed: by its cool-down, the day roll, fresh feeds, or a manual reset.
    Rearmed {
        kind: BreakerKind,
        at_wall_ms: u64,
        manual: bool,
    },
}
