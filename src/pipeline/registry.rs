//! Registries: the small integer indexes that hot events carry, and what they stand for.
//!
//! Built once at start (assets) or at window set-up (tokens) on the control side; the hot
//! threads hold read-only copies and look names up by byte comparison, without hashing or
//! allocating.

use super::control::TokenKey;
use super::events::AssetId;

/// Most assets one process follows.
pub const MAX_ASSETS: usize = 8;
/// Token slots: ids are recycled round-robin, so a slot is reused only windows later.
pub const MAX_TOKENS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// Short name, upper case: "BTC".
    pub name: String,
    /// Binance spot symbol, upper case: "BTCUSDT".
    pub binance_symbol: String,
    /// Chainlink / PolyBolt symbol, lower case: "btcusd".
    pub chainlink_symbol: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetTable {
    assets: Vec<AssetInfo>,
}

impl AssetTable {
    /// From short names ("BTC", "eth", …); quoted against USDT on Binance and USD on Chainlink.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<AssetTable, String> {
        if names.is_empty() || names.len() > MAX_ASSETS {
            return Err(format!(
                "between 1 and {MAX_ASSETS} assets, got {}",
                names.len()
            ));
        }
        let mut assets: Vec<AssetInfo> = Vec::new();
        for n in names {
            let name = n.as_ref().trim().to_ascii_uppercase();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("bad asset name {:?}", n.as_ref()));
            }
            if assets.iter().any(|a| a.name == name) {
                return Err(format!("asset {name} listed twice"));
            }
            assets.push(AssetInfo {
                binance_symbol: format!("{name}USDT"),
                chainlink_symbol: format!("{}usd", name.to_ascii_lowercase()),
                name,
            });
        }
        Ok(AssetTable { assets })
    }

    pub fn len(&self) -> usize {
        self.assets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    pub fn get(&self, id: AssetId) -> Option<&AssetInfo> {
        self.assets.get(id.0 as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = (AssetId, &AssetInfo)> {
        self.assets
            .iter()
            .enumerate()
            .map(|(i, a)| (AssetId(i as u8), a))
    }

    /// By Binance symbol, any case ("BTCUSDT" or "btcusdt").
    #[inline]
    pub fn by_binance_symbol(&self, sym: &[u8]) -> Option<AssetId> {
        self.assets
            .iter()
            .position(|a| a.binance_symbol.as_bytes().eq_ignore_ascii_case(sym))
            .map(|i| AssetId(i as u8))
    }

    /// By Chainlink symbol, any case, with or without a slash ("btcusd", "btc/usd").
    #[inline]
    pub fn by_chainlink_symbol(&self, sym: &[u8]) -> Option<AssetId> {
        self.assets
            .iter()
            .position(|a| eq_ignoring_slash(a.chainlink_symbol.as_bytes(), sym))
            .map(|i| AssetId(i as u8))
    }

    /// By short name, symbol or pair, any case: "BTC", "btc", "BTCUSDT".
    pub fn by_any_name(&self, s: &str) -> Option<AssetId> {
        self.assets
            .iter()
            .position(|a| {
                a.name.eq_ignore_ascii_case(s) || a.binance_symbol.eq_ignore_ascii_case(s)
            })
            .map(|i| AssetId(i as u8))
    }
}

fn eq_ignoring_slash(want: &[u8], got: &[u8]) -> bool {
    let mut g = got.iter().filter(|&&b| b != b'/');
    for w in want {
        match g.next() {
            Some(b) if b.eq_ignore_ascii_case(w) => {}
            _ => return false,
        }
    }
    g.next().is_none()
}

/// Token ids followed by `poly-ingest`, by the index they were given at window set-up.
#[derive(Clone, Debug, Default)]
pub struct TokenTable {
    keys: Vec<(u16, TokenKey)>,
}

impl TokenTable {
    /// With room for `cap` tokens, so inserts do not allocate.
    pub fn with_capacity(cap: usize) -> Self {
        TokenTable {
            keys: Vec::with_capacity(cap),
        }
    }

    /// Add or replace; `false` when the table is full.
    pub fn insert(&mut self, id: u16, key: TokenKey) -> bool {
        if let Some(slot) = self.keys.iter_mut().find(|(i, _)| *i == id) {
            slot.1 = key;
            return true;
        }
        if self.keys.len() == self.keys.capacity() {
            return false;
        }
        self.keys.push((id, key));
        true
    }

    pub fn remove(&mut self, id: u16) {
        self.keys.retain(|(i, _)| *i != id);
    }

    #[inline]
    pub fn lookup(&self, asset_id: &[u8]) -> Option<u16> {
        self.keys
            .iter()
            .find(|(_, k)| k.as_bytes() == asset_id)
            .map(|(i, _)| *i)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(u16, TokenKey)> {
        self.keys.iter()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_resolve_by_every_spelling() {
        let t = AssetTable::from_names(&["btc", "ETH"]).unwrap();
        assert_eq!(t.by_binance_symbol(b"BTCUSDT"), Some(AssetId(0)));
        assert_eq!(t.by_binance_symbol(b"ethusdt"), Some(AssetId(1)));
        assert_eq!(t.by_binance_symbol(b"SOLUSDT"), None);
        assert_eq!(t.by_chainlink_symbol(b"btc/usd"), Some(AssetId(0)));
        assert_eq!(t.by_chainlink_symbol(b"ethusd"), Some(AssetId(1)));
        assert_eq!(t.by_chainlink_symbol(b"ethusdx"), None);
        assert_eq!(t.by_any_name("Btc"), Some(AssetId(0)));
        assert_eq!(t.by_any_name("ETHUSDT"), Some(AssetId(1)));
    }

    #[test]
    fn bad_asset_lists_are_refused_with_the_reason() {
        assert!(AssetTable::from_names::<&str>(&[]).is_err());
        assert!(AssetTable::from_names(&["BTC", "btc"])
            .unwrap_err()
            .contains("twice"));
        assert!(AssetTable::from_names(&["BT C"])
            .unwrap_err()
            .contains("bad"));
    }

    #[test]
    fn token_table_is_bounded_and_replaces_in_place() {
        let mut t = TokenTable::with_capacity(2);
        assert!(t.insert(1, TokenKey::new("111").unwrap()));
        assert!(t.insert(2, TokenKey::new("222").unwrap()));
        assert!(!t.insert(3, TokenKey::new("333").unwrap()));
        assert!(t.insert(2, TokenKey::new("2222").unwrap()));
        assert_eq!(t.lookup(b"2222"), Some(2));
        assert_eq!(t.lookup(b"222"), None);
        t.remove(1);
        assert!(t.insert(3, TokenKey::new("333").unwrap()));
        assert_eq!(t.lookup(b"333"), Some(3));
    }
}
