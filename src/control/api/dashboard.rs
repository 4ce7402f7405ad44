//! The dashboard at `/`: `dashboard/index.html`, `app.js`, `style.css` and the chart library,
//! all embedded in the binary, so the page works offline and never loads code from another host.
//!
//! The chart library is TradingView's lightweight-charts (Apache-2.0), vendored unchanged in
//! `dashboard/vendor/` with its licence and served from `/assets/lightweight-charts.js`. The page
//! draws its charts only when that script defines `window.LightweightCharts`; otherwise it says
//! so where the charts would be and everything else still updates.

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
const CHART_JS: &[u8] =
    include_bytes!("../../../dashboard/vendor/lightweight-charts.standalone.production.js");
const CHART_LICENSE: &str = include_str!("../../../dashboard/vendor/LICENSE.lightweight-charts");

/// The vendored chart library: its version and the sha384 of the npm package's file.
pub const CHART_VERSION: &str = "5.2.1";
pub const CHART_SRI: &str =
    "sha384-KkYqTZlM13Zya6fVUF3IGCBOQ1ehFeJVVgxaVvD/0MebineF9EI8Jkd3NnWNChqN";

pub struct Assets {
    pub index: String,
    /// The chart library served at `/assets/lightweight-charts.js`.
    pub chart_js: Option<Bytes>,
}

/// The `integrity` value of some bytes.
pub fn sri_sha384(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

impl Assets {
    pub fn load() -> Assets {
        let tag = format!(
            r#"<script src="/assets/lightweight-charts.js" integrity="{CHART_SRI}"></script>"#
        );
        Assets {
            index: INDEX.replace("<!--CHART_SCRIPT-->", &tag),
            chart_js: Some(Bytes::from_static(CHART_JS)),
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
    let text = "text/plain; charset=utf-8";
    match file.as_str() {
        "app.js" => ([(header::CONTENT_TYPE, js)], APP_JS).into_response(),
        "style.css" => ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response(),
        "lightweight-charts.js" => match &app.dashboard.chart_js {
            Some(b) => ([(header::CONTENT_TYPE, js)], b.clone()).into_response(),
            None => ApiError::new(StatusCode::NOT_FOUND, "no chart library in this build")
                .into_response(),
        },
        "LICENSE.lightweight-charts" => {
            ([(header::CONTENT_TYPE, text)], CHART_LICENSE).into_response()
        }
        _ => ApiError::new(StatusCode::NOT_FOUND, format!("no asset {file:?}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_chart_library_is_the_pinned_file() {
        assert_eq!(sri_sha384(CHART_JS), CHART_SRI);
        let head = std::str::from_utf8(&CHART_JS[..200]).unwrap();
        assert!(
            head.contains(&format!("Lightweight Charts™ v{CHART_VERSION}")),
            "{head}"
        );
        assert!(CHART_LICENSE.contains("Apache License"));
    }

    #[test]
    fn the_page_loads_the_library_from_this_server_only() {
        let a = Assets::load();
        assert!(a.index.contains(r#"src="/assets/lightweight-charts.js""#));
        assert!(!a.index.contains("https://"), "no third-party script");
    }
}
