// Cassandra dashboard: one ES module, no build step. Reads /ws (init + live messages) and a
// few REST endpoints; the protected controls send the API key kept in sessionStorage.

const $ = (sel) => document.querySelector(sel);
const LC = window.LightweightCharts;
const state = {
  assets: [], asset: null, windowS: 900, windows: [], momentum: {}, books: {},
  kill: false, mode: null, orders: [], charts: null, probWindow: null,
};

// ---- formatting -------------------------------------------------------------------------
const num = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));
const spotFmt = (v) => (v === null || v === undefined ? '–' : v >= 100 ? num(v, 2) : num(v, 4));
const signed = (v, d = 2) => `<span class="${v >= 0 ? 'pos' : 'neg'}">${num(v, d)}</span>`;
const hhmmss = (ms) => new Date(ms).toLocaleTimeString();
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

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

// ---- API key and protected calls ---------------------------------------------------------
function notice(text) {
  const n = $('#notice');
  n.textContent = text;
  n.hidden = !text;
}
function askKey() {
  return new Promise((resolve) => {
    const d = $('#key-dialog');
    $('#key-input').value = sessionStorage.getItem('apiKey') || '';
    d.onclose = () => {
      if (d.returnValue === 'ok' && $('#key-input').value) {
        sessionStorage.setItem('apiKey', $('#key-input').value);
        resolve(true);
      } else resolve(false);
    };
    d.showModal();
  });
}
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
  const j = await protectedCall('POST', '/api/live-trading/kill-switch', { active, reason: 'dashboard' });
  if (j) setKill(j.active);
};
$('#mode-select').onchange = async (e) => {
  const mode = e.target.value;
  e.target.value = '';
  if (!mode) return;
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
      ['orders sent', j.orders.sent], ['rejected', j.orders.rejected]]
    : [['status', `${r.status}: ${j.error || ''}`]];
  if (r.ok && !j.live_available) rows.push(['note', j.live_unavailable_reason]);
  $('#live-account').innerHTML = rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
}

// ---- charts -----------------------------------------------------------------------------
function makeCharts() {
  if (!LC) { $('#chart-missing').hidden = false; return null; }
  const opts = { autoSize: true, timeScale: { timeVisible: true, secondsVisible: true } };
  const main = LC.createChart($('#chart'), opts);
  const candles = main.addSeries(LC.CandlestickSeries, {
    upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false,
  });
  const prob = LC.createChart($('#prob-chart'), opts);
  const fair = prob.addSeries(LC.LineSeries, { color: '#4c9aff', lineWidth: 2, title: 'fair P(UP)' });
  const market = prob.addSeries(LC.LineSeries, { color: '#e0a100', lineWidth: 2, title: 'UP mid' });
  return { main, candles, prob, fair, market, strike: null };
}

async function loadCandles(asset) {
  if (!state.charts) return;
  const r = await fetch(`/api/candles/${asset}?interval=1m&limit=240`);
  if (!r.ok) return;
  const j = await r.json();
  if (asset !== state.asset) return;
  state.charts.candles.setData(j.candles.map(({ time, open, high, low, close }) => ({ time, open, high, low, close })));
  $('#chart-title').textContent = `${j.symbol} 1m (${j.source})`;
  drawStrike();
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
    const decision = m.decision === 'trade'
      ? `<span class="trade">trade ${esc(m.side)}</span>` : `<span class="skip">${esc(m.skip_reason)}</span>`;
    return `<tr><td>${esc(a)}</td><td id="spot-${esc(a)}">${spotFmt(m.spot)}</td><td>${spotFmt(m.strike)}</td>
      <td>${signed(m.move_bps, 1)}</td><td>${num(m.tau_s, 0)}</td><td>${num(m.sigma_annual, 2)}</td>
      <td>${num(m.p_up, 3)}</td><td>${num(m.up_ask, 2)}</td><td>${num(m.down_ask, 2)}</td>
      <td>${signed(m.edge, 3)}</td><td>${decision}</td></tr>`;
  }).join('');
}

function bookRows(b) {
  if (!b) return '<tr class="empty"><td colspan="2">no book</td></tr>';
  const asks = b.asks.slice(0, 5).reverse().map(([p, s]) => `<tr><td class="ask">${num(p, 2)}</td><td>${num(s, 0)}</td></tr>`);
  const bids = b.bids.slice(0, 5).map(([p, s]) => `<tr><td class="bid">${num(p, 2)}</td><td>${num(s, 0)}</td></tr>`);
  return asks.join('') + bids.join('');
}

function currentWindow(asset) {
  const now = Date.now() / 1000;
  const ws = state.windows.filter((w) => w.asset === asset);
  return ws.find((w) => w.start_s <= now && now < w.end_s) || ws[ws.length - 1];
}

function renderBooks() {
  const w = currentWindow(state.asset);
  const key = (o) => (w ? `${state.asset}/${w.start_s}/${o}` : '');
  const up = state.books[key('up')] || (w && w.up);
  const down = state.books[key('down')] || (w && w.down);
  $('#window-title').textContent = w ? `${w.slug} · ends ${hhmmss(w.end_s * 1000)}` : 'no window';
  $('#book-up').innerHTML = bookRows(up);
  $('#book-down').innerHTML = bookRows(down);
  $('#up-price').textContent = up && up.mid !== null ? num(up.mid, 3) : '';
  $('#down-price').textContent = down && down.mid !== null ? num(down.mid, 3) : '';
}

function renderAccount(a) {
  if (!a) return;
  const rows = [['cash', num(a.cash)], ['equity at cost', num(a.equity_at_cost)], ['realized PnL', signed(a.realized_pnl)],
    ['fees paid', num(a.fees_paid)], ['open positions', a.open_positions], ['settled', a.settled],
    ['wins / losses', `${a.wins} / ${a.losses}`]];
  $('#paper-account').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
}

function renderPositions(ps) {
  $('#positions tbody').innerHTML = ps.length === 0 ? '<tr class="empty"><td colspan="7">none</td></tr>'
    : ps.map((p) => `<tr><td>${esc(p.asset)}</td><td>${hhmmss(p.window_start_s * 1000)}</td><td>${esc(p.outcome)}</td>
      <td>${num(p.tokens, 1)}</td><td>${num(p.avg_price, 3)}</td><td>${num(p.mark, 2)}</td>
      <td>${p.unrealized_pnl === null ? '–' : signed(p.unrealized_pnl)}</td></tr>`).join('');
}

function renderOrders() {
  $('#orders tbody').innerHTML = state.orders.length === 0 ? '<tr class="empty"><td colspan="7">none</td></tr>'
    : state.orders.slice(0, 15).map((o) => `<tr><td>${o.intent_id}</td><td>${esc(o.asset)}</td><td>${esc(o.outcome)}</td>
      <td>${esc(o.status)}</td><td>${num(o.filled, 1)}</td><td>${num(o.avg_price, 3)}</td><td>${num(o.fee, 3)}</td></tr>`).join('');
}

function addWhale(w) {
  const body = $('#whales tbody');
  body.querySelector('tr.empty')?.remove();
  // The whale poller stamps trades in seconds (`time_s`) and their notional in USDC.
  const ts = w.ts_ms ?? (w.time_s != null ? w.time_s * 1000 : null);
  const usdc = w.usdc ?? w.notional;
  body.insertAdjacentHTML('afterbegin', `<tr><td>${hhmmss(ts)}</td><td>${esc(w.wallet)}</td><td>${esc(w.asset)}</td>
    <td>${esc(w.side)} ${esc(w.outcome)}</td><td>${num(w.price, 2)}</td><td>${num(usdc, 0)}</td></tr>`);
  while (body.rows.length > 30) body.deleteRow(-1);
}

function renderLatency(l) {
  const us = (ns) => num(ns / 1000, 1);
  $('#latency tbody').innerHTML = Object.entries(l.stages).map(([s, v]) => `<tr><td>${esc(s)}</td><td>${v.count}</td>
    <td>${us(v.p50)}</td><td>${us(v.p90)}</td><td>${us(v.p99)}</td><td>${us(v.p999)}</td><td>${us(v.max)}</td></tr>`).join('');
}

function addAlert(a) {
  $('#alerts').insertAdjacentHTML('afterbegin',
    `<li class="${esc(a.level)}">${hhmmss(a.ts_ms)} · ${esc(a.kind)} · ${esc(a.message)}</li>`);
  if (a.kind === 'kill_switch') setKill(/ON/.test(a.message));
}

async function refreshSlow() {
  const [acc, markets] = await Promise.all([
    fetch('/api/paper-trading/account').then((r) => r.json()), fetch('/api/markets-15m').then((r) => r.json())]);
  renderPositions(acc.positions);
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
    for (const m of d.momentum) state.momentum[m.asset] = m;
    setKill(d.kill_switch.active);
    setMode(d.mode);
    renderTabs();
    if (!state.asset || !state.assets.includes(state.asset)) selectAsset(state.assets[0]);
    else selectAsset(state.asset);
    renderMomentum();
    renderAccount(d.account);
    renderPositions(d.positions);
    renderOrders();
    renderLatency(d.latency);
    $('#whales tbody').innerHTML = '<tr class="empty"><td colspan="6">none yet</td></tr>';
    for (const w of d.whale_trades.slice().reverse()) addWhale(w);
    $('#alerts').innerHTML = '';
    for (const a of d.alerts.slice().reverse()) addAlert(a);
  },
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
  paper_signal(d) { state.orders.unshift(d); state.orders.length = Math.min(state.orders.length, 50); renderOrders(); },
  paper_account(d) { renderAccount(d); },
  whale_trade(d) { addWhale(d); },
  live_order(d) { addAlert({ ts_ms: d.ts_ms, level: 'info', kind: `live_order ${d.status}`, message: `${d.asset} ${d.outcome} ${d.size}@${d.price}` }); },
  live_alert(d) { addAlert(d); },
  latency(d) { renderLatency(d); },
};

let backoff = 500;
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  const conn = $('#conn');
  ws.onopen = () => { backoff = 500; conn.textContent = 'live'; conn.className = 'badge on'; };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    const h = handlers[m.type];
    if (h) h(m.data);
  };
  ws.onclose = () => {
    conn.textContent = 'reconnecting…';
    conn.className = 'badge off';
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 5000);
  };
}

applyTheme(localStorage.getItem('theme') || 'dark');
state.charts = makeCharts();
applyTheme(document.documentElement.dataset.theme);
connect();
refreshLive();
setInterval(refreshSlow, 3000);
setInterval(refreshLive, 10000);
