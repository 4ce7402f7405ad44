//! `[whales]` settings and the wallet list (`config/whales.toml`).

use serde::Deserialize;

/// The shipped wallet list, embedded so the binary needs no file.
pub const DEFAULT_WALLETS_TOML: &str = include_str!("../../../config/whales.toml");

/// `[whales]`: the whale poller.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WhalesConfig {
    /// Run the poller (default true; it only reads the public Data API).
    pub enabled: bool,
    /// Wallet list file; empty = the embedded `config/whales.toml` (default "").
    pub wallets_file: String,
    /// One poll of every wallet per interval, ms (default 5000). Each wallet is one request.
    pub interval_ms: u64,
    /// Gap between two requests inside a poll, ms (default 250): spreads the load.
    pub request_gap_ms: u64,
    /// `limit` of each `/trades` request (default 50, at most 10000). Larger than the trades a
    /// wallet makes in one interval, so consecutive polls overlap and nothing is missed.
    pub limit: u32,
    /// Keep only the 15-minute crypto markets (slug `*-updown-15m-*`) (default true).
    pub only_15m: bool,
    /// A trade at or above this notional (USDC) is flagged large and may alert (default 1000).
    pub large_notional_usdc: f64,
    /// Trades older than this when first seen are remembered but not published (the history a
    /// first poll returns), s (default 900).
    pub max_age_s: u64,
    /// De-duplication memory: keys of this many trades are remembered (default 20000).
    pub seen_capacity: usize,
    /// Whale trades kept in the control state for the API (default 500).
    pub recent: usize,
    /// Send an alert for each large trade (default false).
    pub alert_large: bool,
    /// Longest wait after a 429 or an error, ms (default 60000).
    pub backoff_max_ms: u64,
    /// HTTP timeout of one request, ms (default 5000).
    pub timeout_ms: u64,
}

impl Default for WhalesConfig {
    fn default() -> Self {
        WhalesConfig {
            enabled: true,
            wallets_file: String::new(),
            interval_ms: 5_000,
            request_gap_ms: 250,
            limit: 50,
            only_15m: true,
            large_notional_usdc: 1_000.0,
            max_age_s: 900,
            seen_capacity: 20_000,
            recent: 500,
            alert_large: false,
            backoff_max_ms: 60_000,
            timeout_ms: 5_000,
        }
    }
}

impl WhalesConfig {
    /// Every bad field as `whales.key = value: what is expected`.
    pub fn problems(&self) -> Vec<String> {
        let mut bad = Vec::new();
        if self.interval_ms < 100 {
            bad.push(format!(
                "whales.interval_ms = {}: at least 100",
                self.interval_ms
            ));
        }
        if self.limit == 0 || self.limit > 10_000 {
            bad.push(format!("whales.limit = {}: in 1..=10000", self.limit));
        }
        if !(self.large_notional_usdc.is_finite() && self.large_notional_usdc >= 0.0) {
            bad.push(format!(
                "whales.large_notional_usdc = {}: ≥ 0",
                self.large_notional_usdc
            ));
        }
        if !(16..=1 << 20).contains(&self.seen_capacity) {
            bad.push(format!(
                "whales.seen_capacity = {}: 16 to 1048576",
                self.seen_capacity
            ));
        }
        if !(1..=1 << 16).contains(&self.recent) {
            bad.push(format!("whales.recent = {}: 1 to 65536", self.recent));
        }
        if self.timeout_ms < 100 {
            bad.push(format!(
                "whales.timeout_ms = {}: at least 100",
                self.timeout_ms
            ));
        }
        if self.backoff_max_ms < 100 {
            bad.push(format!(
                "whales.backoff_max_ms = {}: at least 100",
                self.backoff_max_ms
            ));
        }
        if !self.wallets_file.is_empty() {
            if let Err(e) = self.wallets() {
                bad.push(format!(
                    "whales.wallets_file = {:?}: {e}",
                    self.wallets_file
                ));
            }
        }
        bad
    }

    /// The enabled wallets of the configured list.
    pub fn wallets(&self) -> Result<Vec<Wallet>, String> {
        let text = if self.wallets_file.is_empty() {
            DEFAULT_WALLETS_TOML.to_string()
        } else {
            std::fs::read_to_string(&self.wallets_file).map_err(|e| format!("cannot read: {e}"))?
        };
        Ok(WalletList::parse(&text)?
            .wallet
            .into_iter()
            .filter(|w| w.enabled)
            .collect())
    }
}

/// One followed wallet.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wallet {
    pub name: String,
    /// Proxy wallet address, `0x` + 40 hex digits, kept lower-case.
    pub address: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The file format of `config/whales.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletList {
    #[serde(default)]
    pub wallet: Vec<Wallet>,
}

impl WalletList {
    /// Parse and check: names unique and non-empty, addresses well formed and unique.
    pub fn parse(text: &str) -> Result<WalletList, String> {
        let mut list: WalletList = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut bad = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        let mut addrs = std::collections::BTreeSet::new();
        for w in &mut list.wallet {
            w.address = w.address.trim().to_ascii_lowercase();
            let hex = w.address.strip_prefix("0x").unwrap_or("");
            if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                bad.push(format!(
                    "wallet {:?}: address {:?} is not 0x + 40 hex digits",
                    w.name, w.address
                ));
            }
            if w.name.trim().is_empty() {
                bad.push(format!("wallet {:?}: empty name", w.address));
            }
            if !names.insert(w.name.clone()) {
                bad.push(format!("wallet {:?}: name listed twice", w.name));
            }
            if !addrs.insert(w.address.clone()) {
                bad.push(format!("wallet {:?}: address listed twice", w.address));
            }
        }
        if bad.is_empty() {
            Ok(list)
        } else {
            Err(bad.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_list_parses_with_updateupdate_disabled() {
        let all = WalletList::parse(DEFAULT_WALLETS_TOML).unwrap();
        assert_eq!(all.wallet.len(), 10);
        let on = WhalesConfig::default().wallets().unwrap();
        assert_eq!(on.len(), 9);
        assert!(on.iter().all(|w| w.name != "updateupdate"));
    }

    #[test]
    fn bad_addresses_and_duplicates_are_named() {
        let e = WalletList::parse(
            "[[wallet]]\nname = \"a\"\naddress = \"0x12\"\n[[wallet]]\nname = \"a\"\naddress = \"0x6031b6eed1c97e853c6e0f03ad3ce3529351f96d\"\n",
        )
        .unwrap_err();
        assert!(e.contains("0x12") && e.contains("listed twice"), "{e}");
    }
}
