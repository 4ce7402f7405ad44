//! Civil dates and US Eastern time, for the venue's market schedules: Polymarket names and
//! aligns hourly, 4-hour and daily up/down markets on New York time, and titles every window in
//! it. Proleptic Gregorian day counts (no time-zone database); the US daylight-saving rule is the
//! one in force since 2007 (second Sunday of March to first Sunday of November, 2:00 local).

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-24T22:15:00Z`
pub fn iso_utc(unix_s: u64) -> String {
    let s = unix_s as i64;
    let (y, m, d) = civil_from_days(s.div_euclid(86_400));
    let sod = s.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// US Eastern offset from UTC in seconds at `unix_s` (EDT from the second Sunday of March,
/// 2:00 local, to the first Sunday of November, 2:00 local).
pub fn eastern_offset_s(unix_s: i64) -> i64 {
    let (y, _, _) = civil_from_days(unix_s.div_euclid(86_400));
    let sunday_on_or_after = |m: u32, d: u32| {
        let days = days_from_civil(y, m, d);
        // 1970-01-01 was a Thursday: weekday 0 = Sunday.
        let wd = (days + 4).rem_euclid(7);
        days + (7 - wd) % 7
    };
    let start = sunday_on_or_after(3, 8) * 86_400 + 7 * 3600;
    let end = sunday_on_or_after(11, 1) * 86_400 + 6 * 3600;
    if (start..end).contains(&unix_s) {
        -4 * 3600
    } else {
        -5 * 3600
    }
}

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// (year, month, day, "9:15AM") in US Eastern time.
pub fn clock_et(unix_s: i64) -> (i64, u32, u32, String) {
    let local = unix_s + eastern_offset_s(unix_s);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let sod = local.rem_euclid(86_400);
    let (h, min) = (sod / 3600, sod / 60 % 60);
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let ampm = if h < 12 { "AM" } else { "PM" };
    (y, m, d, format!("{h12}:{min:02}{ampm}"))
}

/// The asset's full name, as Polymarket titles use it.
pub fn full_name(symbol: &str) -> String {
    match symbol {
        "BTC" => "Bitcoin".into(),
        "ETH" => "Ethereum".into(),
        "SOL" => "Solana".into(),
        "XRP" => "XRP".into(),
        "DOGE" => "Dogecoin".into(),
        other => other.into(),
    }
}
