//! The control side's authenticated REST calls to the CLOB (L2 headers): what the tracker
//! needs to follow orders and keep them safe — `GET /data/order/{id}`, `GET /data/trades`,
//! `DELETE /order`, `DELETE /cancel-all`, `POST /v1/heartbeats`, and the wallet's pUSD
//! balance. Blocking, on control threads only (never the hot path).
//!
//! A 429 is [`RestError::Throttled`] with the venue's `Retry-After`: the caller waits and
//! retries; it is never a venue error. Secrets never appear in errors.

use std::time::Duration;

use serde_json::Value;

use crate::clob::auth::{Credentials, L2Headers, L2Signer};
use crate::clob::order::Address;

use super::wire::{parse_order, parse_trade, VenueOrder, VenueTrade};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RestError {
    /// HTTP 429: wait this long before the next request.
    #[error("throttled by the venue (retry after {retry_after_s} s)")]
    Throttled { retry_after_s: u64 },
    /// The venue does not know it (404).
    #[error("not found")]
    NotFound,
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("transport: {0}")]
    Transport(String),
    #[error("unreadable answer: {0}")]
    Bad(String),
}

/// What `DELETE /order` or `DELETE /cancel-all` answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Canceled {
    pub canceled: Vec<String>,
    /// order id → why not.
    pub not_canceled: Vec<(String, String)>,
}

pub struct VenueRest {
    base: String,
    http: reqwest::blocking::Client,
    creds: Credentials,
    l2: L2Signer,
    /// `POLY_ADDRESS`: the EOA the API key belongs to.
    address: Address,
    signature_type: u8,
}

impl VenueRest {
    pub fn new(
        base: &str,
        creds: Credentials,
        address: Address,
        signature_type: u8,
        timeout: Duration,
    ) -> anyhow::Result<VenueRest> {
        let l2 = L2Signer::new(&creds).map_err(|e| anyhow::anyhow!("{e}"))?;
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(VenueRest {
            base: base.trim_end_matches('/').to_string(),
            http,
            creds,
            l2,
            address,
            signature_type,
        })
    }

    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    fn call(
        &self,
        method: &str,
        path_query: &str,
        body: Option<&[u8]>,
    ) -> Result<Value, RestError> {
        let path = path_query.split('?').next().unwrap_or(path_query);
        let ts = crate::clock::wall_ms() / 1000;
        let h = L2Headers::new(&self.l2, &self.creds, &self.address, ts, method, path, body);
        let m: reqwest::Method = method
            .parse()
            .map_err(|_| RestError::Transport(format!("bad method {method}")))?;
        let mut req = self.http.request(m, format!("{}{path_query}", self.base));
        for (k, v) in h.pairs() {
            req = req.header(k, v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_vec());
        }
        let resp = req
            .send()
            .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let retry_after_s = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let text = resp
            .text()
            .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        match status {
            200 => {
                if text.trim().is_empty() {
                    return Ok(Value::Null);
                }
                serde_json::from_str(&text).map_err(|e| RestError::Bad(e.to_string()))
            }
            429 => Err(RestError::Throttled {
                retry_after_s: retry_after_s.unwrap_or(1).max(1),
            }),
            404 => Err(RestError::NotFound),
            s => Err(RestError::Status {
                status: s,
                body: text.chars().take(200).collect(),
            }),
        }
    }

    /// `GET /data/order/{id}`.
    pub fn order(&self, id: &str) -> Result<VenueOrder, RestError> {
        let v = self.call("GET", &format!("/data/order/{id}"), None)?;
        parse_order(&v).map_err(RestError::Bad)
    }

    /// `GET /data/trades` (all pages) matched at or after `after_s` (Unix s; 0: all),
    /// optionally of one market; records that do not parse are errors, never skipped.
    pub fn trades(&self, market: Option<&str>, after_s: u64) -> Result<Vec<VenueTrade>, RestError> {
        let mut out = Vec::new();
        let mut cursor = String::from("MA==");
        for _ in 0..1000 {
            let mut q = format!("/data/trades?next_cursor={cursor}");
            if let Some(m) = market {
                q.push_str(&format!("&market={m}"));
            }
            if after_s > 0 {
                q.push_str(&format!("&after={after_s}"));
            }
            let v = self.call("GET", &q, None)?;
            let data = v
                .get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| RestError::Bad("no `data` array".into()))?;
            for t in data {
                out.push(parse_trade(t).map_err(RestError::Bad)?);
            }
            match v.get("next_cursor").and_then(Value::as_str) {
                Some(c) if c != "LTE=" && !c.is_empty() && c != cursor => cursor = c.to_string(),
                _ => return Ok(out),
            }
        }
        Ok(out)
    }

    fn canceled(v: &Value) -> Canceled {
        Canceled {
            canceled: v
                .get("canceled")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_ascii_lowercase))
                        .collect()
                })
                .unwrap_or_default(),
            not_canceled: v
                .get("not_canceled")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").into()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// `DELETE /order {"orderID"}`.
    pub fn cancel(&self, id: &str) -> Result<Canceled, RestError> {
        let body = serde_json::json!({ "orderID": id }).to_string();
        let v = self.call("DELETE", "/order", Some(body.as_bytes()))?;
        Ok(Self::canceled(&v))
    }

    /// `DELETE /cancel-all`.
    pub fn cancel_all(&self) -> Result<Canceled, RestError> {
        let v = self.call("DELETE", "/cancel-all", None)?;
        Ok(Self::canceled(&v))
    }

    /// `POST /v1/heartbeats`.
    pub fn heartbeat(&self, last_id: Option<&str>) -> Result<String, RestError> {
        let body = serde_json::json!({ "heartbeat_id": last_id.unwrap_or("") }).to_string();
        let v = self.call("POST", "/v1/heartbeats", Some(body.as_bytes()))?;
        Ok(v.get("heartbeat_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string())
    }

    /// The funder wallet's pUSD as the CLOB sees it (`GET /balance-allowance`, COLLATERAL).
    pub fn pusd_balance_u6(&self) -> Result<u64, RestError> {
        let v = self.call(
            "GET",
            &format!(
                "/balance-allowance?asset_type=COLLATERAL&signature_type={}",
                self.signature_type
            ),
            None,
        )?;
        v.get("balance")
            .and_then(Value::as_str)
            .and_then(|b| b.parse().ok())
            .ok_or_else(|| RestError::Bad("no `balance`".into()))
    }
}
