// Browser test of the dashboard: headless Debian Chromium driven by playwright-core (which never
// downloads a browser). Usage: node tests/browser.mjs BASE_URL API_KEY SCREENSHOT_PATH
// Loads the dashboard from a running `cassandra demo`, checks live prices update, toggles the
// theme, flips the kill switch with the key (and back), and saves a screenshot. Exits 0 on
// success, 1 on failure, 77 (skip) when Chromium or playwright-core is missing.

import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, key, shot] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !key || !shot) {
  console.error('usage: node tests/browser.mjs BASE_URL API_KEY SCREENSHOT_PATH');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`SKIP: ${CHROMIUM} not found (apt-get install chromium)`);
  process.exit(77);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error(`SKIP: playwright-core not installed (npm ci in dashboard/): ${e.message}`);
  process.exit(77);
}

const profile = mkdtempSync(join(tmpdir(), 'cassandra-chromium-'));
// A fresh --user-data-dir: playwright passes `profile` as that flag.
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1400, height: 1500 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const fail = async (msg) => {
  console.error(`FAIL: ${msg}`);
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(1);
};
const check = (cond, msg) => (cond ? console.log(`ok: ${msg}`) : fail(msg));

try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });

  await page.waitForSelector('#conn.on', { timeout: 15000 });
  await check(true, 'WebSocket connected');
  await page.waitForFunction(() => /\d/.test(document.getElementById('spot-BTC')?.textContent || ''), null, { timeout: 20000 });
  const first = await page.textContent('#spot-BTC');
  await page.waitForFunction((p) => {
    const t = document.getElementById('spot-BTC')?.textContent;
    return t && /\d/.test(t) && t !== p;
  }, first, { timeout: 15000 });
  const second = await page.textContent('#spot-BTC');
  await check(first !== second, `live BTC price updates (${first} → ${second})`);
  await check(await page.evaluate(() => !!window.LightweightCharts), 'chart library loaded from the binary');
  await page.waitForFunction(() => document.querySelectorAll('#book-up td.ask, #book-up td.bid').length > 0, null, { timeout: 15000 });
  await check(true, 'Polymarket UP book shown');

  const theme0 = await page.getAttribute('html', 'data-theme');
  await page.click('#theme-toggle');
  const theme1 = await page.getAttribute('html', 'data-theme');
  await check(theme0 !== theme1, `theme toggles (${theme0} → ${theme1})`);

  const kill0 = (await page.textContent('#kill-state')).trim();
  await page.click('#kill-btn');
  await page.waitForSelector('#key-dialog[open]', { timeout: 5000 });
  await page.fill('#key-input', key);
  await page.click('#key-save');
  await page.waitForFunction(() => document.getElementById('kill-state').textContent === 'ON', null, { timeout: 5000 });
  await check(kill0 === 'off', 'kill switch flipped ON with the key');
  const health = await page.evaluate(async () => (await fetch('/health')).json());
  await check(health.kill_switch.active === true, 'the server reports the kill switch on');
  await page.waitForTimeout(1500); // let the alert and a few more updates arrive
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  await page.click('#kill-btn');
  await page.waitForFunction(() => document.getElementById('kill-state').textContent === 'off', null, { timeout: 5000 });
  await check(true, 'kill switch flipped back off');

  await check(errors.length === 0, `no page errors ${JSON.stringify(errors)}`);
  await check(external.length === 0, `no request left the machine ${JSON.stringify(external)}`);
} catch (e) {
  await fail(e.stack || String(e));
}
await browser.close();
rmSync(profile, { recursive: true, force: true });
console.log('browser test passed');
