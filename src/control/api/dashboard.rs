//! The dashboard at `/`: `dashboard/index.html`, `app.js` and `style.css`, embedded in the
//! binary.
//!
//! The chart library (TradingView's lightweight-charts, pinned in `dashboard/package.json`) is
//! third-party code and never committed: when `npm ci` has installed it under
//! `dashboard/node_modules` (looked up from the working directory, then from the source tree)
//! it is read once at start and served from `/assets/lightweight-charts.js`, so the dashboard
//! works offline; otherwise the page loads the same pinned file from a CDN with a subresource
//! integrity hash. Without either the page still works, without charts.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha384};

use super::{ApiError, App};

const INDEX: &str = include_str!("../../../dashboard/index.html");
const APP_JS: &str = include_str!("../../../dashboard/app.js");
const STYLE: &str = include_str!("../../../dashboard/style.css");

/// The pinned chart library: its version, the file inside the npm package, a CDN copy of that
/// exact file and its sha384 (computed from the npm tarball's file).
pub const CHART_VERSION: &str = "5.2.1";
pub const CHART_FILE: &str =
    "dashboard/node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js";
pub const CHART_CDN: &str = "https://cdn.jsdelivr.net/npm/lightweight-charts@5.2.1/dist/lightweight-charts.standalone.production.js";
pub const CHART_SRI: &str =
    "sha384-KkYqTZlM13Zya6fVUF3IGCBOQ1ehFeJVVgxaVvD/0MebineF9EI8Jkd3NnWNChqN";

/// Where the chart library comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartSource {
    /// Served by this binary from `dashboard/node_modules`.
    Local,
    /// Loaded by the browser from the CDN, integrity-checked.
    Cdn,
}

pub struct Assets {
    pub index: String,
    pub chart_js: Option<Bytes>,
    pub chart_source: ChartSource,
}

/// The `integrity` value of some bytes.
pub fn sri_sha384(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

fn find_chart_file() -> Option<Vec<u8>> {
    let candidates = [
        PathBuf::from(CHART_FILE),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CHART_FILE),
    ];
    candidates.iter().find_map(|p| std::fs::read(p).ok())
}

impl Assets {
    pub fn load() -> Assets {
        let chart_js = find_chart_file().map(Bytes::from);
        if let Some(js) = &chart_js {
            if sri_sha384(js) != CHART_SRI {
                tracing::warn!(
                    "{CHART_FILE} is not lightweight-charts {CHART_VERSION} as pinned \
                     (run `npm ci` in dashboard/); serving it anyway"
                );
            }
        }
        let (tag, chart_source) = match chart_js {
            Some(_) => (
                r#"<script src="/assets/lightweight-charts.js"></script>"#.to_string(),
                ChartSource::Local,
            ),
            None => (
                format!(
                    r#"<script src="{CHART_CDN}" integrity="{CHART_SRI}" crossorigin="anonymous"></script>"#
                ),
                ChartSource::Cdn,
            ),
        };
        Assets {
            index: INDEX.replace("<!--CHART_SCRIPT-->", &tag),
            chart_js,
            chart_source,
        }
    }
}

pub async fn index(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(app.dashboard.index.clone()),
    )
        .into_response()
}

pub async fn asset(State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    let js = "text/javascript; charset=utf-8";
    match file.as_str() {
        "app.js" => ([(header::CONTENT_TYPE, js)], APP_JS).into_response(),
        "style.css" => ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response(),
        "lightweight-charts.js" => match &app.dashboard.chart_js {
            Some(b) => ([(header::CONTENT_TYPE, js)], b.clone()).into_response(),
            None => ApiError::new(
                StatusCode::NOT_FOUND,
                "the chart library is not installed here (npm ci in dashboard/)",
            )
            .into_response(),
        },
        _ => ApiError::new(StatusCode::NOT_FOUND, format!("no asset {file:?}")).into_response(),
    }
}
