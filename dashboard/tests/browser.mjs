// Browser test of the dashboard: headless Debian Chromium driven by playwright-core (which never
// downloads a browser). Usage: node tests/browser.mjs BASE_URL API_KEY SCREENSHOT_DIR
// Against a running `cassandra demo` (started by tests/api_browser.rs), at a desktop size and a
// phone size: live prices, books at the market's tick with spread and cumulative size, decisions
// in words, the window's name, countdown and link, the P&L view and our fills on the chart,
// state pushed over the stream (a kill switch set from outside the page shows at once, with the
// halted banner and its reason), confirmation before resuming or switching mode, `live` disabled,
// alerts for fills and control changes, the stale-data overlay when the stream dies, and a phone
// layout whose tables fit. Screenshots go to SCREENSHOT_DIR. Exits 0 on success, 1 on failure,
// 77 (skip) when Chromium or playwright-core is missing, unless CASSANDRA_CI_ALONE=1 (CI), where a
// missing prerequisite is a failure.

import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, key, shots] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MUST_RUN = process.env.CASSANDRA_CI_ALONE === '1';
if (!base || !key || !shots) {
  console.error('usage: node tests/browser.mjs BASE_URL API_KEY SCREENSHOT_DIR');
  process.exit(2);
}
const missing = (why) => {
  console.error(`${MUST_RUN ? 'FAIL (CASSANDRA_CI_ALONE=1: CI must run the browser test)' : 'SKIP'}: ${why}`);
  process.exit(MUST_RUN ? 1 : 77);
};
if (!existsSync(CHROMIUM)) missing(`${CHROMIUM} not found (apt-get install chromium)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  missing(`playwright-core not installed (npm ci in dashboard/): ${e.message}`);
}

const profile = mkdtempSync(join(tmpdir(), 'cassandra-chromium-'));
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const cleanup = async () => { await browser.close(); rmSync(profile, { recursive: true, force: true }); };
const fail = async (msg) => {
  console.error(`FAIL: ${msg}`);
  await cleanup();
  process.exit(1);
};
const check = async (cond, msg) => (cond ? console.log(`ok: ${msg}`) : fail(msg));

/// A control call made from outside the page, as curl, another tab or a script would.
async function api(method, path, body) {
  const r = await fetch(`${base}${path}`, {
    method, headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

async function openPage(viewport, isMobile) {
  const ctx = await browser.newContext({ viewport, isMobile, hasTouch: isMobile });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#conn.on', { timeout: 15000 });
  return { ctx, page, errors, external };
}

/// Decimals shown in a price cell.
const decimals = (t) => (t.includes('.') ? t.split('.')[1].length : 0);

async function checkBooks(page, label) {
  await page.waitForFunction(() => document.querySelectorAll('#book-up td.ask, #book-up td.bid').length > 0, null, { timeout: 15000 });
  const b = await page.evaluate(() => {
    const s = window.cassandraDash.state;
    const w = s.windows.find((x) => x.asset === s.asset && x.start_s <= Date.now() / 1000 && Date.now() / 1000 < x.end_s);
    return {
      tick: (s.books[`${s.asset}/${w?.start_s}/up`] || w?.up || {}).tick,
      asks: [...document.querySelectorAll('#book-up td.ask')].map((e) => e.textContent),
      bids: [...document.querySelectorAll('#book-up td.bid')].map((e) => e.textContent),
      cum: [...document.querySelectorAll('#book-up td.cum')].map((e) => e.textContent),
      spread: document.querySelector('#book-up tr.spread')?.textContent || '',
    };
  });
  const want = Math.max(0, Math.ceil(-Math.log10(b.tick) - 1e-9));
  await check([...b.asks, ...b.bids].every((t) => decimals(t) === want),
    `${label}: book prices at the market's tick ${b.tick} (${want} decimals): ${b.asks.join(' ')} / ${b.bids.join(' ')}`);
  await check(/spread \d/.test(b.spread) && b.cum.length === b.asks.length + b.bids.length,
    `${label}: spread and cumulative size shown (${b.spread})`);
}

try {
  // ---------------- desktop ----------------
  const { page, errors, external } = await openPage({ width: 1400, height: 1500 }, false);
  await check(true, 'desktop: stream connected');
  await page.waitForFunction(() => /\d/.test(document.getElementById('spot-BTC')?.textContent || ''), null, { timeout: 20000 });
  const first = await page.textContent('#spot-BTC');
  await page.waitForFunction((p) => {
    const t = document.getElementById('spot-BTC')?.textContent;
    return t && /\d/.test(t) && t !== p;
  }, first, { timeout: 15000 });
  await check(first !== await page.textContent('#spot-BTC'), `live BTC price updates (${first})`);
  await check(await page.evaluate(() => !!window.LightweightCharts && document.querySelector('#chart canvas') !== null
    && document.getElementById('chart-missing').hidden), 'chart library served by the binary and drawing');
  await checkBooks(page, 'desktop');

  // A book near the extremes, at a 0.001 tick, through the same handler the stream uses: ten
  // distinct levels, asks above bids (with 2 decimals they all read 0.99 and look crossed).
  const extreme = await page.evaluate(() => {
    const html = window.cassandraDash.bookRows({
      tick: 0.001, best_bid: 0.990, best_ask: 0.991, mid: 0.9905,
      asks: [[0.991, 120], [0.992, 80], [0.993, 50], [0.994, 40], [0.995, 900]],
      bids: [[0.990, 100], [0.989, 60], [0.988, 30], [0.987, 20], [0.986, 10]],
    });
    const t = document.createElement('table');
    t.innerHTML = html;
    return { asks: [...t.querySelectorAll('td.ask')].map((e) => e.textContent), bids: [...t.querySelectorAll('td.bid')].map((e) => e.textContent),
      cum: [...t.querySelectorAll('td.cum')].map((e) => e.textContent), spread: t.querySelector('tr.spread').textContent };
  });
  const prices = [...extreme.asks, ...extreme.bids];
  await check(new Set(prices).size === 10 && Math.min(...extreme.asks.map(Number)) > Math.max(...extreme.bids.map(Number)),
    `an extreme book at tick 0.001 reads ${prices.join(' ')}: ten distinct levels, not crossed`);
  await check(extreme.spread.startsWith('spread 0.001') && extreme.cum.join(' ') === '1190 290 250 200 120 100 160 190 210 220',
    `its spread (${extreme.spread}) and cumulative sizes (${extreme.cum.join(' ')})`);

  // Decisions in words with their numbers, never a raw code.
  await page.waitForFunction(() => document.querySelectorAll('#momentum td.decision').length >= 2, null, { timeout: 15000 });
  const decisions = await page.$$eval('#momentum td.decision', (tds) => tds.map((t) => t.textContent.trim()));
  await check(decisions.every((d) => !/_/.test(d) && /^[A-Z][a-z]* [a-z]/.test(d)), `decisions in words: ${JSON.stringify(decisions)}`);
  const words = await page.evaluate(() => window.cassandraDash.decisionWords({ decision: 'skip', skip_reason: 'extreme_probability', p_up: 0.991, side: 'up', up_ask: 0.99, down_ask: 0.01, edge: 0, tau_s: 10, move_bps: 3 }));
  await check(words.includes('0.991') && !words.includes('_'), `extreme_probability reads "${words}"`);

  // The window: name, countdown, link.
  const link = await page.getAttribute('#window-link', 'href');
  const cd0 = await page.textContent('#countdown');
  await page.waitForFunction((c) => document.getElementById('countdown')?.textContent !== c, cd0, { timeout: 5000 });
  const title = await page.textContent('#window-title');
  await check(/^https:\/\/polymarket\.com\/event\/[a-z0-9-]+$/.test(link) && /ends in \d+:\d\d/.test(title),
    `window named with countdown and link: "${title}" → ${link}`);

  // P&L and fills (the demo trades eagerly).
  await page.waitForFunction(() => /equity at mark/.test(document.getElementById('pnl').textContent)
    && document.querySelectorAll('#trades tbody tr:not(.empty)').length > 0, null, { timeout: 30000 });
  const pnl = await page.textContent('#pnl');
  await check(['equity at mark', 'return', "today's PnL", 'win rate'].every((k) => pnl.includes(k)) && /\d+\.\d\d/.test(pnl),
    `P&L view: ${pnl.replace(/\s+/g, ' ').slice(0, 160)}`);
  await page.waitForFunction(() => window.cassandraDash.fillMarkers().length > 0, null, { timeout: 20000 });
  await check(true, `our fills marked on the price chart (${await page.evaluate(() => window.cassandraDash.fillMarkers().length)} markers)`);
  await page.waitForSelector('#alerts li[data-kind="order_filled"]', { timeout: 15000 });
  await check(true, 'the alerts panel receives fills');

  // `live` cannot be chosen in a process without the live path.
  await check(await page.evaluate(() => document.querySelector('#mode-select option[value="live"]').disabled), '`live` disabled');

  // The theme.
  const theme0 = await page.getAttribute('html', 'data-theme');
  await page.click('#theme-toggle');
  await check(theme0 !== await page.getAttribute('html', 'data-theme'), 'theme toggles');

  // A kill switch set from outside the page shows at once: state, banner with the reason, alert.
  // The banner follows the server: hidden while trading, else naming what halted it (on a busy
  // machine a feed can stall long enough for the stale-feed breaker, a real halt).
  const realHalt = await page.evaluate(() => window.cassandraDash.state.status.halt_reason);
  await check(realHalt === null ? await page.isHidden('#halted') : (await page.textContent('#halted')).includes(realHalt),
    `the halted banner matches the server (${realHalt === null ? 'trading' : `halted: ${realHalt}`})`);
  const k = await api('POST', '/api/live-trading/kill-switch', { active: true, reason: 'browser test from curl' });
  await check(k.status === 200 && k.body.active === true, 'kill switch set through the API, outside the page');
  await page.waitForFunction(() => document.getElementById('kill-state').textContent === 'ON'
    && !document.getElementById('halted').hidden, null, { timeout: 5000 });
  const banner = await page.textContent('#halted');
  await check(/HALTED/.test(banner) && banner.includes('browser test from curl'), `halted banner without reload: "${banner}"`);
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts li[data-kind="kill_switch"]')]
    .some((li) => li.textContent.includes('browser test from curl')), null, { timeout: 5000 });
  await check(true, 'the kill alert reached the panel');
  await page.screenshot({ path: join(shots, 'dashboard-desktop-halted.png'), fullPage: true });

  // Resuming asks first: cancel keeps it on, confirm (then the key) clears it.
  await page.click('#kill-btn');
  await page.waitForSelector('#confirm-dialog[open]', { timeout: 5000 });
  await check(/Resume trading/.test(await page.textContent('#confirm-text')), 'resuming asks for confirmation');
  await page.click('#confirm-cancel');
  await page.waitForTimeout(600);
  await check((await api('GET', '/health')).body.kill_switch.active === true, 'cancel leaves the kill switch on');
  await page.click('#kill-btn');
  await page.waitForSelector('#confirm-dialog[open]', { timeout: 5000 });
  await page.click('#confirm-ok');
  await page.waitForSelector('#key-dialog[open]', { timeout: 5000 });
  await page.fill('#key-input', key);
  await page.click('#key-save');
  await page.waitForFunction(() => document.getElementById('kill-state').textContent === 'off'
    && !/kill switch/.test(document.getElementById('halted').textContent), null, { timeout: 5000 });
  await check((await api('GET', '/health')).body.kill_switch.active === false, 'confirm resumes trading; the kill switch leaves the banner');

  // Switching mode asks first; a change from outside shows without reload.
  await page.selectOption('#mode-select', 'shadow');
  await page.waitForSelector('#confirm-dialog[open]', { timeout: 5000 });
  await check(/from paper to shadow/.test(await page.textContent('#confirm-text')), 'switching mode asks for confirmation');
  await page.click('#confirm-ok');
  await page.waitForFunction(() => document.getElementById('mode').textContent === 'shadow', null, { timeout: 5000 });
  await check((await api('GET', '/health')).body.mode === 'shadow', 'mode switched to shadow after confirming');
  await api('POST', '/api/live-trading/mode', { mode: 'paper' });
  await page.waitForFunction(() => document.getElementById('mode').textContent === 'paper', null, { timeout: 5000 });
  await check(true, 'a mode change from outside the page shows without reload');
  const modeAlert = await page.waitForSelector('#alerts li[data-kind="mode_change"]', { timeout: 5000, state: 'attached' })
    .then(() => true, () => false);
  await check(modeAlert, `mode changes reach the alerts panel ${modeAlert ? '' : await page.$$eval('#alerts li', (l) => l.slice(0, 8).map((e) => e.textContent))}`);

  // A breaker and a stale feed as the stream reports them: banner and overlay.
  // The page is read in the same task as the injection: the next real status (pushed every
  // second) would put back the server's view, and on a busy machine the test's next round trip
  // to the page can take longer than that.
  const injected = await page.evaluate(() => {
    const s = structuredClone(window.cassandraDash.state.status);
    s.server_time_ms = 0; // marks this one as injected
    s.halted = true;
    s.halt_reason = 'breaker consecutive_losses: 3 losing windows in a row reached the limit 3';
    s.breakers = [{ kind: 'consecutive_losses', message: s.halt_reason, since_ms: Date.now(), until_ms: null }];
    s.feeds[0].fresh = false;
    s.feeds[0].last_frame_age_ms = 9000;
    window.cassandraDash.handlers.status(s);
    const halted = document.getElementById('halted');
    const stale = document.getElementById('stale');
    return { halted: halted.hidden ? '' : halted.textContent, staleHidden: stale.hidden, stale: stale.textContent };
  });
  await check(/consecutive_losses/.test(injected.halted) && !injected.staleHidden && /binance/.test(injected.stale),
    `a breaker shows the halted banner; a stale feed the overlay (${JSON.stringify(injected)})`);
  // The next real status (within a second) puts back the server's view.
  await page.waitForFunction(() => {
    const s = window.cassandraDash.state.status;
    const staleFeed = s.feeds.some((f) => f.prices && !f.fresh);
    return s.server_time_ms !== 0 && document.getElementById('halted').hidden === !s.halted
      && document.getElementById('stale').hidden === !staleFeed;
  }, null, { timeout: 5000 });
  await check(true, 'the next pushed status puts back the server\'s view');

  // The stream dies: the overlay says prices are not live until it is back.
  // While `block` holds, a reconnect reaches a socket that never speaks; then the server again.
  let block = true;
  await page.routeWebSocket(/\/ws$/, (ws) => { if (!block) ws.connectToServer(); });
  await page.evaluate(() => window.cassandraDash.state.ws.close());
  await page.waitForFunction(() => !document.getElementById('stale').hidden && document.body.classList.contains('stale'), null, { timeout: 5000 });
  await check(/not live/.test(await page.textContent('#stale')), `stale overlay when the stream drops: "${await page.textContent('#stale')}"`);
  await page.waitForTimeout(1500);
  await check(await page.textContent('#conn') !== 'live', 'a reconnected socket that sends nothing is not shown as live');
  await page.screenshot({ path: join(shots, 'dashboard-desktop-stale.png'), fullPage: true });
  block = false;
  await page.evaluate(() => window.cassandraDash.state.ws.close());
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live'
    && !/disconnected|No data/.test(document.getElementById('stale').textContent), null, { timeout: 10000 });
  await check(true, `stream back: no disconnection overlay (${await page.textContent('#stale') || 'no overlay'})`);
  const wideTables = await page.evaluate(() => [...document.querySelectorAll('section.panel table')]
    .filter((t) => t.getBoundingClientRect().width > t.closest('section').clientWidth + 1).map((t) => t.id));
  await check(wideTables.length === 0, `desktop: every table fits its panel ${JSON.stringify(wideTables)}`);
  await page.screenshot({ path: join(shots, 'dashboard-desktop.png'), fullPage: true });
  await check(errors.length === 0, `desktop: no page errors ${JSON.stringify(errors)}`);
  await check(external.length === 0, `desktop: no request left the machine ${JSON.stringify(external)}`);

  // ---------------- phone ----------------
  const phone = await openPage({ width: 390, height: 844 }, true);
  const p = phone.page;
  await p.waitForFunction(() => /\d/.test(document.getElementById('spot-BTC')?.textContent || ''), null, { timeout: 20000 });
  await checkBooks(p, 'phone');
  await p.waitForFunction(() => /equity at mark/.test(document.getElementById('pnl').textContent), null, { timeout: 15000 });
  const layout = await p.evaluate(() => ({
    pageWidth: document.documentElement.scrollWidth,
    overflowing: [...document.querySelectorAll('section.panel table')]
      .filter((t) => t.getBoundingClientRect().width > t.closest('section').clientWidth + 1)
      .map((t) => `${t.id} ${Math.round(t.getBoundingClientRect().width)}>${t.closest('section').clientWidth}`),
    pnlTop: document.getElementById('pnl-panel').getBoundingClientRect().top,
    keyColumns: [...document.querySelectorAll('#momentum th.key, #momentum td.decision, #positions th:last-child, #trades th:last-child')]
      .every((e) => e.offsetParent !== null && e.getBoundingClientRect().right <= window.innerWidth + 1),
  }));
  await check(layout.pageWidth <= 391, `phone: the page does not scroll sideways (${layout.pageWidth}px)`);
  await check(layout.overflowing.length === 0, `phone: every table fits its panel ${JSON.stringify(layout.overflowing)}`);
  await check(layout.pnlTop < 844, `phone: the account is on the first screen (top ${Math.round(layout.pnlTop)}px)`);
  await check(layout.keyColumns, 'phone: decision and PnL columns visible');
  await p.screenshot({ path: join(shots, 'dashboard-phone.png'), fullPage: true });
  await p.screenshot({ path: join(shots, 'dashboard-phone-first-screen.png') });
  await check(phone.errors.length === 0, `phone: no page errors ${JSON.stringify(phone.errors)}`);
  await check(phone.external.length === 0, 'phone: no request left the machine');
} catch (e) {
  await fail(e.stack || String(e));
}
await cleanup();
console.log('browser test passed');
