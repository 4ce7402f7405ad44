//! `GET /metrics`: Prometheus text exposition (format 0.0.4).
//!
//! Counters are read from the shared atomics (relaxed loads, no lock); per-stage latency comes
//! from the control state's percentile summaries as a Prometheus `summary` in seconds
//! (quantiles 0.5, 0.9, 0.99, 0.999, plus `_count` and a `_max` gauge). Names never change once
//! published; new ones are added.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::App;
use crate::clock::mono_ns;
use crate::pipeline::cores::HOT_THREADS;
use crate::pipeline::shared::FEED_NAMES;
use crate::strategy::gates::SkipReason;

fn g(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// Writes one metric family at a time.
struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.0, "{k}=\"{v}\"");
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn one(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// The whole exposition text.
pub fn render(app: &App) -> String {
    let sh = &app.ctx.shared;
    let c = &sh.counters;
    let mut o = Out(String::with_capacity(8 << 10));
    let feeds = [&c.binance, &c.poly, &c.chainlink];
    type FeedField = fn(&crate::telemetry::counters::FeedCounters) -> &AtomicU64;
    let per_feed: [(&str, &str, FeedField); 6] = [
        (
            "cassandra_feed_frames_total",
            "Data frames received.",
            |f| &f.frames,
        ),
        (
            "cassandra_feed_parse_errors_total",
            "Frames that failed to parse.",
            |f| &f.parse_errors,
        ),
        (
            "cassandra_feed_ignored_total",
            "Well-formed frames of kinds not used.",
            |f| &f.ignored,
        ),
        (
            "cassandra_feed_reconnects_total",
            "Connections re-established.",
            |f| &f.reconnects,
        ),
        (
            "cassandra_feed_stale_total",
            "Times the feed was declared stale.",
            |f| &f.stale,
        ),
        ("cassandra_feed_pongs_total", "Pings answered.", |f| {
            &f.pongs
        }),
    ];
    for (name, help, field) in per_feed {
        o.family(name, "counter", help);
        for (i, f) in feeds.iter().enumerate() {
            o.sample(name, &[("feed", FEED_NAMES[i])], g(field(f)));
        }
    }
    let now = mono_ns();
    o.family(
        "cassandra_feed_connected",
        "gauge",
        "1 while the feed is connected.",
    );
    for (i, f) in sh.feeds.iter().enumerate() {
        let up = u8::from(f.connected.load(Ordering::Relaxed));
        o.sample("cassandra_feed_connected", &[("feed", FEED_NAMES[i])], up);
    }
    o.family(
        "cassandra_feed_last_frame_age_seconds",
        "gauge",
        "Seconds since the feed's last data frame (NaN before the first).",
    );
    for (i, f) in sh.feeds.iter().enumerate() {
        let t = f.last_frame_ns.load(Ordering::Relaxed);
        let age = if t == 0 {
            f64::NAN
        } else {
            now.saturating_sub(t) as f64 / 1e9
        };
        o.sample(
            "cassandra_feed_last_frame_age_seconds",
            &[("feed", FEED_NAMES[i])],
            age,
        );
    }
    o.family(
        "cassandra_thread_heartbeat_age_seconds",
        "gauge",
        "Seconds since each hot thread's last loop.",
    );
    for (i, name) in HOT_THREADS.iter().enumerate() {
        let t = sh.heartbeat_ns[i].load(Ordering::Relaxed);
        let age = if t == 0 {
            f64::NAN
        } else {
            now.saturating_sub(t) as f64 / 1e9
        };
        o.sample(
            "cassandra_thread_heartbeat_age_seconds",
            &[("thread", name)],
            age,
        );
    }
    o.family(
        "cassandra_hot_ring_full_total",
        "counter",
        "Times a hot ring was full (the producer waited).",
    );
    for (link, v) in [
        ("spot", &c.ring_full_spot),
        ("poly", &c.ring_full_poly),
        ("intent", &c.ring_full_intent),
        ("exec", &c.ring_full_exec),
    ] {
        o.sample("cassandra_hot_ring_full_total", &[("link", link)], g(v));
    }
    o.family(
        "cassandra_tap_dropped_total",
        "counter",
        "Items a tap to the control side dropped.",
    );
    for (tap, v) in [
        ("spot", &c.tap_dropped_spot),
        ("poly", &c.tap_dropped_poly),
        ("signal", &c.tap_dropped_signal),
        ("order", &c.tap_dropped_order),
    ] {
        o.sample("cassandra_tap_dropped_total", &[("tap", tap)], g(v));
    }
    let s = &c.signal;
    o.family(
        "cassandra_signal_events_total",
        "counter",
        "Events dequeued by signal.",
    );
    for (kind, v) in [
        ("spot", &s.spot_events),
        ("poly", &s.poly_events),
        ("exec", &s.exec_reports),
    ] {
        o.sample("cassandra_signal_events_total", &[("kind", kind)], g(v));
    }
    o.one(
        "cassandra_signals_total",
        "counter",
        "Decisions evaluated.",
        g(&s.signals),
    );
    o.one(
        "cassandra_intents_total",
        "counter",
        "Order intents sent.",
        g(&s.intents),
    );
    o.one(
        "cassandra_settlements_total",
        "counter",
        "Windows settled.",
        g(&s.settlements),
    );
    o.one(
        "cassandra_strike_fallbacks_total",
        "counter",
        "Windows whose strike fell back to Binance.",
        g(&s.strike_fallbacks),
    );
    o.family(
        "cassandra_skips_total",
        "counter",
        "Decisions that did not trade, by reason.",
    );
    for r in SkipReason::ALL {
        o.sample(
            "cassandra_skips_total",
            &[("reason", r.name())],
            g(&s.skips[r as usize]),
        );
    }
    let oc = &c.order;
    o.one(
        "cassandra_orders_total",
        "counter",
        "Orders executed.",
        g(&oc.orders),
    );
    o.one(
        "cassandra_fills_total",
        "counter",
        "Orders filled.",
        g(&oc.fills),
    );
    o.one(
        "cassandra_rejects_total",
        "counter",
        "Orders rejected.",
        g(&oc.rejects),
    );
    o.one(
        "cassandra_kill_switch",
        "gauge",
        "1 while the kill switch is on.",
        u8::from(sh.killed()),
    );
    let j = &sh.counters.journal;
    o.one(
        "cassandra_journal_enabled",
        "gauge",
        "1 when a journal is configured and open.",
        u8::from(j.enabled.load(std::sync::atomic::Ordering::Relaxed)),
    );
    o.one(
        "cassandra_journal_written_total",
        "counter",
        "Events written to the journal.",
        g(&j.written),
    );
    o.one(
        "cassandra_journal_failed_batches_total",
        "counter",
        "Journal transactions that failed (their events are lost).",
        g(&j.failed_batches),
    );
    o.one(
        "cassandra_journal_dropped_total",
        "counter",
        "Events dropped before the journal (its channel was full).",
        g(&j.dropped),
    );
    o.family("cassandra_mode", "gauge", "1 for the current trading mode.");
    for m in ["off", "paper", "shadow", "live"] {
        o.sample(
            "cassandra_mode",
            &[("mode", m)],
            u8::from(sh.mode().name() == m),
        );
    }

    let latency = app.ctx.state.lock().expect("state").latency.clone();
    let name = "cassandra_stage_latency_seconds";
    o.family(
        name,
        "summary",
        "Per-stage latency (see README, Latency stages).",
    );
    for (stage, l) in &latency {
        for (q, v) in [
            ("0.5", l.p50),
            ("0.9", l.p90),
            ("0.99", l.p99),
            ("0.999", l.p999),
        ] {
            o.sample(name, &[("stage", stage), ("quantile", q)], v as f64 / 1e9);
        }
        o.sample(&format!("{name}_count"), &[("stage", stage)], l.count);
    }
    o.family(
        "cassandra_stage_latency_max_seconds",
        "gauge",
        "Per-stage largest latency.",
    );
    for (stage, l) in &latency {
        o.sample(
            "cassandra_stage_latency_max_seconds",
            &[("stage", stage)],
            l.max as f64 / 1e9,
        );
    }

    let a = &app.counters;
    o.one(
        "cassandra_api_http_requests_total",
        "counter",
        "HTTP requests served.",
        g(&a.http_requests),
    );
    o.one(
        "cassandra_api_connections",
        "gauge",
        "API connections open (at most api.max_connections).",
        g(&app.conns.open),
    );
    o.one(
        "cassandra_api_idle_closed_total",
        "counter",
        "API connections closed for idling past api.idle_timeout_ms.",
        g(&app.conns.idle_closed),
    );
    o.one(
        "cassandra_api_ws_clients",
        "gauge",
        "WebSocket clients connected.",
        g(&a.ws_clients),
    );
    o.one(
        "cassandra_api_ws_connections_total",
        "counter",
        "WebSocket connections accepted.",
        g(&a.ws_connections),
    );
    o.one(
        "cassandra_api_ws_dropped_slow_total",
        "counter",
        "WebSocket clients dropped for falling behind.",
        g(&a.ws_dropped_slow),
    );
    o.one(
        "cassandra_api_ws_refused_total",
        "counter",
        "WebSocket connections refused (too many clients).",
        g(&a.ws_refused),
    );
    o.one(
        "cassandra_api_ws_messages_total",
        "counter",
        "WebSocket messages broadcast.",
        g(&a.ws_messages),
    );
    o.one(
        "cassandra_api_klines_errors_total",
        "counter",
        "Failed Binance klines requests.",
        g(&a.klines_errors),
    );
    o.one(
        "cassandra_api_uptime_seconds",
        "gauge",
        "Seconds since the API started.",
        app.started.elapsed().as_secs_f64(),
    );
    o.0
}

pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&app),
    )
}
