//! Wallets and funds: who may trade for whom, the pUSD and token balances that move with
//! fills and fees, and the CLOB's cached view of balance and allowance.
//!
//! Each wallet that holds funds (an EOA, a proxy, a Safe or a deposit wallet) is owned by the
//! EOA that signs for it. An owner with a deposit wallet is a post-2026-05 account: the venue
//! refuses its orders with any other maker. Orders are checked against the CLOB's *cached*
//! pUSD balance and allowance, which fills and fees move (the CLOB knows its own trades) but
//! which a deposit or an approval only reaches through `GET /balance-allowance/update`, as on
//! the venue (polymarket.md §10.6). Allowance `u64::MAX` is unlimited (uint256 max on the
//! wire); an on-chain approval made through the simulator's JSON-RPC counts as unlimited.
//!
//! Fees: the market's schedule `fee = shares × r × (p(1−p))^e` per fill, taker only; a BUY
//! pays it in tokens (`fee / p`, rounded up), a SELL in pUSD.

use std::collections::HashMap;

use crate::clob::order::{Address, Side, SignatureType};

/// What kind of wallet holds an account's funds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalletKind {
    /// The signing key's own address (signature type 0).
    Eoa,
    /// A Polymarket proxy wallet (type 1).
    Proxy,
    /// A Polymarket Gnosis Safe (type 2).
    Safe,
    /// A deposit wallet (type 3, POLY_1271): signer = maker = the wallet.
    DepositWallet,
}

impl WalletKind {
    pub fn signature_type(self) -> SignatureType {
        match self {
            WalletKind::Eoa => SignatureType::Eoa,
            WalletKind::Proxy => SignatureType::PolyProxy,
            WalletKind::Safe => SignatureType::PolyGnosisSafe,
            WalletKind::DepositWallet => SignatureType::Poly1271,
        }
    }
}

/// One wallet's funds.
#[derive(Clone, Debug)]
pub(crate) struct Wallet {
    pub owner: [u8; 20],
    pub kind: WalletKind,
    /// On-chain pUSD (1e-6).
    pub pusd_u6: u64,
    /// On-chain pUSD allowance to the exchanges set with [`super::SimClob::approve`].
    pub allowance_u6: u64,
    /// The CLOB's cached view, refreshed by `/balance-allowance/update` and moved by fills.
    pub cached_pusd_u6: u64,
    pub cached_allowance_u6: u64,
    /// Outcome tokens held (1e-6 shares), by token id.
    pub tokens: HashMap<String, u64>,
}

impl Wallet {
    pub fn new(owner: [u8; 20], kind: WalletKind) -> Wallet {
        Wallet {
            owner,
            kind,
            pusd_u6: 0,
            allowance_u6: 0,
            cached_pusd_u6: 0,
            cached_allowance_u6: 0,
            tokens: HashMap::new(),
        }
    }

    pub fn tokens_of(&self, token: &str) -> u64 {
        self.tokens.get(token).copied().unwrap_or(0)
    }
}

/// A wallet's funds as a test reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimBalance {
    pub kind: WalletKind,
    pub pusd_u6: u64,
    pub allowance_u6: u64,
    /// What the CLOB checks orders against (stale until `/balance-allowance/update`).
    pub cached_pusd_u6: u64,
    pub cached_allowance_u6: u64,
    /// (token id, shares 1e-6), sorted by token id.
    pub tokens: Vec<(String, u64)>,
}

impl From<&Wallet> for SimBalance {
    fn from(w: &Wallet) -> SimBalance {
        let mut tokens: Vec<(String, u64)> =
            w.tokens.iter().map(|(k, v)| (k.clone(), *v)).collect();
        tokens.sort();
        SimBalance {
            kind: w.kind,
            pusd_u6: w.pusd_u6,
            allowance_u6: w.allowance_u6,
            cached_pusd_u6: w.cached_pusd_u6,
            cached_allowance_u6: w.cached_allowance_u6,
            tokens,
        }
    }
}

/// A market's fee schedule (`/clob-markets` `fd`): rate in parts per million, exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeSchedule {
    pub rate_ppm: u64,
    pub exponent: u32,
    pub taker_only: bool,
}

impl Default for FeeSchedule {
    /// The captured BTC 5-minute market's `feeSchedule` (`tests/data/venue/gamma/`): rate 0.07,
    /// exponent 1, taker only. The one schedule the simulator charges, serves on
    /// `/clob-markets` (`fd`) and publishes in Gamma (`feeSchedule`), so the three agree.
    fn default() -> Self {
        FeeSchedule {
            rate_ppm: 70_000,
            exponent: 1,
            taker_only: true,
        }
    }
}

impl FeeSchedule {
    /// The rate as the venue writes it (`0.07`).
    pub fn rate(&self) -> f64 {
        self.rate_ppm as f64 / 1e6
    }

    /// `/clob-markets` `fd`: `{"r":0.07,"e":1,"to":true}`.
    pub fn clob_fd(&self) -> serde_json::Value {
        serde_json::json!({"r": self.rate(), "e": self.exponent, "to": self.taker_only})
    }

    /// Gamma's `feeSchedule`, with the captured market's maker rebate share.
    pub fn gamma_fee_schedule(&self) -> serde_json::Value {
        serde_json::json!({
            "exponent": self.exponent,
            "rate": self.rate(),
            "takerOnly": self.taker_only,
            "rebateRate": 0.2
        })
    }

    /// The fee in pUSD (1e-6, rounded half up) on `shares_u6` at `price_u6`.
    pub fn fee_u6(&self, shares_u6: u64, price_u6: u64) -> u64 {
        let p = u128::from(price_u6);
        let pq = p * (1_000_000 - p.min(1_000_000)); // p(1-p) in 1e-12
                                                     // (p(1-p))^e in 1e-12 units.
        let mut curve: u128 = 1_000_000_000_000;
        for _ in 0..self.exponent {
            curve = curve * pq / 1_000_000_000_000;
        }
        // shares (1e-6) × rate (1e-6) × curve (1e-12) → 1e-6 needs / 1e18.
        let num = u128::from(shares_u6) * u128::from(self.rate_ppm) * curve;
        let fee = (num + 500_000_000_000_000_000) / 1_000_000_000_000_000_000;
        u64::try_from(fee).unwrap_or(u64::MAX)
    }

    /// The same fee paid in tokens at `price_u6` (a BUY's), rounded up.
    pub fn fee_in_tokens_u6(fee_u6: u64, price_u6: u64) -> u64 {
        if price_u6 == 0 {
            return 0;
        }
        u64::try_from((u128::from(fee_u6) * 1_000_000).div_ceil(u128::from(price_u6)))
            .unwrap_or(u64::MAX)
    }
}

/// What one fill moves: shares, pUSD, and the fee (its pUSD value, and the tokens a BUY
/// paid it with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FillFunds {
    pub shares_u6: u64,
    pub notional_u6: u64,
    pub fee_u6: u64,
    pub fee_tokens_u6: u64,
}

/// Moves a fill's funds, or gives them back (`revert`: a FAILED trade).
pub(crate) fn apply_fill(w: &mut Wallet, token: &str, side: Side, f: FillFunds, revert: bool) {
    let add = |x: &mut u64, d: u64| {
        *x = if revert {
            x.saturating_sub(d)
        } else {
            x.saturating_add(d)
        }
    };
    let sub = |x: &mut u64, d: u64| {
        *x = if revert {
            x.saturating_add(d)
        } else {
            x.saturating_sub(d)
        }
    };
    let held = w.tokens.entry(token.to_string()).or_insert(0);
    match side {
        Side::Buy => {
            sub(&mut w.pusd_u6, f.notional_u6);
            sub(&mut w.cached_pusd_u6, f.notional_u6);
            if w.allowance_u6 != u64::MAX {
                sub(&mut w.allowance_u6, f.notional_u6);
            }
            if w.cached_allowance_u6 != u64::MAX {
                sub(&mut w.cached_allowance_u6, f.notional_u6);
            }
            add(held, f.shares_u6.saturating_sub(f.fee_tokens_u6));
        }
        Side::Sell => {
            sub(held, f.shares_u6);
            let net = f.notional_u6.saturating_sub(f.fee_u6);
            add(&mut w.pusd_u6, net);
            add(&mut w.cached_pusd_u6, net);
        }
    }
}

/// Every wallet, by address; owners of deposit wallets.
#[derive(Default)]
pub(crate) struct Accounts {
    pub wallets: HashMap<[u8; 20], Wallet>,
}

impl Accounts {
    /// The wallet `maker` if `eoa` owns it.
    pub fn owned(&self, eoa: &Address, maker: &Address) -> Option<&Wallet> {
        self.wallets
            .get(maker.bytes())
            .filter(|w| &w.owner == eoa.bytes())
    }

    /// `eoa`'s account trades through a deposit wallet (a post-2026-05 account).
    pub fn has_deposit_wallet(&self, eoa: &Address) -> bool {
        self.wallets
            .values()
            .any(|w| &w.owner == eoa.bytes() && w.kind == WalletKind::DepositWallet)
    }

    /// The wallet of `eoa` for a signature type (the funder the CLOB reads balances of).
    pub fn of_type(&self, eoa: &Address, t: SignatureType) -> Option<([u8; 20], &Wallet)> {
        self.wallets
            .iter()
            .find(|(_, w)| &w.owner == eoa.bytes() && w.kind.signature_type() == t)
            .map(|(a, w)| (*a, w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_follows_the_schedule() {
        let f = FeeSchedule::default();
        // 10 shares at 0.5: 10 × 0.07 × 0.25 = 0.175 pUSD = 0.35 tokens.
        assert_eq!(f.fee_u6(10_000_000, 500_000), 175_000);
        assert_eq!(FeeSchedule::fee_in_tokens_u6(175_000, 500_000), 350_000);
        // 7 shares at 0.33: 7 × 0.07 × 0.2211 = 0.108339.
        assert_eq!(f.fee_u6(7_000_000, 330_000), 108_339);
        // 3 shares at 0.41: 3 × 0.07 × 0.2419 = 0.050799.
        assert_eq!(f.fee_u6(3_000_000, 410_000), 50_799);
        // What is charged is what is served and published.
        assert_eq!(
            f.clob_fd(),
            serde_json::json!({"r": 0.07, "e": 1, "to": true})
        );
        assert_eq!(f.gamma_fee_schedule()["rate"], 0.07);
        let sq = FeeSchedule {
            rate_ppm: 250_000,
            exponent: 2,
            taker_only: true,
        };
        // 100 × 0.25 × 0.0625 = 1.5625.
        assert_eq!(sq.fee_u6(100_000_000, 500_000), 1_562_500);
        assert_eq!(
            FeeSchedule { rate_ppm: 0, ..f }.fee_u6(10_000_000, 500_000),
            0
        );
    }

    #[test]
    fn a_fill_moves_funds_and_a_revert_restores_them() {
        let mut w = Wallet::new([1; 20], WalletKind::Eoa);
        w.pusd_u6 = 10_000_000;
        w.cached_pusd_u6 = 10_000_000;
        w.allowance_u6 = u64::MAX;
        w.cached_allowance_u6 = u64::MAX;
        let f = FillFunds {
            shares_u6: 10_000_000,
            notional_u6: 5_000_000,
            fee_u6: 180_000,
            fee_tokens_u6: 360_000,
        };
        apply_fill(&mut w, "t", Side::Buy, f, false);
        assert_eq!((w.pusd_u6, w.cached_pusd_u6), (5_000_000, 5_000_000));
        assert_eq!(w.tokens_of("t"), 9_640_000);
        assert_eq!(w.allowance_u6, u64::MAX);
        apply_fill(&mut w, "t", Side::Buy, f, true);
        assert_eq!((w.pusd_u6, w.tokens_of("t")), (10_000_000, 0));
    }
}
