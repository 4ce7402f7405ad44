//! Table-driven tests of the engine alone: a script of inputs, each at its time, and the
//! decision or settlement expected from the last one. No threads, no rings, no clock: the
//! same `step` every driver calls.

use super::*;
use crate::pipeline::control::{SignalControl, WindowSpec};
use crate::pipeline::events::{
    book_frame_tag, AssetId, BookTop, ExecReport, ExecStatus, Level, OraclePrice, PolyEvent,
    SpotTick, TriggerTag, WireStamps,
};
use crate::pipeline::shared::Mode;
use crate::risk::RiskConfig;
use crate::signal::snapshot::SettleSource;
use crate::strategy::gates::SkipReason;

/// A window start (unix s) on a 900-s boundary, and its start in ms.
const S: u64 = 1_800_000_000;
const T0: u64 = S * 1000;
const LEN: u64 = 900;
/// Five minutes in: inside the default timing gates (30 s .. 840 s).
const MID: u64 = T0 + 300_000;
const STRIKE: f64 = 100_000.0;

/// The monotonic clock of these scripts: one second before the window opens is 1 s.
fn at(wall_ms: u64) -> At {
    At {
        mono_ns: (wall_ms + 1_000 - T0) * 1_000_000,
        wall_ms,
    }
}

/// One scripted input.
#[derive(Clone, Copy, Debug)]
enum Ev {
    /// Window starting at `start_s`, tokens `up`/`down`.
    Window(u64, u16, u16),
    Closed(u64),
    /// Chainlink price at venue ms (received then too).
    Oracle(u64, f64),
    /// Book of a token: best bid, best ask (1e-4), at ms.
    Book(u16, u32, u32, u64),
    /// A book update whose frame carried no hash.
    BookNoHash(u16, u32, u32, u64),
    /// Binance price at ms, trade id 7.
    Spot(f64, u64),
    /// The same under a gate.
    SpotGated(f64, u64, Gate),
    /// Report for the last intent, at ms.
    Exec(ExecStatus, u64),
    /// Periodic tick at ms.
    Tick(u64),
}

fn assets() -> AssetTable {
    AssetTable::from_names(&["BTC"]).unwrap()
}

fn engine() -> Engine {
    // The model's own level (`absolute`): these scripts' expectations (edges, sides) were set
    // on it before `anchored` became the default; anchoring has its own tests
    // (tests/strategy_anchor.rs).
    Engine::new(
        StrategyConfig {
            model: crate::strategy::anchor::FairModel::Absolute,
            ..StrategyConfig::default()
        },
        RiskConfig::default(),
        &assets(),
        T0 - 1_000,
    )
}

fn spec(start_s: u64, up: u16, down: u16) -> WindowSpec {
    WindowSpec {
        asset: AssetId(0),
        start_s,
        end_s: start_s + LEN,
        up: TokenId(up),
        down: TokenId(down),
        tick_e4: 100,
        min_size_e6: 0,
        fees: Default::default(),
        neg_risk: false,
        settle: Default::default(),
    }
}

/// The first 64 bits of a made-up book hash, distinct per token and time.
fn book_hash(token: u16, ms: u64) -> u64 {
    0xb00c_0000_0000_0000 ^ (u64::from(token) << 48) ^ ms
}

fn book(token: u16, bid: u32, ask: u32, ms: u64) -> BookTop {
    let mut b = BookTop {
        token: TokenId(token),
        n_bids: 1,
        n_asks: 1,
        tick_e4: 100,
        venue_ts_ms: ms,
        venue_hash64: book_hash(token, ms),
        stamps: WireStamps {
            read_ns: at(ms).mono_ns,
            parsed_ns: at(ms).mono_ns,
        },
        ..Default::default()
    };
    b.bids[0] = Level {
        price_e4: bid,
        size_e6: 500_000_000,
    };
    b.asks[0] = Level {
        price_e4: ask,
        size_e6: 500_000_000,
    };
    b
}

fn spot(price: f64, ms: u64) -> SpotTick {
    SpotTick {
        asset: AssetId(0),
        price_e8: (price * 1e8) as i64,
        qty_e8: 1,
        venue_ts_ms: ms,
        seq: 7,
        stamps: WireStamps {
            read_ns: at(ms).mono_ns,
            parsed_ns: at(ms).mono_ns,
        },
        ..Default::default()
    }
}

/// Run a script; `out` holds the last step's outputs. Intents are remembered for `Exec`.
fn run(e: &mut Engine, script: &[Ev], out: &mut Outputs) {
    let mut last_intent = None;
    for ev in script {
        let (when, gate, input) = match *ev {
            Ev::Window(s, up, down) => (T0 - 500, Gate::PAPER, ctl(spec(s, up, down))),
            Ev::Closed(s) => (
                s * 1000 + LEN * 1000,
                Gate::PAPER,
                Input::Control(SignalControl::WindowClosed {
                    asset: AssetId(0),
                    start_s: s,
                }),
            ),
            Ev::Oracle(ms, p) => (
                ms,
                Gate::PAPER,
                Input::Poly(PolyEvent::Oracle(OraclePrice {
                    asset: AssetId(0),
                    price_e8: (p * 1e8) as i64,
                    venue_ts_ms: ms,
                    stamps: WireStamps::default(),
                })),
            ),
            Ev::Book(t, bid, ask, ms) => (
                ms,
                Gate::PAPER,
                Input::Poly(PolyEvent::Book(book(t, bid, ask, ms))),
            ),
            Ev::BookNoHash(t, bid, ask, ms) => (
                ms,
                Gate::PAPER,
                Input::Poly(PolyEvent::Book(BookTop {
                    venue_hash64: 0,
                    ..book(t, bid, ask, ms)
                })),
            ),
            Ev::Spot(p, ms) => (ms, Gate::PAPER, Input::Spot(spot(p, ms))),
            Ev::SpotGated(p, ms, g) => (ms, g, Input::Spot(spot(p, ms))),
            Ev::Exec(status, ms) => {
                let i: OrderIntent = last_intent.expect("an intent to report on");
                let report = if status == ExecStatus::Matched {
                    crate::exec::paper::fill(&i)
                } else {
                    ExecReport {
                        intent_id: i.intent_id,
                        asset: i.asset,
                        token: i.token,
                        outcome: i.outcome,
                        status,
                        window_start_s: i.window_start_s,
                        ..Default::default()
                    }
                };
                (
                    ms,
                    Gate::PAPER,
                    Input::Exec {
                        report,
                        local_reject: false,
                    },
                )
            }
            Ev::Tick(ms) => (ms, Gate::PAPER, Input::Tick { feed_ages_ms: None }),
        };
        e.step(
            &Step {
                at: at(when),
                gate,
                input,
            },
            out,
        );
        if let Some(i) = out.intent() {
            last_intent = Some(*i);
        }
    }
}

fn ctl(s: WindowSpec) -> Input {
    Input::Control(SignalControl::Window(s))
}

/// Window set up, strike from Chainlink, both books fresh (UP 0.58/0.60, DOWN 0.38/0.40).
fn ready() -> Vec<Ev> {
    vec![
        Ev::Window(S, 0, 1),
        Ev::Oracle(T0 + 1_000, STRIKE),
        Ev::Book(0, 5_800, 6_000, MID - 100),
        Ev::Book(1, 3_800, 4_000, MID - 100),
    ]
}

fn with(mut v: Vec<Ev>, more: &[Ev]) -> Vec<Ev> {
    v.extend_from_slice(more);
    v
}

#[derive(Debug)]
enum Expect {
    Skip(SkipReason),
    /// An approved intent: outcome, limit price (1e-4), the venue's name for its trigger.
    Intent(Outcome, u32, TriggerTag),
}

/// BTC 0.2 % above the strike five minutes in: the model says UP ≈ 0.8 against an ask of
/// 0.60; 0.2 % below: DOWN ≈ 0.8 against 0.40.
const UP_PX: f64 = STRIKE * 1.002;
const DOWN_PX: f64 = STRIKE * 0.998;

#[test]
fn decisions_and_skip_reasons() {
    let killed = Gate {
        killed: true,
        mode: Mode::Paper,
    };
    let off = Gate {
        killed: false,
        mode: Mode::Off,
    };
    let cases: Vec<(&str, Vec<Ev>, Expect)> = vec![
        (
            "up move buys UP at ask + 2 ticks, tagged with the trade id",
            with(ready(), &[Ev::Spot(UP_PX, MID)]),
            Expect::Intent(Outcome::Up, 6_200, TriggerTag::Binance(7)),
        ),
        (
            "down move buys DOWN",
            with(ready(), &[Ev::Spot(DOWN_PX, MID)]),
            Expect::Intent(Outcome::Down, 4_200, TriggerTag::Binance(7)),
        ),
        (
            "a book update decides too, tagged with its timestamp and hash",
            vec![
                Ev::Window(S, 0, 1),
                Ev::Oracle(T0 + 1_000, STRIKE),
                Ev::Spot(UP_PX, MID - 200),
                Ev::Book(1, 3_800, 4_000, MID - 100),
                Ev::Book(0, 5_800, 6_000, MID),
            ],
            Expect::Intent(
                Outcome::Up,
                6_200,
                TriggerTag::Book(book_frame_tag(MID, book_hash(0, MID))),
            ),
        ),
        (
            "a book update without a hash decides untagged",
            vec![
                Ev::Window(S, 0, 1),
                Ev::Oracle(T0 + 1_000, STRIKE),
                Ev::Spot(UP_PX, MID - 200),
                Ev::Book(1, 3_800, 4_000, MID - 100),
                Ev::BookNoHash(0, 5_800, 6_000, MID),
            ],
            Expect::Intent(Outcome::Up, 6_200, TriggerTag::None),
        ),
        (
            "no window set up",
            vec![Ev::Spot(UP_PX, MID)],
            Expect::Skip(SkipReason::NoWindow),
        ),
        (
            "window without a strike yet",
            vec![
                Ev::Window(S, 0, 1),
                Ev::Book(0, 5_800, 6_000, MID - 100),
                Ev::Spot(UP_PX, MID),
            ],
            Expect::Skip(SkipReason::NoWindow),
        ),
        (
            "too early in the window",
            with(ready(), &[Ev::Spot(UP_PX, T0 + 10_000)]),
            Expect::Skip(SkipReason::TooEarly),
        ),
        (
            "too late in the window",
            vec![
                Ev::Window(S, 0, 1),
                Ev::Oracle(T0 + 1_000, STRIKE),
                Ev::Book(0, 5_800, 6_000, T0 + 880_000),
                Ev::Spot(UP_PX, T0 + 880_000),
            ],
            Expect::Skip(SkipReason::TooLate),
        ),
        (
            "no book yet",
            vec![
                Ev::Window(S, 0, 1),
                Ev::Oracle(T0 + 1_000, STRIKE),
                Ev::Spot(UP_PX, MID),
            ],
            Expect::Skip(SkipReason::NoBook),
        ),
        (
            "book older than 5 s",
            with(ready(), &[Ev::Spot(UP_PX, MID + 6_000)]),
            Expect::Skip(SkipReason::StaleBook),
        ),
        (
            "spot at the strike: too small a move",
            with(ready(), &[Ev::Spot(STRIKE, MID)]),
            Expect::Skip(SkipReason::SmallMove),
        ),
        (
            "ask too dear for the model: no edge",
            vec![
                Ev::Window(S, 0, 1),
                Ev::Oracle(T0 + 1_000, STRIKE),
                Ev::Book(0, 8_900, 9_000, MID - 100),
                Ev::Spot(UP_PX, MID),
            ],
            Expect::Skip(SkipReason::EdgeBelowThreshold),
        ),
        (
            "spread wider than 0.05",
            vec![
                Ev::Window(S, 0, 1),
                Ev::Oracle(T0 + 1_000, STRIKE),
                Ev::Book(0, 4_000, 6_000, MID - 100),
                Ev::Spot(UP_PX, MID),
            ],
            Expect::Skip(SkipReason::SpreadTooWide),
        ),
        (
            "an order in flight blocks the next",
            with(ready(), &[Ev::Spot(UP_PX, MID), Ev::Spot(UP_PX, MID + 10)]),
            Expect::Skip(SkipReason::OpenOrder),
        ),
        (
            "after the report, the window's cooldown",
            with(
                ready(),
                &[
                    Ev::Spot(UP_PX, MID),
                    Ev::Exec(ExecStatus::Unmatched, MID + 5),
                    Ev::Spot(UP_PX, MID + 10),
                ],
            ),
            Expect::Skip(SkipReason::Cooldown),
        ),
        (
            "kill switch: the intent is refused and the snapshot says why",
            with(ready(), &[Ev::SpotGated(UP_PX, MID, killed)]),
            Expect::Skip(SkipReason::KillSwitch),
        ),
        (
            "mode off: refused",
            with(ready(), &[Ev::SpotGated(UP_PX, MID, off)]),
            Expect::Skip(SkipReason::ModeOff),
        ),
        (
            "a closed window that never traded is forgotten",
            with(ready(), &[Ev::Closed(S), Ev::Spot(UP_PX, MID)]),
            Expect::Skip(SkipReason::NoWindow),
        ),
    ];
    let mut out = Outputs::default();
    for (name, script, want) in cases {
        let mut e = engine();
        run(&mut e, &script, &mut out);
        let d = out
            .decision
            .unwrap_or_else(|| panic!("{name}: no decision"));
        match want {
            Expect::Skip(r) => {
                assert_eq!(d.snapshot.skip, Some(r), "{name}");
                assert!(d.intent.is_none(), "{name}: skipped yet an intent");
            }
            Expect::Intent(outcome, limit, seq) => {
                assert_eq!(d.snapshot.skip, None, "{name}");
                let i = d.intent.unwrap_or_else(|| panic!("{name}: no intent"));
                assert_eq!(i.outcome, outcome, "{name}");
                assert_eq!(i.limit_price_e4, limit, "{name}");
                assert_eq!(i.trigger_tag, seq, "{name}");
                assert_eq!(i.window_start_s, S, "{name}");
                assert!(i.size_e6 > 0 && i.edge_e6 > 0, "{name}: {i:?}");
                let token = if outcome == Outcome::Up { 0 } else { 1 };
                assert_eq!(i.token, TokenId(token), "{name}");
                // The snapshot carries the model's view it decided on.
                assert_eq!(d.snapshot.strike, STRIKE, "{name}");
                assert_eq!(d.snapshot.side, outcome, "{name}");
            }
        }
    }
}

#[test]
fn the_window_rolls_to_the_next_and_its_tokens() {
    let next = S + LEN;
    let mut e = engine();
    let mut out = Outputs::default();
    let mid2 = next * 1000 + 300_000;
    run(
        &mut e,
        &[
            Ev::Window(S, 0, 1),
            Ev::Window(next, 2, 3),
            Ev::Oracle(T0 + 1_000, STRIKE),
            Ev::Oracle(next * 1000 + 500, STRIKE * 1.01),
            Ev::Book(0, 5_800, 6_000, mid2 - 100),
            Ev::Book(2, 5_800, 6_000, mid2 - 100),
            Ev::Book(3, 3_800, 4_000, mid2 - 100),
            Ev::Spot(STRIKE * 1.012, mid2),
        ],
        &mut out,
    );
    let d = out.decision.expect("decision");
    assert_eq!(d.snapshot.window_start_s, next);
    assert_eq!(
        d.snapshot.strike,
        STRIKE * 1.01,
        "the new window's own strike"
    );
    let i = d.intent.expect("an intent in the next window");
    assert_eq!((i.token, i.window_start_s), (TokenId(2), next));
    assert_eq!(e.token_outcome(TokenId(3)), Some(Outcome::Down));
}

#[test]
fn settlements_by_source() {
    let end = T0 + LEN * 1000;
    let grace = StrategyConfig::default().settle_grace_ms;
    // (name, script after a filled UP position, tick time, up won, source)
    let cases: Vec<(&str, Vec<Ev>, u64, bool, SettleSource)> = vec![
        (
            "Chainlink after the end above the strike: UP wins",
            vec![Ev::Oracle(end + 300, STRIKE * 1.001)],
            end + 400,
            true,
            SettleSource::Oracle,
        ),
        (
            "Chainlink after the end below the strike: UP loses",
            vec![Ev::Oracle(end + 300, STRIKE * 0.999)],
            end + 400,
            false,
            SettleSource::Oracle,
        ),
        (
            "no Chainlink price after the end: the last one seen, flagged stale",
            vec![Ev::Oracle(end - 2_000, STRIKE * 1.003)],
            end + grace,
            true,
            SettleSource::Stale,
        ),
    ];
    for (name, after, tick_ms, up_won, source) in cases {
        let mut e = engine();
        let mut out = Outputs::default();
        let mut script = with(
            ready(),
            &[Ev::Spot(UP_PX, MID), Ev::Exec(ExecStatus::Matched, MID + 5)],
        );
        run(&mut e, &script, &mut out);
        assert!(out.account_changed, "{name}: the fill moved the account");
        assert!(e.account.has_position(AssetId(0), S), "{name}");
        let cash_after_buy = e.account.cash;
        script = after;
        // Before the end (or the grace) nothing settles.
        script.push(Ev::Tick(end - 1));
        run(&mut e, &script, &mut out);
        assert!(out.settlements().is_empty(), "{name}: settled early");
        run(&mut e, &[Ev::Tick(tick_ms)], &mut out);
        let s = out.settlements();
        assert_eq!(s.len(), 1, "{name}");
        assert_eq!(
            (s[0].window_start_s, s[0].up_won, s[0].source),
            (S, up_won, source),
            "{name}"
        );
        assert_eq!(s[0].strike, STRIKE, "{name}");
        assert!(out.account_changed, "{name}");
        assert!(
            !e.account.has_position(AssetId(0), S),
            "{name}: position closed"
        );
        if up_won {
            assert!(
                s[0].pnl > 0.0 && e.account.cash > cash_after_buy,
                "{name}: {:?}",
                s[0]
            );
        } else {
            assert!(
                s[0].pnl < 0.0 && e.account.cash == cash_after_buy,
                "{name}: {:?}",
                s[0]
            );
        }
        // Settled once: the next tick has nothing.
        run(&mut e, &[Ev::Tick(tick_ms + 50)], &mut out);
        assert!(out.settlements().is_empty(), "{name}: settled twice");
    }
}

#[test]
fn a_restored_window_with_no_price_from_its_time_is_written_off() {
    let old = S - 3_600;
    // Two windows that ended an hour before this run started, no price seen from their time:
    // one holds a position (restored from the journal), one does not.
    for held in [true, false] {
        let mut e = engine();
        let mut out = Outputs::default();
        e.restore_window(AssetId(0), old, old + LEN, STRIKE, false, T0);
        if held {
            let fill = ExecReport {
                intent_id: 99,
                asset: AssetId(0),
                token: TokenId(0),
                outcome: Outcome::Up,
                status: ExecStatus::Matched,
                filled_e6: 10_000_000,
                received_e6: 10_000_000,
                cost_e6: 6_000_000,
                window_start_s: old,
                ..Default::default()
            };
            let exec = Input::Exec {
                report: fill,
                local_reject: false,
            };
            e.step(
                &Step {
                    at: at(T0),
                    gate: Gate::PAPER,
                    input: exec,
                },
                &mut out,
            );
            assert!(e.account.has_position(AssetId(0), old));
        }
        run(&mut e, &[Ev::Tick(T0 + 10_000)], &mut out);
        let s = out.settlements();
        if held {
            assert_eq!(s.len(), 1);
            assert_eq!(s[0].source, SettleSource::Unresolved);
            assert!(!s[0].up_won && s[0].end_price.is_nan());
            assert!(
                (s[0].pnl + 6.0).abs() < 1e-9,
                "written off at cost: {:?}",
                s[0]
            );
            assert!(!e.account.has_position(AssetId(0), old));
        } else {
            assert!(s.is_empty(), "no position: forgotten without a settlement");
        }
    }
}

#[test]
fn strike_falls_back_to_binance_after_the_grace() {
    let mut e = engine();
    let mut out = Outputs::default();
    let grace = StrategyConfig::default().strike_grace_ms;
    run(
        &mut e,
        &[
            Ev::Window(S, 0, 1),
            Ev::Spot(STRIKE, T0 + 100),
            Ev::Tick(T0 + grace - 1),
        ],
        &mut out,
    );
    assert_eq!(out.strike_fallbacks, 0, "inside the grace");
    run(&mut e, &[Ev::Tick(T0 + grace + 100)], &mut out);
    assert_eq!(out.strike_fallbacks, 1);
    run(
        &mut e,
        &[Ev::Book(0, 5_800, 6_000, MID - 100), Ev::Spot(UP_PX, MID)],
        &mut out,
    );
    let d = out.decision.unwrap();
    assert!(d.snapshot.strike_fallback);
    assert_eq!(d.snapshot.strike, STRIKE);
}

#[test]
fn the_same_script_gives_the_same_outputs() {
    // No clock inside: two engines fed the same inputs agree to the bit.
    let script = with(
        ready(),
        &[
            Ev::Spot(UP_PX, MID),
            Ev::Exec(ExecStatus::Matched, MID + 5),
            Ev::Oracle(T0 + LEN * 1000 + 10, STRIKE * 1.001),
            Ev::Tick(T0 + LEN * 1000 + 20),
        ],
    );
    let (mut a, mut b) = (engine(), engine());
    let (mut oa, mut ob) = (Outputs::default(), Outputs::default());
    run(&mut a, &script, &mut oa);
    run(&mut b, &script, &mut ob);
    assert_eq!(oa.settlements(), ob.settlements());
    assert_eq!(oa.settlements().len(), 1);
    assert_eq!(a.account.cash.to_bits(), b.account.cash.to_bits());
}
