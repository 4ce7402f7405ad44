//! What a restart gets back from the journal: the paper account rebuilt from responses and
//! settlements, the open positions, the kill switch, the mode and the risk state.

use std::collections::HashMap;

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::pipeline::events::{AssetId, ExecReport, ExecStatus, Outcome, TokenId, SIZE_SCALE};
use crate::pipeline::registry::{AssetTable, MAX_TOKENS};
use crate::pipeline::shared::Mode;
use crate::risk::{RiskSeed, DAY_MS};
use crate::signal::account::PaperAccount;
use crate::signal::{AccountSnapshot, Engine, SettleSource};

use super::error::JournalError;

use super::db::{outcome_name, real, Journal};

fn ser_outcome<S: serde::Serializer>(o: &Outcome, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(outcome_name(*o))
}

/// The paper account as the journal last knew it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RestoredAccount {
    pub start_cash: f64,
    pub cash: f64,
    pub realized_pnl: f64,
    pub fees_paid: f64,
    pub settled: u32,
    pub wins: u32,
    pub losses: u32,
}

/// An open (unsettled) position.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RestoredPosition {
    pub asset: String,
    /// The asset's index when it was journaled (re-map by name if the asset list changed).
    pub asset_idx: u8,
    /// The venue's token id: the stable identity (slots are reused).
    pub token_id: String,
    /// The token slot when it was journaled.
    pub token_slot: u16,
    #[serde(serialize_with = "ser_outcome")]
    pub outcome: Outcome,
    pub window_start_s: u64,
    /// Tokens held after fees.
    pub tokens: f64,
    /// USDC paid.
    pub cost: f64,
    /// The window's strike as last journaled with a decision (NaN if none was).
    pub strike: f64,
    pub strike_fallback: bool,
}

/// The kill switch as last journaled.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KillSwitchState {
    pub active: bool,
    pub reason: String,
    pub wall_ms: u64,
}

/// Everything `restore` gives back.
#[derive(Clone, Debug, PartialEq)]
pub struct Restored {
    /// `None` for a fresh journal (no account snapshot, fill or settlement): start from the
    /// configuration.
    pub account: Option<RestoredAccount>,
    pub positions: Vec<RestoredPosition>,
    pub kill_switch: KillSwitchState,
    /// The last journaled mode change, if any.
    pub mode: Option<Mode>,
    /// Equity, peak, the last settlement day's PnL and the loss streak, for `RiskBook::seed`;
    /// from the configured start cash when the journal has none (a fresh journal).
    pub risk: RiskSeed,
    /// The last account snapshot as `signal` published it (for display and cross-checks).
    pub last_snapshot: Option<AccountSnapshot>,
}

impl Journal {
    /// The paper account, open positions, kill switch, mode and risk state as last journaled.
    ///
    /// The account is rebuilt from the responses and settlements (the same arithmetic as
    /// `PaperAccount`: fees taken in tokens, winning tokens pay 1), starting from the first
    /// account snapshot's start cash, so a dropped snapshot loses nothing. `config_start_cash`
    /// (the configuration's) stands in where the journal holds no snapshot yet: a fresh
    /// journal seeds the risk book at the start cash, not at 0.
    pub fn restore(&self, config_start_cash: f64) -> Result<Restored, JournalError> {
        let c = &self.conn;
        let start_cash: Option<f64> = c
            .query_row(
                "SELECT start_cash FROM account_snapshots ORDER BY id LIMIT 1",
                [],
                |r| r.get::<_, Option<f64>>(0),
            )
            .optional()?
            .flatten();
        let last_snapshot = c
            .query_row(
                "SELECT wall_ms, start_cash, cash, realized_pnl, fees_paid, open_positions,
                        open_cost, settled, wins, losses
                 FROM account_snapshots ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(AccountSnapshot {
                        wall_ms: r.get::<_, i64>(0)? as u64,
                        start_cash: real(r.get(1)?),
                        cash: real(r.get(2)?),
                        realized_pnl: real(r.get(3)?),
                        fees_paid: real(r.get(4)?),
                        open_positions: r.get(5)?,
                        open_cost: real(r.get(6)?),
                        settled: r.get(7)?,
                        wins: r.get(8)?,
                        losses: r.get(9)?,
                    })
                },
            )
            .optional()?;

        // Positions: filled responses grouped by (asset, window, token id), in first-fill order.
        struct Group {
            pos: RestoredPosition,
        }
        let mut groups: Vec<Group> = Vec::new();
        let (mut total_cost_e6, mut total_fee_e6) = (0i64, 0i64);
        {
            let mut st = c.prepare(
                "SELECT asset, MIN(asset_idx), token_id, MIN(token_slot), MIN(outcome),
                        window_start_s, SUM(received_e6), SUM(cost_e6), SUM(fee_e6), MIN(id) AS first
                 FROM responses
                 WHERE filled_e6 > 0 AND status IN ('matched', 'delayed')
                 GROUP BY asset, window_start_s, token_id
                 ORDER BY first",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let outcome_s: String = r.get(4)?;
                let outcome = match outcome_s.as_str() {
                    "up" => Outcome::Up,
                    "down" => Outcome::Down,
                    _ => {
                        return Err(JournalError::BadValue {
                            table: "responses",
                            column: "outcome",
                            value: outcome_s,
                        })
                    }
                };
                let received: i64 = r.get(6)?;
                let cost: i64 = r.get(7)?;
                let fee: i64 = r.get(8)?;
                total_cost_e6 += cost;
                total_fee_e6 += fee;
                groups.push(Group {
                    pos: RestoredPosition {
                        asset: r.get(0)?,
                        asset_idx: r.get::<_, i64>(1)? as u8,
                        token_id: r.get(2)?,
                        token_slot: r.get::<_, i64>(3)? as u16,
                        outcome,
                        window_start_s: r.get::<_, i64>(5)? as u64,
                        tokens: received as f64 / SIZE_SCALE as f64,
                        cost: cost as f64 / SIZE_SCALE as f64,
                        strike: f64::NAN,
                        strike_fallback: false,
                    },
                });
            }
        }

        // Settlements in order: which windows are over (and how: `None` = written off,
        // unresolved), and the risk seed.
        let mut settled_windows: HashMap<(String, u64), Option<bool>> = HashMap::new();
        let mut settlement_rows: Vec<(String, u64, f64, u64)> = Vec::new();
        {
            let mut st = c.prepare(
                "SELECT asset, window_start_s, up_won, pnl, wall_ms, price_source
                 FROM settlements ORDER BY id",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let asset: String = r.get(0)?;
                let w = r.get::<_, i64>(1)? as u64;
                let up_won: bool = r.get(2)?;
                let pnl: Option<f64> = r.get(3)?;
                let wall = r.get::<_, i64>(4)? as u64;
                let source: Option<String> = r.get(5)?;
                let source = match source.as_deref() {
                    None => SettleSource::Oracle,
                    Some(s) => SettleSource::parse(s).ok_or_else(|| JournalError::BadValue {
                        table: "settlements",
                        column: "price_source",
                        value: s.to_string(),
                    })?,
                };
                let decided = (source != SettleSource::Unresolved).then_some(up_won);
                settled_windows.entry((asset.clone(), w)).or_insert(decided);
                settlement_rows.push((asset, w, pnl.unwrap_or(0.0), wall));
            }
        }

        // Strikes of the windows still open, as last journaled with a decision.
        {
            let mut st = c.prepare(
                "SELECT strike, strike_fallback FROM signals
                 WHERE asset = ?1 AND window_start_s = ?2 AND strike IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
            )?;
            for g in groups.iter_mut() {
                let key = (g.pos.asset.clone(), g.pos.window_start_s);
                if settled_windows.contains_key(&key) {
                    continue;
                }
                if let Some((k, fb)) = st
                    .query_row(rusqlite::params![key.0, key.1 as i64], |r| {
                        Ok((r.get::<_, f64>(0)?, r.get::<_, bool>(1)?))
                    })
                    .optional()?
                {
                    g.pos.strike = k;
                    g.pos.strike_fallback = fb;
                }
            }
        }

        let fresh = start_cash.is_none() && groups.is_empty() && settlement_rows.is_empty();
        let start = start_cash.unwrap_or(config_start_cash);
        let mut acct = RestoredAccount {
            start_cash: start,
            cash: start - total_cost_e6 as f64 / SIZE_SCALE as f64,
            realized_pnl: 0.0,
            fees_paid: total_fee_e6 as f64 / SIZE_SCALE as f64,
            settled: 0,
            wins: 0,
            losses: 0,
        };
        let mut positions = Vec::new();
        let mut traded: HashMap<(String, u64), ()> = HashMap::new();
        for g in groups {
            let p = g.pos;
            traded.insert((p.asset.clone(), p.window_start_s), ());
            match settled_windows.get(&(p.asset.clone(), p.window_start_s)) {
                Some(&decided) => {
                    let won = decided.is_some_and(|up_won| (p.outcome == Outcome::Up) == up_won);
                    let payout = if won { p.tokens } else { 0.0 };
                    acct.cash += payout;
                    acct.realized_pnl += payout - p.cost;
                    acct.settled += 1;
                    if payout > p.cost {
                        acct.wins += 1;
                    } else {
                        acct.losses += 1;
                    }
                }
                None => positions.push(p),
            }
        }

        let mut risk = RiskSeed {
            equity_usdc: start,
            peak_equity_usdc: start,
            ..Default::default()
        };
        for (asset, w, pnl, wall) in &settlement_rows {
            let day = wall / DAY_MS;
            if day != risk.day_index {
                risk.day_index = day;
                risk.day_realized_pnl_usdc = 0.0;
            }
            risk.equity_usdc += pnl;
            risk.day_realized_pnl_usdc += pnl;
            risk.peak_equity_usdc = risk.peak_equity_usdc.max(risk.equity_usdc);
            if traded.contains_key(&(asset.clone(), *w)) || *pnl != 0.0 {
                if *pnl > 0.0 {
                    risk.consecutive_losses = 0;
                } else {
                    risk.consecutive_losses += 1;
                }
            }
        }

        let kill_switch = c
            .query_row(
                "SELECT active, reason, wall_ms FROM control_actions
                 WHERE action = 'kill_switch' ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(KillSwitchState {
                        active: r.get::<_, Option<bool>>(0)?.unwrap_or(false),
                        reason: r.get(1)?,
                        wall_ms: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()?
            .unwrap_or_default();
        let mode = c
            .query_row(
                "SELECT mode FROM control_actions WHERE action = 'mode' ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten()
            .and_then(|m| m.parse::<Mode>().ok());

        Ok(Restored {
            account: (!fresh).then_some(acct),
            positions,
            kill_switch,
            mode,
            risk,
            last_snapshot,
        })
    }
}

impl Restored {
    /// Give `engine` what was restored: the paper account (positions in token slots from the
    /// top, so new windows filling from the bottom never meet them), the risk state, each
    /// position's exposure and its window, which settles like any other: from a Chainlink
    /// price at its end seen by this run, else (it ended while the process was down) written
    /// off and flagged `unresolved`, so no position holds a slot forever.
    pub fn seed_engine(
        &self,
        engine: &mut Engine,
        assets: &AssetTable,
        window_len_s: u64,
        wall_ms: u64,
    ) {
        let mut next = MAX_TOKENS as u16;
        if let Some(acct) = self.paper_account(|_| {
            next = next.saturating_sub(1);
            Some(TokenId(next))
        }) {
            engine.account = acct;
        }
        engine.risk.seed(&self.risk, wall_ms);
        for p in &self.positions {
            if let Some(a) = assets.by_any_name(&p.asset) {
                engine
                    .risk
                    .restore_position(a, p.window_start_s, p.outcome, p.cost);
                engine.restore_window(
                    a,
                    p.window_start_s,
                    p.window_start_s + window_len_s,
                    p.strike,
                    p.strike_fallback,
                    wall_ms,
                );
            }
        }
    }

    /// A paper account holding the restored cash, counters and open positions. `slot_of`
    /// gives each position's token slot in this run (by its venue token id); positions it
    /// returns `None` for are left out (and their cost is still out of the cash).
    pub fn paper_account(
        &self,
        mut slot_of: impl FnMut(&RestoredPosition) -> Option<TokenId>,
    ) -> Option<PaperAccount> {
        let a = self.account.as_ref()?;
        let mut acct = PaperAccount::new(a.start_cash);
        for p in &self.positions {
            let Some(token) = slot_of(p) else { continue };
            acct.apply(&ExecReport {
                asset: AssetId(p.asset_idx),
                token,
                outcome: p.outcome,
                status: ExecStatus::Matched,
                filled_e6: (p.tokens * SIZE_SCALE as f64).round().max(1.0) as u64,
                received_e6: (p.tokens * SIZE_SCALE as f64).round() as u64,
                cost_e6: (p.cost * SIZE_SCALE as f64).round() as u64,
                window_start_s: p.window_start_s,
                ..Default::default()
            });
        }
        acct.cash = a.cash;
        acct.realized_pnl = a.realized_pnl;
        acct.fees_paid = a.fees_paid;
        acct.settled = a.settled;
        acct.wins = a.wins;
        acct.losses = a.losses;
        Some(acct)
    }
}
