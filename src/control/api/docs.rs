//! `/openapi.json` (OpenAPI 3.1, written here by hand: no code generation, no download) and
//! `/docs`, a self-contained page that renders it (`dashboard/docs.html`, embedded).
//!
//! The description is kept honest by `tests/api_endpoints.rs`, which checks that every path
//! served is described and every described path is served.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Json;
use serde_json::{json, Value};

const PAGE: &str = include_str!("../../../dashboard/docs.html");

fn err(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(description: &str, example: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"example": example}}})
}

fn protected(summary: &str, description: &str, body: Option<Value>, good: Value) -> Value {
    let mut op = json!({
        "summary": summary,
        "description": description,
        "tags": ["live trading (X-API-Key)"],
        "security": [{"ApiKey": []}],
        "responses": {
            "200": ok("Done.", good),
            "401": err("Missing or wrong X-API-Key."),
            "422": err("A bad value; `field` names it."),
            "503": err("No API key is configured: protected endpoints are off."),
        }
    });
    if let Some(b) = body {
        op["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": b}}});
        op["responses"]["400"] = err("The body is not JSON; `field` is \"body\".");
    }
    op
}

fn public(summary: &str, description: &str, example: Value) -> Value {
    json!({"summary": summary, "description": description, "tags": ["public"],
           "responses": {"200": ok("OK.", example)}})
}

/// The OpenAPI document.
pub fn document() -> Value {
    let how = "The trading wallet's pUSD approvals and conditional-token approvals for the CTF \
        exchange, the neg-risk exchange, the neg-risk adapter and Exchange V3, through \
        `venues.polygon_rpc`, of the wallet that holds the funds. GET reads them; POST sends the \
        missing ones from that wallet (an EOA's own signed transactions; a deposit wallet's \
        relayer batch through `venues.relayer`), refreshes the CLOB's balance view \
        (`/balance-allowance/update`) and reads it back. Answers `{status: {owner, chain_id, \
        collateral: [..], conditional_tokens: [..], ready}, transactions: [hashes or relayer \
        ids], clob_balance_u6, clob_allowance_u6}`. Proxy and Safe wallets are answered 409 \
        with what to do instead.";
    let mut allowances = json!({
        "get": protected("Check token allowances", how, None, json!(null)),
        "post": protected("Set the missing token allowances", how, None, json!(null)),
    });
    for m in ["get", "post"] {
        allowances[m]["responses"]["503"] =
            err("No trading wallet: the process runs without the live path.");
        allowances[m]["responses"]["502"] =
            err("The Polygon JSON-RPC endpoint, the relayer or the CLOB failed.");
    }
    allowances["post"]["responses"]["409"] =
        err("A proxy or Safe wallet, or a deposit wallet without a relayer API key: the message says what to do.");
    let mut mode = protected(
        "Switch trading mode",
        "paper, shadow or off. `live` is refused with 409 while the live order path is not in this build.",
        Some(json!({"type": "object", "required": ["mode"], "additionalProperties": false,
            "properties": {"mode": {"type": "string", "enum": ["paper", "shadow", "live", "off"]}}})),
        json!({"mode": "shadow", "previous": "paper"}),
    );
    mode["responses"]["409"] =
        err("`live` without the live path (no key and credentials at start).");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Cassandra control API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read-only views of the trading pipeline, protected controls, metrics and a live WebSocket stream. Errors are JSON: {\"error\": message, \"field\": name-of-the-bad-field}."
        },
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "From API_KEY (environment or .env). Without one, protected endpoints answer 503."}},
            "schemas": {"Error": {"type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"}, "field": {"type": "string"}}}}
        },
        "paths": {
            "/health": {"get": public("Status and liveness",
                "Per hot thread liveness from heartbeats, feed freshness, breaker and kill switch, counters, WebSocket clients.",
                json!({"status": "ok", "mode": "paper", "kill_switch": {"active": false, "reason": "", "changed_ms": 0},
                       "breaker": {"tripped": false, "assets": [], "skips": 0},
                       "threads": [{"name": "signal", "core": 0, "wait": "park", "alive": true, "heartbeat_age_ms": 0}],
                       "feeds": [{"name": "binance", "connected": true, "fresh": true, "last_frame_age_ms": 3, "stale_after_ms": 10000}],
                       "counters": {"binance_frames": 1}, "ws": {"clients": 1, "dropped_slow": 0, "refused": 0}}))},
            "/api/candles/{symbol}": {"get": {
                "summary": "OHLCV candles", "tags": ["public"],
                "description": "Binance klines merged with live candles from the spot feed. `BTC`, `btc` and `BTCUSDT` all work.",
                "parameters": [
                    {"name": "symbol", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "interval", "in": "query", "schema": {"type": "string", "default": "1m",
                        "enum": ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "1d"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 500}}
                ],
                "responses": {
                    "200": ok("Oldest first; `time` in unix seconds.", json!({"asset": "BTC", "symbol": "BTCUSDT", "interval": "1m",
                        "source": "binance+live", "rest_error": null,
                        "candles": [{"time": 1767225600, "open": 97000.0, "high": 97010.5, "low": 96990.0, "close": 97005.0, "volume": 12.5}]})),
                    "404": err("Unknown symbol."),
                    "422": err("Bad interval or limit.")
                }}},
            "/api/momentum": {"get": public("Signal per asset",
                "Spot, strike, τ, σ, fair P(UP), UP/DOWN asks, edge net of fees, last decision and skip reason.",
                json!({"ts_ms": 0, "mode": "paper", "assets": [{"asset": "BTC", "spot": 97012.0, "strike": 97000.0,
                    "strike_source": "chainlink", "tau_s": 420.0, "sigma_annual": 0.6, "p_up": 0.54, "up_ask": 0.52,
                    "down_ask": 0.49, "edge": 0.01, "side": "up", "decision": "skip", "skip_reason": "edge_below_threshold"}]}))},
            "/api/markets-15m": {"get": public("Active windows", "Discovered windows with their UP/DOWN books and strike.",
                json!({"ts_ms": 0, "window_s": 900, "windows": [{"asset": "BTC", "slug": "btc-updown-15m-1767225600",
                    "start_s": 1767225600, "end_s": 1767226500, "status": "open", "strike": 97000.0,
                    "up": {"best_bid": 0.51, "best_ask": 0.52, "bids": [[0.51, 100.0]], "asks": [[0.52, 80.0]]}, "down": null}]}))},
            "/api/paper-trading/account": {"get": public("Paper account", "Cash, PnL, fees, open positions, recent settlements.",
                json!({"mode": "paper", "account": {"cash": 990.0, "start_cash": 1000.0, "realized_pnl": 0.0, "fees_paid": 0.2,
                    "open_positions": 1, "wins": 0, "losses": 0}, "positions": [], "recent_settlements": []}))},
            "/api/latency": {"get": public("Latency percentiles per stage", "Nanoseconds.",
                json!({"ts_ms": 0, "unit": "ns", "stages": {"tick_to_decision": {"count": 1000, "p50": 8000, "p90": 12000, "p99": 30000, "p999": 60000, "max": 90000}}}))},
            "/api/orders": {"get": {"summary": "Recent orders and fills", "tags": ["public"],
                "description": "Newest first.",
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}],
                "responses": {"200": ok("OK.", json!({"orders": [{"intent_id": 1, "asset": "BTC", "outcome": "up", "side": "buy",
                    "status": "matched", "filled": 10.0, "received": 9.9, "cost": 5.2, "fee": 0.05, "avg_price": 0.52}]})),
                    "422": err("Bad limit.")}}},
            "/api/positions": {"get": public("Open positions", "By window and outcome, marked at the best bid.",
                json!({"positions": [{"asset": "BTC", "window_start_s": 1767225600, "outcome": "up", "tokens": 9.9,
                    "cost": 5.2, "avg_price": 0.525, "mark": 0.55, "unrealized_pnl": 0.245}]}))},
            "/api/live-trading/status": {"get": protected("Live trading status",
                "Mode, kill switch, live availability and recent live orders.", None,
                json!({"mode": "paper", "live_available": false, "kill_switch": {"active": false}}))},
            "/api/live-trading/mode": {"post": mode},
            "/api/live-trading/kill-switch": {"post": protected("Kill switch",
                "While active no new orders are sent. Takes effect on the next event.",
                Some(json!({"type": "object", "required": ["active"], "additionalProperties": false,
                    "properties": {"active": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 500}}})),
                json!({"active": true, "reason": "manual stop", "changed_ms": 1767225600000u64}))},
            "/api/live-trading/allowances": allowances,
            "/metrics": {"get": {"summary": "Prometheus metrics", "tags": ["operations"],
                "responses": {"200": {"description": "Prometheus text format 0.0.4.", "content": {"text/plain": {}}}}}},
            "/ws": {"get": {"summary": "Live stream (WebSocket)", "tags": ["operations"],
                "description": "Messages {\"type\", \"data\"}: init (first), candle, trade, orderbook, momentum, whale_trade, paper_signal, paper_account, live_order, live_alert (fills, settlements, breakers, stale feeds, kill and mode changes, Telegram commands), latency, status (mode, live availability, kill switch, breakers, feed health, halted and why; on every change and at least every second). A client that falls behind is dropped.",
                "responses": {"101": {"description": "Switching protocols."}, "503": err("Too many clients.")}}},
            "/openapi.json": {"get": {"summary": "This document", "tags": ["operations"], "responses": {"200": {"description": "OpenAPI 3.1."}}}},
            "/docs": {"get": {"summary": "This document as a page", "tags": ["operations"], "responses": {"200": {"description": "HTML."}}}},
            "/": {"get": {"summary": "The dashboard", "tags": ["operations"], "responses": {"200": {"description": "HTML."}}}},
            "/assets/{file}": {"get": {"summary": "Dashboard assets", "tags": ["operations"],
                "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "JS or CSS."}, "404": err("No such asset.")}}}
        }
    })
}

pub async fn openapi() -> Json<Value> {
    Json(document())
}

pub async fn page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(PAGE))
}
