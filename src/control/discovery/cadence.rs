//! The venue's schedule of up/down windows for one configured kind (`windows.slug_kind`): where
//! the window containing an instant starts and ends, and the Gamma slug that names it.
//!
//! Polymarket runs two families (slugs as listed on polymarket.com and in Gamma, 2026):
//! - `{sym}-updown-{5m|15m|4h}-{start unix s}`: 5- and 15-minute windows sit on multiples of
//!   their length in UTC; 4-hour windows start at midnight **US Eastern** and every 4 hours after
//!   (`btc-updown-4h-1772946000` is 00:00 EST on 2026-03-08 = 05:00 UTC, not a UTC multiple of
//!   4 hours; in summer ET midnight is 04:00 UTC and the two coincide).
//! - Named by Eastern wall time: hourly `{name}-up-or-down-{month}-{day}-{year}-{h}{am|pm}-et`
//!   (`xrp-up-or-down-september-25-2026-9am-et`, the hour it opens), daily
//!   `{name}-up-or-down-on-{month}-{day}-{year}` from noon ET the day before to noon ET that day.
//!   These settle on Binance candles (their `resolutionSource`), which discovery reads and names.
//!
//! A window is therefore not always its nominal length: a 4-hour or daily window that spans a
//! daylight-saving change is an hour shorter or longer, and its end comes from the schedule.

use crate::calendar::{civil_from_days, days_from_civil, eastern_offset_s, full_name, MONTHS};

/// One kind of up/down market, as configured by `windows.slug_kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// `{sym}-updown-{label}-{start}` on UTC multiples of `length_s` (the venue's 5 m and 15 m;
    /// the simulator's short demo windows).
    Epoch { label: String, length_s: u64 },
    /// `{sym}-updown-4h-{start}`, 4-hour blocks of the US Eastern day.
    FourHourEastern,
    /// `{name}-up-or-down-{month}-{day}-{year}-{h}{am|pm}-et`.
    HourlyEastern,
    /// `{name}-up-or-down-on-{month}-{day}-{year}`, noon ET to noon ET.
    DailyEastern,
}

/// One window's bounds, unix seconds, `start_s < end_s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowTimes {
    pub start_s: u64,
    pub end_s: u64,
}

impl Cadence {
    /// From `windows.slug_kind` and `windows.length_s`. The venue's fixed kinds must be
    /// configured with their length; `updown-<label>` with another length is an epoch-aligned
    /// schedule (the simulator's).
    pub fn from_config(slug_kind: &str, length_s: u64) -> Result<Cadence, String> {
        let fixed = |c: Cadence, want: u64| {
            if length_s == want {
                Ok(c)
            } else {
                Err(format!(
                    "windows.slug_kind = {slug_kind:?} needs windows.length_s = {want}, not {length_s}"
                ))
            }
        };
        match slug_kind {
            "updown-4h" => fixed(Cadence::FourHourEastern, 14_400),
            "up-or-down-hourly" => fixed(Cadence::HourlyEastern, 3_600),
            "up-or-down-daily" => fixed(Cadence::DailyEastern, 86_400),
            _ => match slug_kind.strip_prefix("updown-") {
                Some(label)
                    if !label.is_empty()
                        && label.bytes().all(|b| b.is_ascii_alphanumeric())
                        && length_s >= 2 =>
                {
                    Ok(Cadence::Epoch {
                        label: label.to_string(),
                        length_s,
                    })
                }
                _ => Err(format!(
                    "windows.slug_kind = {slug_kind:?}: expected updown-5m, updown-15m, updown-4h, \
                     up-or-down-hourly or up-or-down-daily"
                )),
            },
        }
    }

    /// The nominal length (the actual one differs across a daylight-saving change).
    pub fn nominal_length_s(&self) -> u64 {
        match self {
            Cadence::Epoch { length_s, .. } => *length_s,
            Cadence::FourHourEastern => 14_400,
            Cadence::HourlyEastern => 3_600,
            Cadence::DailyEastern => 86_400,
        }
    }

    /// The window containing `now_s` (`start_s <= now_s < end_s`).
    pub fn window_at(&self, now_s: u64) -> WindowTimes {
        match self {
            Cadence::Epoch { length_s, .. } => {
                let start_s = now_s - now_s % length_s;
                WindowTimes {
                    start_s,
                    end_s: start_s + length_s,
                }
            }
            Cadence::HourlyEastern => {
                // Eastern offsets are whole hours: ET hours are UTC hours.
                let start_s = now_s - now_s % 3_600;
                WindowTimes {
                    start_s,
                    end_s: start_s + 3_600,
                }
            }
            Cadence::FourHourEastern => eastern_blocks(now_s, 0, 4),
            Cadence::DailyEastern => eastern_blocks(now_s, 12, 24),
        }
    }

    /// The window after `w`.
    pub fn next(&self, w: WindowTimes) -> WindowTimes {
        self.window_at(w.end_s)
    }

    /// Gamma's slug of the window `w` of asset `symbol` (`BTC`).
    pub fn slug(&self, symbol: &str, w: WindowTimes) -> String {
        let sym = symbol.to_ascii_lowercase();
        match self {
            Cadence::Epoch { label, .. } => format!("{sym}-updown-{label}-{}", w.start_s),
            Cadence::FourHourEastern => format!("{sym}-updown-4h-{}", w.start_s),
            Cadence::HourlyEastern => {
                let (y, m, d, h) = eastern_civil(w.start_s);
                let (h12, half) = match h {
                    0 => (12, "am"),
                    1..=11 => (h, "am"),
                    12 => (12, "pm"),
                    _ => (h - 12, "pm"),
                };
                format!(
                    "{}-up-or-down-{}-{d}-{y}-{h12}{half}-et",
                    name_slug(symbol),
                    month_slug(m)
                )
            }
            Cadence::DailyEastern => {
                let (y, m, d, _) = eastern_civil(w.end_s);
                format!(
                    "{}-up-or-down-on-{}-{d}-{y}",
                    name_slug(symbol),
                    month_slug(m)
                )
            }
        }
    }
}

/// The block of `hours` Eastern hours containing `now_s`, blocks starting at `first_hour` ET of
/// each day and every `hours` after (4-hour: 0, 4, …, 20; daily: noon).
fn eastern_blocks(now_s: u64, first_hour: i64, hours: i64) -> WindowTimes {
    let now = now_s as i64;
    let local = now + eastern_offset_s(now);
    let day = local.div_euclid(86_400);
    let hour = local.rem_euclid(86_400) / 3_600;
    // Block start in local wall time, as (day, hour), stepping back a day before `first_hour`.
    let steps = (hour - first_hour).div_euclid(hours);
    let start_local_h = day * 24 + first_hour + steps * hours;
    let start = eastern_wall_to_utc(start_local_h);
    let end = eastern_wall_to_utc(start_local_h + hours);
    WindowTimes {
        start_s: start as u64,
        end_s: end as u64,
    }
}

/// The UTC instant of an Eastern wall-clock hour (hours since 1970-01-01 00:00 local). The
/// venue's blocks start at 00, 04, 08, … and noon, never inside the skipped or repeated 2 AM
/// hour, so the wall time names one instant.
fn eastern_wall_to_utc(local_hours: i64) -> i64 {
    let local = local_hours * 3_600;
    // Try the standard offset, then daylight time; keep the one that maps back to itself.
    let as_est = local + 5 * 3_600;
    if eastern_offset_s(as_est) == -5 * 3_600 {
        as_est
    } else {
        local + 4 * 3_600
    }
}

/// (year, month, day, hour) on the Eastern wall clock at `unix_s`.
fn eastern_civil(unix_s: u64) -> (i64, u32, u32, u32) {
    let s = unix_s as i64;
    let local = s + eastern_offset_s(s);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    (y, m, d, (local.rem_euclid(86_400) / 3_600) as u32)
}

fn month_slug(m: u32) -> String {
    MONTHS[(m as usize + 11) % 12].to_ascii_lowercase()
}

fn name_slug(symbol: &str) -> String {
    full_name(symbol).to_ascii_lowercase()
}

/// Unix seconds of an Eastern wall time (for tests and tools): `(2026, 3, 8, 0)`.
pub fn eastern_to_utc(y: i64, m: u32, d: u32, hour: u32) -> u64 {
    eastern_wall_to_utc(days_from_civil(y, m, d) * 24 + i64::from(hour)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(kind: &str, len: u64) -> Cadence {
        Cadence::from_config(kind, len).unwrap()
    }

    #[test]
    fn five_and_fifteen_minutes_sit_on_utc_multiples() {
        let m15 = c("updown-15m", 900);
        let w = m15.window_at(1_768_665_600 + 899);
        assert_eq!((w.start_s, w.end_s), (1_768_665_600, 1_768_666_500));
        assert_eq!(m15.slug("BTC", w), "btc-updown-15m-1768665600");
        assert_eq!(m15.next(w).start_s, 1_768_666_500);
        let sim = c("updown-15m", 60);
        assert_eq!(sim.window_at(125).start_s, 120);
    }

    #[test]
    fn four_hours_follow_eastern_midnight_in_winter_and_summer() {
        let h4 = c("updown-4h", 14_400);
        // Winter: 00:00 EST on 2026-03-08 (05:00 UTC), listed as btc-updown-4h-1772946000.
        let w = h4.window_at(1_772_946_000 + 3_600);
        assert_eq!(w.start_s, 1_772_946_000);
        assert_eq!(h4.slug("BTC", w), "btc-updown-4h-1772946000");
        // 2026-03-08 is the spring-forward day: 00:00 EST → 04:00 EDT is three real hours.
        assert_eq!(w.end_s, eastern_to_utc(2026, 3, 8, 4));
        assert_eq!(w.end_s - w.start_s, 3 * 3_600);
        // Summer: 08:00 EDT on 2026-09-25 (12:00 UTC), listed as btc-updown-4h-1790337600.
        let w = h4.window_at(1_790_337_600 + 14_399);
        assert_eq!((w.start_s, w.end_s), (1_790_337_600, 1_790_352_000));
        // Winter, not on a UTC multiple of 4 hours: 16:00 EST (21:00 UTC) on 2026-01-17.
        let w = h4.window_at(eastern_to_utc(2026, 1, 17, 17));
        assert_eq!(w.start_s, eastern_to_utc(2026, 1, 17, 16));
        assert_ne!(w.start_s % 14_400, 0);
        // Fall back (2026-11-01): 00:00 EDT → 04:00 EST is five real hours.
        let w = h4.window_at(eastern_to_utc(2026, 11, 1, 3));
        assert_eq!(w.end_s - w.start_s, 5 * 3_600);
        // Blocks tile time: every window's end is the next one's start.
        let mut w = h4.window_at(1_767_225_600);
        for _ in 0..3_000 {
            let n = h4.next(w);
            assert_eq!(n.start_s, w.end_s);
            w = n;
        }
    }

    #[test]
    fn hourly_slug_names_the_eastern_hour_it_opens() {
        let h = c("up-or-down-hourly", 3_600);
        // 9 AM EDT on 2026-09-25 is 13:00 UTC.
        let w = h.window_at(eastern_to_utc(2026, 9, 25, 9) + 1_800);
        assert_eq!(w.start_s, eastern_to_utc(2026, 9, 25, 9));
        assert_eq!(h.slug("XRP", w), "xrp-up-or-down-september-25-2026-9am-et");
        assert_eq!(
            h.slug("ETH", h.window_at(eastern_to_utc(2026, 9, 20, 20))),
            "ethereum-up-or-down-september-20-2026-8pm-et"
        );
        assert_eq!(
            h.slug("BTC", h.window_at(eastern_to_utc(2026, 1, 18, 0))),
            "bitcoin-up-or-down-january-18-2026-12am-et"
        );
        assert_eq!(
            h.slug("BTC", h.window_at(eastern_to_utc(2026, 1, 18, 12))),
            "bitcoin-up-or-down-january-18-2026-12pm-et"
        );
    }

    #[test]
    fn daily_runs_noon_to_noon_eastern_and_is_named_by_its_end() {
        let d = c("up-or-down-daily", 86_400);
        // 2026-05-28 09:00 EDT lies in the window ending at noon that day.
        let w = d.window_at(eastern_to_utc(2026, 5, 28, 9));
        assert_eq!(w.start_s, eastern_to_utc(2026, 5, 27, 12));
        assert_eq!(w.end_s, eastern_to_utc(2026, 5, 28, 12));
        assert_eq!(w.end_s - w.start_s, 86_400);
        assert_eq!(d.slug("BTC", w), "bitcoin-up-or-down-on-may-28-2026");
        // At noon the next one opens.
        let n = d.window_at(eastern_to_utc(2026, 5, 28, 12));
        assert_eq!(d.slug("BTC", n), "bitcoin-up-or-down-on-may-29-2026");
        // Spring forward inside the window: 23 real hours.
        let w = d.window_at(eastern_to_utc(2026, 3, 8, 6));
        assert_eq!(w.end_s - w.start_s, 23 * 3_600);
    }

    #[test]
    fn fixed_kinds_refuse_a_wrong_length_and_unknown_kinds_say_what_is_accepted() {
        let e = Cadence::from_config("updown-4h", 900).unwrap_err();
        assert!(e.contains("needs windows.length_s = 14400"), "{e}");
        assert!(Cadence::from_config("up-or-down-daily", 3_600).is_err());
        let e = Cadence::from_config("weekly", 900).unwrap_err();
        assert!(e.contains("up-or-down-hourly"), "{e}");
        assert!(Cadence::from_config("updown-", 900).is_err());
        assert!(Cadence::from_config("updown-1m", 1).is_err());
    }
}
