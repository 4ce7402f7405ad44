// Cassandra dashboard: one ES module, no build step. Reads /ws (init, then live messages and a
// `status` on every change and at least once a second) and a few REST endpoints; the protected
// controls send the API key kept in sessionStorage. `window.cassandraDash` exposes the state and
// the message handlers to the browser test.

const $ = (sel) => document.querySelector(sel);
const LC = window.LightweightCharts;
const state = {
  assets: [], asset: null, windowS: 900, windows: [], momentum: {}, books: {},
  kill: false, mode: null, liveAvailable: false, orders: [], charts: null, probWindow: null,
  status: null, lastMsgMs: 0, connected: false, ws: null, fills: [],
};
/// No message for this long: the stream is dead even if the socket looks open (the server
/// sends `status` at least every second).
const SILENT_MS = 3500;

// ---- formatting -------------------------------------------------------------------------
const num = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));
const spotFmt = (v) => (v === null || v === undefined ? '–' : v >= 100 ? num(v, 2) : num(v, 4));
const signed = (v, d = 2) => (v === null || v === undefined ? '–'
  : `<span class="${v >= 0 ? 'pos' : 'neg'}">${v > 0 ? '+' : ''}${num(v, d)}</span>`);
const hhmmss = (ms) => new Date(ms).toLocaleTimeString();
const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/// Decimals of a market's tick: 0.01 → 2, 0.001 → 3.
const tickDecimals = (tick) => (tick > 0 ? Math.max(0, Math.ceil(-Math.log10(tick) - 1e-9)) : 2);
const dur = (s) => {
  if (s === null || s === undefined || Number.isNaN(s)) return '–';
  s = Math.max(0, Math.round(s));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(s % 60).padStart(2, '0')}`;
};
const pct = (v, d = 1) => (v === null || v === undefined ? '–' : `${num(v * 100, d)}%`);

// ---- decisions in words ---------------------------------------------------------------------
function decisionWords(m) {
  const ask = m.side === 'up' ? m.up_ask : m.down_ask;
  const fair = m.side === 'up' ? m.p_up : 1 - m.p_up;
  if (m.decision === 'trade') {
    return `Buy ${m.side.toUpperCase()} at ${num(ask, 3)}: fair ${num(fair, 3)}, edge ${num(m.edge, 3)} a share`;
  }
  const words = {
    no_window: 'No open window',
    no_spot: 'No spot price yet',
    no_book: 'No order book yet',
    stale_spot: 'Spot price stale',
    stale_book: 'Order book stale',
    too_early: `Too early in the window (${dur(m.tau_s)} left)`,
    too_late: `Too late: only ${dur(m.tau_s)} left`,
    small_move: `Move ${num(m.move_bps, 1)} bps from the strike is too small`,
    edge_below_threshold: `Edge ${num(m.edge, 3)} on ${m.side.toUpperCase()} (fair ${num(fair, 3)} vs ask ${num(ask, 3)}) is below the threshold`,
    spread_too_wide: 'Spread too wide to trade',
    thin_depth: `Too little size at ${num(ask, 3)}`,
    below_min_size: "Order would be under the market's minimum size",
    extreme_probability: `Fair P(UP) ${num(m.p_up, 3)} is too close to 0 or 1 to trust`,
    open_order: 'An order is already open',
    cooldown: 'Cooling down after the last trade',
    kill_switch: 'Kill switch on: no orders',
    breaker: 'A breaker holds: no orders',
    mode_off: 'Trading is off (mode off)',
    risk_limit: 'A risk limit is reached',
    no_fair_value: 'No fair value yet (spot, strike or volatility missing)',
    price_out_of_range: `${m.side.toUpperCase()} at ${num(ask, 3)} is outside the sniper's price range`,
    no_strategy: 'No strategy enabled for this asset',
  };
  return words[m.skip_reason] || `Skip: ${String(m.skip_reason || 'unknown').replace(/_/g, ' ')}`;
}

// ---- theme ------------------------------------------------------------------------------
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem('theme', theme);
  if (state.charts) {
    const css = getComputedStyle(document.documentElement);
    const layout = { background: { type: 'solid', color: css.getPropertyValue('--panel').trim() },
      textColor: css.getPropertyValue('--fg').trim() };
    const grid = { vertLines: { color: css.getPropertyValue('--line').trim() },
      horzLines: { color: css.getPropertyValue('--line').trim() } };
    for (const c of [state.charts.main, state.charts.prob]) c.applyOptions({ layout, grid });
  }
}
$('#theme-toggle').onclick = () =>
  applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark');

// ---- API key, confirmation and protected calls ---------------------------------------------
function notice(text) {
  const n = $('#notice');
  n.textContent = text;
  n.hidden = !text;
}
function dialogAnswer(d, before) {
  return new Promise((resolve) => {
    before();
    d.onclose = () => resolve(d.returnValue === 'ok');
    d.returnValue = '';
    d.showModal();
  });
}
async function askKey() {
  const ok = await dialogAnswer($('#key-dialog'), () => { $('#key-input').value = sessionStorage.getItem('apiKey') || ''; });
  if (ok && $('#key-input').value) { sessionStorage.setItem('apiKey', $('#key-input').value); return true; }
  return false;
}
const confirmAction = (text) => dialogAnswer($('#confirm-dialog'), () => { $('#confirm-text').textContent = text; });
$('#key-btn').onclick = async () => { if (await askKey()) refreshLive(); };

async function protectedCall(method, path, body) {
  if (!sessionStorage.getItem('apiKey') && !(await askKey())) return null;
  const r = await fetch(path, {
    method, headers: { 'Content-Type': 'application/json', 'X-API-Key': sessionStorage.getItem('apiKey') },
    body: body ? JSON.stringify(body) : undefined,
  });
  const j = await r.json().catch(() => ({}));
  if (r.status === 401) sessionStorage.removeItem('apiKey');
  if (!r.ok) { notice(`${path}: ${r.status} ${j.error || ''}`); return null; }
  notice('');
  refreshLive();
  return j;
}

$('#kill-btn').onclick = async () => {
  const active = !state.kill;
  // Stopping is never delayed; resuming is confirmed.
  if (!active && !(await confirmAction('Resume trading? The kill switch goes off and new orders may be sent.'))) return;
  const j = await protectedCall('POST', '/api/live-trading/kill-switch', { active, reason: 'dashboard' });
  if (j) setKill(j.active);
};
$('#mode-select').onchange = async (e) => {
  const mode = e.target.value;
  e.target.value = '';
  if (!mode || mode === state.mode) return;
  if (!(await confirmAction(`Switch trading mode from ${state.mode} to ${mode}?`))) return;
  const j = await protectedCall('POST', '/api/live-trading/mode', { mode });
  if (j) setMode(j.mode);
};
function setKill(active) {
  state.kill = active;
  $('#kill-state').textContent = active ? 'ON' : 'off';
  document.body.classList.toggle('killed', active);
}
function setMode(m) { state.mode = m; $('#mode').textContent = m; }

async function refreshLive() {
  const key = sessionStorage.getItem('apiKey');
  if (!key) return;
  const r = await fetch('/api/live-trading/status', { headers: { 'X-API-Key': key } });
  const j = await r.json().catch(() => ({}));
  const rows = r.ok
    ? [['mode', j.mode], ['live available', j.live_available ? 'yes' : 'no'],
      ['live orders sent', j.orders.sent], ['filled', j.orders.filled], ['rejected', j.orders.rejected]]
    : [['status', `${r.status}: ${j.error || ''}`]];
  if (r.ok && !j.live_available) rows.push(['note', j.live_unavailable_reason]);
  // The wallet: cash the CLOB can trade with, apart from winning tokens not yet redeemed.
  const w = r.ok ? j.wallet : null;
  if (w) {
    const usd = (u6) => (u6 == null ? '–' : (u6 / 1e6).toFixed(2));
    rows.push(['wallet', w.holder], ['cash (pUSD)', usd(w.cash_pusd_u6)]);
    const owed = w.redeemable.reduce((a, x) => a + x.shares_micro, 0);
    rows.push(['redeemable (not cash)', w.redeemable.length ? `${usd(owed)} shares in ${w.redeemable.length} market(s)` : 'none']);
    rows.push(['redeemed', `${w.redeemed.length} for ${usd(w.redeemed.reduce((a, x) => a + x.usdc_micro, 0))} pUSD`]);
    if (w.funds_paused) rows.push(['orders', 'PAUSED: pUSD below the minimum']);
  }
  if (r.ok) for (const o of j.recent_live_orders.slice(0, 5)) rows.push([hhmmss(o.ts_ms), `${o.asset} ${o.outcome} ${o.size}@${o.price} ${o.status}`]);
  $('#live-account').innerHTML = rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
}

// ---- status: halted banner, stale overlay, live availability ------------------------------
function renderStatus() {
  const s = state.status;
  if (!s) return;
  setKill(s.kill_switch.active);
  if (s.mode !== state.mode && state.mode !== null) refreshLive();
  setMode(s.mode);
  state.liveAvailable = s.live_available;
  const live = $('#mode-select option[value="live"]');
  live.disabled = !s.live_available;
  live.textContent = s.live_available ? 'live' : 'live (unavailable)';
  live.title = s.live_available ? '' : 'This process was started without live keys: start it with --mode live to trade live';
  const h = $('#halted');
  h.hidden = !s.halted;
  h.textContent = s.halted ? `TRADING HALTED: ${s.halt_reason}` : '';
  $('#feeds').innerHTML = s.feeds.map((f) => `<span class="badge ${f.fresh ? 'on' : 'off'}" title="last frame ${f.last_frame_age_ms ?? '–'} ms ago (stale after ${f.stale_after_ms} ms)">${esc(f.name)}</span>`).join(' ');
  renderStale();
}

/// Why the prices on screen are not live now, or null.
function staleReason() {
  if (!state.connected) return 'Stream disconnected: the prices on this page are not live (reconnecting…)';
  const silent = Date.now() - state.lastMsgMs;
  if (silent > SILENT_MS) return `No data from the server for ${Math.round(silent / 1000)} s: the prices on this page are not live`;
  const bad = (state.status?.feeds || []).filter((f) => f.prices && !f.fresh);
  if (bad.length) return `Stale feed: ${bad.map((f) => `${f.name} (${f.last_frame_age_ms === null ? 'no data yet' : `silent ${Math.round(f.last_frame_age_ms / 1000)} s`})`).join(', ')}: prices are not live`;
  return null;
}
function renderStale() {
  const why = staleReason();
  const el = $('#stale');
  el.hidden = !why;
  el.textContent = why || '';
  document.body.classList.toggle('stale', !!why);
}

// ---- charts -----------------------------------------------------------------------------
function makeCharts() {
  if (!LC) { $('#chart-missing').hidden = false; $('#chart').hidden = true; return null; }
  const opts = { autoSize: true, timeScale: { timeVisible: true, secondsVisible: true } };
  const main = LC.createChart($('#chart'), opts);
  const candles = main.addSeries(LC.CandlestickSeries, {
    upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false,
  });
  const markers = LC.createSeriesMarkers(candles, []);
  const prob = LC.createChart($('#prob-chart'), opts);
  const fair = prob.addSeries(LC.LineSeries, { color: '#4c9aff', lineWidth: 2, title: 'fair P(UP)' });
  const market = prob.addSeries(LC.LineSeries, { color: '#e0a100', lineWidth: 2, title: 'UP mid' });
  return { main, candles, markers, prob, fair, market, strike: null };
}

/// Our fills of the selected asset as chart markers: ▲ under the bar for UP, ▼ over it for DOWN.
function fillMarkers() {
  const minute = (ms) => Math.floor(ms / 60000) * 60;
  return state.fills.filter((o) => o.asset === state.asset && o.filled > 0)
    .map((o) => ({
      time: minute(o.ts_ms),
      position: o.outcome === 'up' ? 'belowBar' : 'aboveBar',
      color: o.outcome === 'up' ? '#26a69a' : '#ef5350',
      shape: o.outcome === 'up' ? 'arrowUp' : 'arrowDown',
      text: `${o.outcome.toUpperCase()} ${num(o.filled, 1)}@${num(o.avg_price, 3)}`,
    }))
    .sort((a, b) => a.time - b.time);
}
function drawFills() { if (state.charts) state.charts.markers.setMarkers(fillMarkers()); }

async function loadCandles(asset) {
  if (!state.charts) return;
  const r = await fetch(`/api/candles/${asset}?interval=1m&limit=240`);
  if (!r.ok) return;
  const j = await r.json();
  if (asset !== state.asset) return;
  state.charts.candles.setData(j.candles.map(({ time, open, high, low, close }) => ({ time, open, high, low, close })));
  $('#chart-title').textContent = `${j.symbol} 1m (${j.source}) · ▲▼ our fills`;
  drawStrike();
  drawFills();
}

function drawStrike() {
  const c = state.charts;
  const m = state.momentum[state.asset];
  if (!c || !m || m.strike === null) return;
  if (c.strike && c.strikeValue === m.strike) return;
  if (c.strike) c.candles.removePriceLine(c.strike);
  c.strike = c.candles.createPriceLine({ price: m.strike, color: '#e0a100', lineWidth: 1, lineStyle: 2, title: 'strike' });
  c.strikeValue = m.strike;
}

// ---- panels -----------------------------------------------------------------------------
function selectAsset(a) {
  state.asset = a;
  for (const b of document.querySelectorAll('#asset-tabs button')) b.classList.toggle('active', b.dataset.asset === a);
  if (state.charts) {
    if (state.charts.strike) state.charts.candles.removePriceLine(state.charts.strike);
    state.charts.strike = null;
    state.charts.fair.setData([]);
    state.charts.market.setData([]);
    state.probWindow = null;
  }
  loadCandles(a);
  renderBooks();
}

function renderTabs() {
  $('#asset-tabs').innerHTML = state.assets.map((a) => `<button data-asset="${esc(a)}">${esc(a)}</button>`).join('');
  for (const b of document.querySelectorAll('#asset-tabs button')) b.onclick = () => selectAsset(b.dataset.asset);
}

function renderMomentum() {
  $('#momentum tbody').innerHTML = state.assets.map((a) => {
    const m = state.momentum[a];
    if (!m) return `<tr><td>${esc(a)}</td><td id="spot-${esc(a)}">–</td><td colspan="9" class="muted">waiting for a decision</td></tr>`;
    const words = esc(decisionWords(m));
    const decision = m.decision === 'trade' ? `<span class="trade">${words}</span>` : `<span class="skip">${words}</span>`;
    return `<tr><td>${esc(a)}</td><td id="spot-${esc(a)}">${spotFmt(m.spot)}</td><td class="opt">${spotFmt(m.strike)}</td>
      <td class="opt">${signed(m.move_bps, 1)}</td><td class="opt">${dur(m.tau_s)}</td><td class="opt">${num(m.sigma_annual, 2)}</td>
      <td>${num(m.p_up, 3)}</td><td class="opt">${num(m.up_ask, 3)}</td><td class="opt">${num(m.down_ask, 3)}</td>
      <td class="opt">${signed(m.edge, 3)}</td><td class="decision key" data-code="${esc(m.skip_reason || 'trade')}">${decision}</td></tr>`;
  }).join('');
}

/// Five asks (best nearest the middle), the spread, five bids; each level with its size and
/// the cumulative size from the best price outwards. Prices at the market's tick.
function bookRows(b) {
  if (!b) return '<tr class="empty"><td colspan="3">no book</td></tr>';
  const d = tickDecimals(b.tick);
  const cum = (levels) => { let t = 0; return levels.slice(0, 5).map(([p, s]) => { t += s; return [p, s, t]; }); };
  const row = (cls) => ([p, s, c]) => `<tr><td class="${cls}">${num(p, d)}</td><td>${num(s, 0)}</td><td class="cum">${num(c, 0)}</td></tr>`;
  const asks = cum(b.asks).reverse().map(row('ask'));
  const bids = cum(b.bids).map(row('bid'));
  const spread = b.best_bid !== null && b.best_ask !== null
    ? `spread ${num(b.best_ask - b.best_bid, d)} · mid ${num(b.mid, d + 1)}` : 'one-sided book';
  return `<thead><tr><th>price</th><th>size</th><th>cum.</th></tr></thead>${asks.join('')}<tr class="spread"><td colspan="3">${spread}</td></tr>${bids.join('')}`;
}

function currentWindow(asset) {
  const now = Date.now() / 1000;
  const ws = state.windows.filter((w) => w.asset === asset);
  return ws.find((w) => w.start_s <= now && now < w.end_s) || ws[ws.length - 1];
}

function renderWindowTitle() {
  const w = currentWindow(state.asset);
  const el = $('#window-title');
  if (!w) { el.textContent = 'no window'; return; }
  const left = w.end_s - Date.now() / 1000;
  const when = left > 0 ? `ends in <b id="countdown">${dur(left)}</b> (${hhmm(w.end_s * 1000)})` : 'ended, settling';
  const html = `<a id="window-link" href="https://polymarket.com/event/${encodeURIComponent(w.slug)}" target="_blank" rel="noopener noreferrer">${esc(w.question || w.slug)}</a> · ${when}`;
  if (el.innerHTML !== html) el.innerHTML = html;
}

function renderBooks() {
  const w = currentWindow(state.asset);
  const key = (o) => (w ? `${state.asset}/${w.start_s}/${o}` : '');
  const up = state.books[key('up')] || (w && w.up);
  const down = state.books[key('down')] || (w && w.down);
  renderWindowTitle();
  $('#book-up').innerHTML = bookRows(up);
  $('#book-down').innerHTML = bookRows(down);
  $('#up-price').textContent = up && up.mid !== null ? num(up.mid, tickDecimals(up.tick) + 1) : '';
  $('#down-price').textContent = down && down.mid !== null ? num(down.mid, tickDecimals(down.tick) + 1) : '';
}

function renderPnl(p, acc) {
  if (!p) return;
  const rows = [['equity at mark', num(p.equity_at_mark)], ['return', signed(p.return_frac * 100, 2) + '%'],
    ["today's PnL", signed(p.today_pnl)], ['unrealized PnL', signed(p.unrealized_pnl)],
    ['win rate', p.win_rate === null ? '–' : `${pct(p.win_rate)} (${p.wins} W / ${p.losses} L)`]];
  if (acc) rows.push(['cash', num(acc.cash)], ['realized PnL', signed(acc.realized_pnl)], ['fees paid', num(acc.fees_paid)],
    ['open positions', acc.open_positions], ['start cash', num(acc.start_cash)]);
  $('#pnl').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  $('#trades tbody').innerHTML = p.trades.length === 0 ? '<tr class="empty"><td colspan="8">no trades yet</td></tr>'
    : p.trades.slice(0, 20).map((t) => `<tr><td>${hhmmss(t.ts_ms)}</td><td>${esc(t.asset)}</td><td>${esc(t.outcome.toUpperCase())}</td>
      <td class="opt">${num(t.shares, 1)}</td><td class="opt">${num(t.avg_price, 3)}</td><td class="opt">${num(t.cost)}</td>
      <td class="result ${t.result}">${t.result}</td><td>${signed(t.pnl)}</td></tr>`).join('');
}

function renderPositions(ps) {
  $('#positions tbody').innerHTML = ps.length === 0 ? '<tr class="empty"><td colspan="7">none</td></tr>'
    : ps.map((p) => `<tr><td>${esc(p.asset)}</td><td class="opt">${hhmm(p.window_start_s * 1000)}</td><td>${esc(p.outcome.toUpperCase())}</td>
      <td>${num(p.tokens, 1)}</td><td class="opt">${num(p.avg_price, 3)}</td><td class="opt">${num(p.mark, 3)}</td>
      <td>${signed(p.unrealized_pnl)}</td></tr>`).join('');
}

function renderOrders() {
  $('#orders tbody').innerHTML = state.orders.length === 0 ? '<tr class="empty"><td colspan="7">none</td></tr>'
    : state.orders.slice(0, 15).map((o) => `<tr><td class="opt">${o.intent_id}</td><td>${esc(o.asset)}</td><td>${esc(o.outcome.toUpperCase())}</td>
      <td>${esc(o.status)}</td><td>${num(o.filled, 1)}</td><td>${num(o.avg_price, 3)}</td><td class="opt">${num(o.fee, 3)}</td></tr>`).join('');
}

function addWhale(w) {
  const body = $('#whales tbody');
  body.querySelector('tr.empty')?.remove();
  // The whale poller stamps trades in seconds (`time_s`) and their notional in USDC.
  const ts = w.ts_ms ?? (w.time_s != null ? w.time_s * 1000 : null);
  const usdc = w.usdc ?? w.notional;
  body.insertAdjacentHTML('afterbegin', `<tr><td>${hhmmss(ts)}</td><td class="opt">${esc(w.wallet)}</td><td>${esc(w.asset)}</td>
    <td>${esc(w.side)} ${esc(w.outcome)}</td><td>${num(w.price, 3)}</td><td>${num(usdc, 0)}</td></tr>`);
  while (body.rows.length > 30) body.deleteRow(-1);
}

function renderLatency(l) {
  const us = (ns) => num(ns / 1000, 1);
  $('#latency tbody').innerHTML = Object.entries(l.stages).map(([s, v]) => `<tr><td>${esc(s)}</td><td class="opt">${v.count}</td>
    <td>${us(v.p50)}</td><td class="opt">${us(v.p90)}</td><td>${us(v.p99)}</td><td class="opt">${us(v.p999)}</td><td class="opt">${us(v.max)}</td></tr>`).join('');
}

function addAlert(a) {
  $('#alerts').insertAdjacentHTML('afterbegin',
    `<li class="${esc(a.level)}" data-kind="${esc(a.kind)}">${hhmmss(a.ts_ms)} · ${esc(a.kind.replace(/_/g, ' '))} · ${esc(a.message)}</li>`);
  const list = $('#alerts');
  while (list.children.length > 100) list.lastElementChild.remove();
}

async function refreshSlow() {
  const [acc, markets] = await Promise.all([
    fetch('/api/paper-trading/account').then((r) => r.json()), fetch('/api/markets-15m').then((r) => r.json())]);
  renderPositions(acc.positions);
  renderPnl(acc.pnl, acc.account);
  state.windows = markets.windows;
  renderBooks();
}

// ---- stream -----------------------------------------------------------------------------
const handlers = {
  init(d) {
    state.assets = d.assets;
    state.windowS = d.window_s;
    state.windows = d.windows;
    state.orders = d.orders;
    state.fills = d.orders.slice();
    for (const m of d.momentum) state.momentum[m.asset] = m;
    state.status = d.status;
    renderStatus();
    renderTabs();
    if (!state.asset || !state.assets.includes(state.asset)) selectAsset(state.assets[0]);
    else selectAsset(state.asset);
    renderMomentum();
    renderPositions(d.positions);
    renderOrders();
    renderLatency(d.latency);
    $('#whales tbody').innerHTML = '<tr class="empty"><td colspan="6">none yet</td></tr>';
    for (const w of d.whale_trades.slice().reverse()) addWhale(w);
    $('#alerts').innerHTML = '';
    for (const a of d.alerts.slice().reverse()) addAlert(a);
    refreshSlow();
  },
  status(d) { state.status = d; renderStatus(); },
  candle(d) {
    if (d.asset === state.asset && state.charts) {
      const { time, open, high, low, close } = d;
      state.charts.candles.update({ time, open, high, low, close });
    }
  },
  trade(d) {
    const cell = document.getElementById(`spot-${d.asset}`);
    if (cell) cell.textContent = spotFmt(d.price);
  },
  orderbook(d) {
    state.books[`${d.asset}/${d.window_start_s}/${d.outcome}`] = d;
    if (d.asset === state.asset) renderBooks();
  },
  momentum(d) {
    state.momentum[d.asset] = d;
    renderMomentum();
    if (d.asset === state.asset && state.charts) {
      drawStrike();
      if (state.probWindow !== d.window_start_s) {
        state.probWindow = d.window_start_s;
        state.charts.fair.setData([]);
        state.charts.market.setData([]);
      }
      const time = Math.floor(d.ts_ms / 1000);
      if (d.p_up !== null) state.charts.fair.update({ time, value: d.p_up });
      const w = currentWindow(d.asset);
      const up = w && state.books[`${d.asset}/${w.start_s}/up`];
      if (up && up.mid !== null) state.charts.market.update({ time, value: up.mid });
    }
  },
  paper_signal(d) {
    state.orders.unshift(d);
    state.orders.length = Math.min(state.orders.length, 50);
    state.fills.push(d);
    if (state.fills.length > 500) state.fills.shift();
    renderOrders();
    if (d.asset === state.asset) drawFills();
  },
  paper_account() {
    // Accounts change with every fill: refresh the P&L at most once a second.
    if (state.pnlTimer) return;
    state.pnlTimer = setTimeout(() => { state.pnlTimer = null; refreshSlow(); }, 1000);
  },
  whale_trade(d) { addWhale(d); },
  live_order() { refreshLive(); },
  live_alert(d) { addAlert(d); },
  latency(d) { renderLatency(d); },
};

let backoff = 500;
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  state.ws = ws;
  const conn = $('#conn');
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    state.lastMsgMs = Date.now();
    if (m.type === 'init') {
      // Live only once the server has spoken: an open socket that says nothing is not live.
      backoff = 500;
      state.connected = true;
      conn.textContent = 'live';
      conn.className = 'badge on';
    }
    const h = handlers[m.type];
    if (h) h(m.data);
    renderStale();
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    state.connected = false;
    conn.textContent = 'reconnecting…';
    conn.className = 'badge off';
    renderStale();
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 5000);
  };
}

window.cassandraDash = { state, handlers, fillMarkers, bookRows, decisionWords, tickDecimals };
applyTheme(localStorage.getItem('theme') || 'dark');
state.charts = makeCharts();
applyTheme(document.documentElement.dataset.theme);
connect();
refreshLive();
setInterval(() => { renderStale(); renderWindowTitle(); }, 1000);
setInterval(refreshSlow, 3000);
setInterval(refreshLive, 10000);
