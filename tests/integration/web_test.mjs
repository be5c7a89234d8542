// The page in Debian's headless Chromium, driven by playwright-core, against
// the live sluiced and anvil that test_web.py started (its config file is
// argv[2]). The wallet is an injected EIP-1193 provider (window.ethereum)
// whose requests go to this script, which forwards them to anvil's unlocked
// dev accounts: a purchase is a real transaction. Any console error, page
// error or dialog fails the test. A screenshot of each page goes to the
// artifacts folder.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Interface, getAddress, ZeroHash } from 'ethers';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const A = cfg.accounts;
const DS = cfg.datasets;
// DESIGN.md 5: exactly these flags.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run'];
const t0 = Date.now();
let failures = 0;
let checks = 0;

const step = (m) => console.log(`[web_test ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${m}`);
function check(cond, msg) {
  checks++;
  if (!cond) {
    failures++;
    console.error(`FAIL [web_test]: ${msg}`);
    throw new Error(msg);
  }
}
const show = (v) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));
const eq = (got, want, what) => check(got === want, `${what}: expected ${show(want)}, got ${show(got)}`);

// --- anvil ---------------------------------------------------------------
let rpcId = 0;
async function rpc(method, params = []) {
  const r = await fetch(cfg.rpc, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }) });
  return r.json();
}
async function rpcOk(method, params) {
  const d = await rpc(method, params);
  if (d.error) throw new Error(`${method}: ${d.error.message}`);
  return d.result;
}
const mine = (n = 1) => rpcOk('anvil_mine', [`0x${n.toString(16)}`]);
const owed = async (who) => BigInt(await rpcOk('eth_call', [{ to: cfg.market,
  data: MARKET.encodeFunctionData('owed', [who]) }, 'latest']));
const MARKET = new Interface([
  'function purchase(bytes32,address,address,bytes32) payable',
  'function owed(address) view returns (uint256)',
]);

// Mine a block every `ms` while fn runs, so confirmations accrue.
async function mining(ms, fn) {
  let on = true;
  const loop = (async () => { while (on) { await new Promise((r) => setTimeout(r, ms)); if (on) await mine(1); } })();
  try { return await fn(); } finally { on = false; await loop; }
}

// --- the gateway, directly ---------------------------------------------------
async function gw(pathq, init) {
  const r = await fetch(new URL(pathq, cfg.url), init);
  return { status: r.status, headers: r.headers, body: await r.text() };
}

// --- the injected wallet -----------------------------------------------------
const wallet = {
  account: A[4], connected: false, chainId: cfg.chain_id,
  reject: new Set(), // methods to refuse with 4001
  calls: [],
};
async function walletRpc(source, method, params) {
  wallet.calls.push(method);
  const err = (code, message) => ({ error: { code, message } });
  if (wallet.reject.has(method)) return err(4001, 'User rejected the request.');
  switch (method) {
    case 'eth_requestAccounts':
      if (wallet.locked) return { result: [] };
      wallet.connected = true;
      return { result: [wallet.account.toLowerCase()] };
    case 'eth_accounts':
      return { result: wallet.connected ? [wallet.account.toLowerCase()] : [] };
    case 'eth_chainId':
      return { result: `0x${wallet.chainId.toString(16)}` };
    case 'net_version':
      return { result: String(wallet.chainId) };
    case 'wallet_switchEthereumChain': {
      wallet.chainId = Number(BigInt(params[0].chainId));
      const page = source.page;
      setTimeout(() => page.evaluate((id) => window.__walletEmit('chainChanged', id), params[0].chainId).catch(() => {}), 0);
      return { result: null };
    }
    case 'eth_sendTransaction': {
      const tx = { ...params[0] };
      if (getAddress(tx.from) !== getAddress(wallet.account)) return err(4100, 'from is not the connected account');
      delete tx.gasPrice;
      return rpc(method, [tx]);
    }
    case 'personal_sign':
      return rpc(method, params);
    default:
      return rpc(method, params);
  }
}

const INJECT = () => {
  const listeners = {};
  window.__walletEmit = (ev, arg) => (listeners[ev] || []).forEach((f) => f(arg));
  window.ethereum = {
    isTestWallet: true,
    async request({ method, params }) {
      const r = await window.__walletRpc(method, params || []);
      if (r.error) {
        const e = new Error(r.error.message);
        e.code = r.error.code;
        throw e;
      }
      return r.result;
    },
    on(ev, fn) { (listeners[ev] = listeners[ev] || []).push(fn); },
    removeListener(ev, fn) { listeners[ev] = (listeners[ev] || []).filter((f) => f !== fn); },
  };
};

// --- the browser ---------------------------------------------------------------
const browser = await chromium.launch({ executablePath: cfg.chromium, headless: false, args: FLAGS });
const problems = [];
const figures = [];
let shot = 0;

async function newPage({ withWallet = true, viewport = { width: 1280, height: 900 }, mobile = false } = {}) {
  const ctx = await browser.newContext({ viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1 });
  if (withWallet) {
    await ctx.exposeBinding('__walletRpc', walletRpc);
    await ctx.addInitScript(INJECT);
  }
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`a dialog opened: ${d.type()} ${d.message()}`); d.dismiss(); });
  return page;
}

async function snap(page, name) {
  const file = path.join(cfg.art, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  step(`  screenshot ${file}`);
}

function noProblems(what) {
  check(problems.length === 0, `${what}: ${problems.join('; ')}`);
}

const params = (page) => new URL(page.url()).searchParams;
const cardNames = (page) => page.$$eval('#cards .card h2', (l) => l.map((e) => e.textContent));
const ready = (page, v) => page.waitForSelector(`body[data-ready="${v}"]`);

async function gotoCatalogue(page, q) {
  await page.evaluate(() => { delete document.body.dataset.ready; }).catch(() => {});
  await page.goto(cfg.url + (q || ''));
  await ready(page, 'catalogue');
}

try {
  // ---------------------------------------------------------------------------
  step('headers: the page, its script and style carry the CSP; a favicon');
  {
    const r = await gw('/');
    eq(r.status, 200, 'GET /');
    const csp = r.headers.get('content-security-policy') || '';
    check(/script-src 'self'/.test(csp) && !/unsafe-inline|unsafe-eval/.test(csp) && /frame-ancestors 'none'/.test(csp),
      `the page's CSP is strict: ${csp}`);
    eq(r.headers.get('x-content-type-options'), 'nosniff', 'nosniff');
    check(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(r.body) && !/\son[a-z]+=/i.test(r.body) && !/style=/i.test(r.body),
      'index.html holds no inline script, handler or style');
    for (const f of ['app.js', 'fmt.js', 'api.js', 'wallet.js', 'account.js', 'style.css', 'favicon.svg', 'ethers.min.js', 'uPlot.esm.js', 'uPlot.min.css']) {
      eq((await gw(`/${f}`)).status, 200, `GET /${f}`);
    }
    let own = 0;
    for (const f of ['index.html', 'app.js', 'fmt.js', 'api.js', 'wallet.js', 'account.js', 'style.css']) {
      own += readFileSync(path.join('web', f)).length;
    }
    figures.push(`our own script and style: ${own} bytes (limit 102400)`);
    check(own < 100 * 1024, `our script and style are ${own} bytes, over 100 KiB`);
  }

  // ---------------------------------------------------------------------------
  step(`catalogue of ${cfg.seeded + 4} data-sets: first page, timed`);
  // Timed in a browser tab as a visitor has it: no test wallet injected
  // (Playwright's bindings cost time at each navigation), and a browser
  // that has already started (its first text layout reads the fonts).
  const visitor = await newPage({ withWallet: false });
  await visitor.goto('data:text/html,<p>warm up</p>');
  await gotoCatalogue(visitor);
  const timing = async () => visitor.evaluate(() => {
    const r = performance.getEntriesByType('resource');
    const api = r.find((x) => x.name.includes('/v1/datasets?'));
    const nav = performance.getEntriesByType('navigation')[0];
    return { ready: performance.getEntriesByName('sluice-catalogue-ready')[0].startTime,
      dcl: nav.domContentLoadedEventEnd, apiStart: api.startTime,
      apiServer: api.responseStart - api.requestStart };
  });
  const cold = await timing();
  writeFileSync(path.join(cfg.art, 'first-visit-timing.json'), JSON.stringify(await visitor.evaluate(() => ({
    nav: performance.getEntriesByType('navigation')[0].toJSON(),
    resources: performance.getEntriesByType('resource').map((x) => [x.name.replace(location.origin, ''), Math.round(x.startTime), Math.round(x.requestStart), Math.round(x.responseStart), Math.round(x.responseEnd)]) })), null, 1));
  await visitor.reload();
  await ready(visitor, 'catalogue');
  const warm = await timing();
  const words = (x) => `${x.ready.toFixed(0)} ms (modules run at ${x.dcl.toFixed(0)} ms, catalogue asked at ${x.apiStart.toFixed(0)} ms, answered in ${x.apiServer.toFixed(1)} ms from request to first byte)`;
  figures.push(`first page usable, ${cfg.seeded + 4} data-sets (target < 1000 ms): first visit ${words(cold)}; again (files revalidated) ${words(warm)}`);
  await visitor.close();
  const page = await newPage();
  await gotoCatalogue(page);
  const first = await cardNames(page);
  eq(first.length, 20, 'cards on the first page');
  check(first.includes('Air quality, Lyon 2024') && first.includes('Port calls, North Sea'), `the newest first: ${first.slice(0, 5)}`);
  const airCard = page.locator('.card', { hasText: 'Air quality, Lyon 2024' });
  const airText = await airCard.innerText();
  check(/0\.00002 ETH per query \+ more/.test(airText), `the card's price in ETH: ${airText}`);
  check(/CSV · 6,000 rows · .* · 12 chunks/.test(airText), `the card's facts: ${airText}`);
  check(airText.includes('0x7099…79C8'), `the owner, short and checksummed: ${airText}`);
  const shipsText = await page.locator('.card', { hasText: 'Port calls' }).innerText();
  check(shipsText.includes('30-day pass: 0.005 ETH'), `a pass in words: ${shipsText}`);
  await snap(page, 'catalogue');

  step('search: typed, in the URL, timed on the server');
  await page.fill('#q', 'Lyon');
  await page.click('form.search button[type=submit]');
  await ready(page, 'catalogue');
  await page.waitForFunction(() => document.querySelectorAll('#cards .card').length === 1);
  eq(params(page).get('q'), 'Lyon', 'q in the URL');
  eq((await cardNames(page))[0], 'Air quality, Lyon 2024', 'the match');
  const serverMs = async (needle) => page.evaluate((n) => {
    const e = performance.getEntriesByType('resource').filter((x) => x.name.includes(n)).pop();
    return e ? e.responseStart - e.requestStart : null;
  }, needle);
  const sLyon = await serverMs('/v1/datasets?q=Lyon');
  await snap(page, 'search');
  await page.fill('#q', 'forest');
  await page.press('#q', 'Enter');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'forest' && document.body.dataset.ready === 'catalogue' && document.querySelectorAll('#cards .card').length > 0);
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((x) => x.name.includes('q=forest')));
  const sForest = await serverMs('/v1/datasets?q=forest');
  // A word no data-set holds: the whole catalogue is scanned.
  await page.fill('#q', 'zzzz-nothing');
  await page.press('#q', 'Enter');
  await page.waitForSelector('text=No data-set matches');
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((x) => x.name.includes('q=zzzz-nothing')));
  const sNone = await serverMs('/v1/datasets?q=zzzz-nothing');
  figures.push(`search server time (request sent to first byte, loopback): "Lyon" ${sLyon.toFixed(1)} ms, "forest" ${sForest.toFixed(1)} ms, no match ${sNone.toFixed(1)} ms (target < 100 ms)`);
  await snap(page, 'search-none');

  step('back through the searches, then tag filter and sort');
  await page.goBack();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'forest');
  eq(await page.inputValue('#q'), 'forest', 'the search box after back');
  await page.goBack();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'Lyon' && document.querySelectorAll('#cards .card').length === 1);
  await page.goBack();
  await page.waitForFunction(() => location.search === '' && document.querySelectorAll('#cards .card').length === 20);
  await page.click('.card:has-text("Air quality") a.tag:text-is("city")');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('tag') === 'city' && document.querySelectorAll('#cards .card').length === 2);
  eq(await page.inputValue('#tag'), 'city', 'the tag box');
  await page.selectOption('#sort', 'name');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('sort') === 'name' && document.querySelectorAll('#cards .card').length === 2);
  const byName = await cardNames(page);
  eq(JSON.stringify(byName), JSON.stringify(['Air quality, Lyon 2024', 'Port calls, North Sea']), 'sorted by name');
  await snap(page, 'tag-filter');

  step('pages: next, next, back, back, forward, reload, previous');
  await gotoCatalogue(page);
  const p1 = await cardNames(page);
  await page.click('a[rel=next]');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('p') === '2' && document.body.dataset.ready);
  await ready(page, 'catalogue');
  const p2 = await cardNames(page);
  check(p2.length === 20 && !p2.some((n) => p1.includes(n)), 'page 2 holds other data-sets');
  await page.click('a[rel=next]');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('p') === '3');
  await ready(page, 'catalogue');
  const p3 = await cardNames(page);
  check(!p3.some((n) => p2.includes(n)), 'page 3 holds other data-sets');
  await page.goBack();
  await page.waitForFunction((n) => document.querySelector('#cards .card h2')?.textContent === n, p2[0]);
  await page.goBack();
  await page.waitForFunction((n) => document.querySelector('#cards .card h2')?.textContent === n, p1[0]);
  await page.goForward();
  await page.waitForFunction((n) => document.querySelector('#cards .card h2')?.textContent === n, p2[0]);
  await page.reload();
  await ready(page, 'catalogue');
  eq(JSON.stringify(await cardNames(page)), JSON.stringify(p2), 'page 2 after a reload');
  await snap(page, 'page-2');
  await page.click('a[rel=prev]');
  await page.waitForFunction((n) => document.querySelector('#cards .card h2')?.textContent === n, p1[0]);
  eq(params(page).get('p'), null, 'page 1 has no p');
  // A shared link to page 2 in a new tab: it works, and offers the first page.
  const shared = await newPage();
  await page.click('a[rel=next]');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('p') === '2');
  await shared.goto(page.url());
  await ready(shared, 'catalogue');
  eq(JSON.stringify(await cardNames(shared)), JSON.stringify(p2), 'a shared link to page 2');
  check(await shared.isVisible('a:text("First page")'), 'a shared page 2 offers the first page');
  await shared.close();
  await page.goBack();
  await page.waitForFunction((n) => document.querySelector('#cards .card h2')?.textContent === n, p1[0]);
  noProblems('browsing');

  // ---------------------------------------------------------------------------
  step('a data-set: its page, linked and reloaded');
  await page.click('.card h2 a:text-is("Air quality, Lyon 2024")');
  await page.waitForSelector('h1.ds-name');
  eq(params(page).get('d'), DS.air, 'the id in the URL');
  eq(await page.textContent('h1'), 'Air quality, Lyon 2024', 'the heading');
  const main = await page.innerText('main');
  check(main.includes('0.00002 ETH per query + 0.000005 ETH per chunk + 0.000001 ETH per MiB'), `the plan in words: ${main.slice(0, 600)}`);
  check(main.includes('The smallest payment is 0.0001 ETH'), 'the minimum purchase');
  check(main.includes('CC-BY-4.0') && main.includes('One row per station and day.'), 'license and description');
  eq(await page.$$eval('.schema tbody tr', (r) => r.map((x) => x.innerText.replace(/\s+/g, ' ').trim()).join('|')),
    'station text|day text|pm25 number|no2 number|city text', 'the schema');
  eq(await page.$$eval('.preview tbody tr', (r) => r.length), 8, 'preview rows');
  eq(await page.$$eval('.preview thead th', (r) => r.map((x) => x.textContent).join(',')), 'station,day,pm25,no2,city', 'preview columns');
  check(/Chunks\s*12/.test(main) && /Content root\s*0x[0-9a-f]{64}/.test(main), 'chunk count and content root');
  await page.waitForSelector('#others .card');
  check((await page.innerText('#others')).includes('Port calls, North Sea'), "the owner's other data-sets");
  await snap(page, 'dataset');
  await page.reload();
  await page.waitForSelector('h1.ds-name');
  eq(await page.textContent('h1'), 'Air quality, Lyon 2024', 'the heading after a reload');

  step('quotes: a range, a condition, chunks, everything; a bad range stays in the page');
  const apiQuote = async (body) => JSON.parse((await gw(`/v1/datasets/${DS.air}/quote`, { method: 'POST', body })).body);
  await page.check('input[name=sel][value=rows]');
  await page.fill('#q-from', '0');
  await page.fill('#q-to', '1000');
  await page.click('#quote-form button[type=submit]');
  await page.waitForSelector('.quote-out');
  let want = await apiQuote('{"rows":{"from":0,"to":1000}}');
  let shown = await page.innerText('#quote-result');
  eq(await page.getAttribute('.quote-out', 'data-cost'), want.cost, 'the quote\'s cost is the gateway\'s');
  check(shown.includes(`${want.chunk_count} of 12`) && shown.includes('1,000'), `the quote shows chunks and rows: ${shown}`);
  const costEth = Number(want.cost) / 1e9;
  check(shown.includes(`${costEth} ETH`), `the cost in ETH (${costEth}): ${shown}`);
  await snap(page, 'quote');
  await page.check('input[name=sel][value=where]');
  await page.selectOption('#c-col-0', 'pm25');
  await page.selectOption('#c-op-0', '>=');
  await page.fill('#c-val-0', '44');
  await page.click('#quote-form button[type=submit]');
  want = await apiQuote('{"where":[["pm25",">=",44]]}');
  await page.waitForFunction((c) => document.querySelector('.quote-out')?.dataset.cost === c, want.cost);
  await page.fill('#c-val-0', 'lots');
  await page.click('#quote-form button[type=submit]');
  await page.waitForSelector('#quote-result .error');
  check((await page.innerText('#quote-result')).includes('pm25 holds numbers'), 'a text for a number column is refused in the page');
  await page.check('input[name=sel][value=chunks]');
  await page.fill('#q-chunks', '0, 3-5, 11');
  await page.click('#quote-form button[type=submit]');
  want = await apiQuote('{"chunks":[0,3,4,5,11]}');
  await page.waitForFunction((c) => document.querySelector('.quote-out')?.dataset.cost === c, want.cost);
  check((await page.innerText('#quote-result')).includes('5 of 12'), 'five chunks');
  await page.check('input[name=sel][value=rows]');
  await page.fill('#q-from', '50');
  await page.fill('#q-to', '10');
  await page.click('#quote-form button[type=submit]');
  await page.waitForSelector('#quote-result .error');
  eq(await page.evaluate(() => document.activeElement.id), 'q-to', 'the focus goes to the field at fault');
  await page.check('input[name=sel][value=all]');
  await page.click('#quote-form button[type=submit]');
  want = await apiQuote('{"all":true}');
  await page.waitForFunction((c) => document.querySelector('.quote-out')?.dataset.cost === c, want.cost);
  const allCost = BigInt(want.cost);
  noProblems('quotes');

  // ---------------------------------------------------------------------------
  step('pay from the wallet for a worker, and follow it to credited');
  eq(await page.isVisible('#connect'), true, 'a Connect button before connecting');
  await page.click('#connect');
  await page.waitForSelector('#pay-form:not([hidden])');
  eq(await page.inputValue('#worker'), getAddress(A[4]), 'the worker defaults to the connected account');
  // A mistyped checksum, as the user types; then the right one.
  const worker = getAddress(A[5]);
  const i = [...worker].findIndex((ch, k) => k > 1 && /[a-fA-F]/.test(ch));
  const badCase = worker.slice(0, i) + (worker[i] === worker[i].toUpperCase() ? worker[i].toLowerCase() : worker[i].toUpperCase()) + worker.slice(i + 1);
  await page.fill('#worker', '');
  await page.type('#worker', badCase.slice(0, 12));
  check((await page.innerText('#worker-check')).includes('(10 so far)'), 'counts the digits as one types');
  await page.fill('#worker', badCase);
  await page.dispatchEvent('#worker', 'input');
  check((await page.innerText('#worker-check')).includes('checksum'), `a bad checksum is named: ${await page.innerText('#worker-check')}`);
  eq(await page.getAttribute('#worker', 'aria-invalid'), 'true', 'the field is marked invalid');
  await page.fill('#worker', worker);
  check((await page.innerText('#worker-check')).includes(`✓ Checksum valid: ${worker}`), 'the right checksum');
  const defaultAmount = await page.inputValue('#amount');
  const wantUnits = allCost > 100000n ? allCost : 100000n;
  eq(defaultAmount, String(Number(wantUnits) / 1e9), 'the amount follows the last quote (at least the minimum)');
  await page.fill('#amount', '0.0003');
  check((await page.innerText('#amount-check')).includes('Credits 300,000 units'), 'what the amount credits');
  const ownerBefore = await owed(A[1]);
  const nonceBefore = await rpcOk('eth_getTransactionCount', [A[4], 'latest']);
  let tx;
  await mining(1200, async () => {
    await page.click('#pay');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('tx'));
    tx = params(page).get('tx');
    await page.waitForSelector('.payment[data-state=confirming], .payment[data-state=seen]', { timeout: 20000 });
    await page.waitForSelector('.payment[data-state=confirming]', { timeout: 20000 });
    await snap(page, 'payment-confirming');
    await page.waitForSelector('.payment[data-state=credited]', { timeout: 30000 });
  });
  const rc = await rpcOk('eth_getTransactionReceipt', [tx]);
  const txo = await rpcOk('eth_getTransactionByHash', [tx]);
  eq(rc.status, '0x1', 'the purchase succeeded on chain');
  eq(getAddress(txo.to), getAddress(cfg.market), 'sent to the market');
  eq(BigInt(txo.value), 300000n * 10n ** 9n, 'the value');
  eq(txo.input, MARKET.encodeFunctionData('purchase', [DS.air, A[1], worker, ZeroHash]), 'the calldata');
  eq(await owed(A[1]) - ownerBefore, 300000n * 10n ** 9n * 9750n / 10000n, 'the owner is owed it, less the fee');
  eq(Number(await rpcOk('eth_getTransactionCount', [A[4], 'latest'])), Number(nonceBefore) + 1, 'one transaction');
  const credited = await page.innerText('.payment[data-state=credited]');
  check(credited.includes('Credited: 300,000 units'), `credited with its units: ${credited}`);
  await snap(page, 'payment-credited');
  await page.reload();
  await page.waitForSelector('.payment[data-state=credited]');
  noProblems('paying');

  step('an unmatched payment (wrong owner) is shown with its reason');
  const bad = await rpcOk('eth_sendTransaction', [{ from: A[4], to: cfg.market, value: '0x3b9aca00',
    data: MARKET.encodeFunctionData('purchase', [DS.air, A[2], A[5], ZeroHash]) }]);
  await mining(300, async () => {
    await page.goto(`${cfg.url}?d=${DS.air}&tx=${bad}`);
    await page.waitForSelector('.payment[data-state=unmatched]', { timeout: 30000 });
  });
  check((await page.innerText('.payment')).includes('not this data-set’s owner'), 'the reason in words');
  await snap(page, 'payment-unmatched');

  // ---------------------------------------------------------------------------
  step('the worker runs queries with sluice query');
  const env = { ...process.env, SLUICE_GATEWAY: cfg.url.replace(/\/$/, ''), SLUICE_KEY: path.join(cfg.keys, 'acct5.key') };
  for (const sel of [['--rows', '0:1000'], ['--where', 'pm25>=40'], ['--chunks', '0,1,2']]) {
    execFileSync(cfg.sluice, ['query', DS.air, ...sel, '--out', path.join(cfg.art, 'q.out')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  // ---------------------------------------------------------------------------
  step('a hostile name is text, and opens no dialog');
  await gotoCatalogue(page, '?q=onerror');
  eq((await cardNames(page))[0], '<img src=x onerror=alert(1)>', 'the card shows the characters');
  await page.click('.card h2 a');
  await page.waitForSelector('h1.ds-name');
  eq(await page.textContent('h1'), '<img src=x onerror=alert(1)>', 'the heading shows the characters');
  eq(await page.title(), '<img src=x onerror=alert(1)> · sluice', 'the title too');
  check((await page.innerText('.desc')).includes('<script>alert(2)</script> & <b>bold</b>'), 'the description as written');
  eq(await page.$$eval('main img, main script, main b', (l) => l.length), 0, 'no element made from the data');
  await snap(page, 'hostile-name');
  noProblems('the hostile name');

  step('wrong chain: told, switched, then the payment is declined in the wallet');
  wallet.account = A[4];
  wallet.chainId = 1;
  await page.goto(`${cfg.url}?d=${DS.air}`);
  await page.waitForSelector('#pay-form:not([hidden])');
  const nonce2 = await rpcOk('eth_getTransactionCount', [A[4], 'latest']);
  await page.click('#pay');
  await page.waitForSelector('#pay-msg [data-kind=chain]');
  check((await page.innerText('#pay-msg')).includes('Your wallet is on chain 1, and this gateway takes payments on chain 31337'), 'the wrong chain in words');
  await snap(page, 'wrong-chain');
  wallet.reject.add('eth_sendTransaction');
  await page.click('#pay-msg button');
  await page.waitForSelector('#pay-msg [data-kind=rejected]');
  eq(wallet.chainId, 31337, 'the wallet was switched');
  check((await page.innerText('#pay-msg')).includes('You declined the payment in your wallet: nothing was sent.'), 'the refusal in words');
  eq(await rpcOk('eth_getTransactionCount', [A[4], 'latest']), nonce2, 'nothing sent');
  await snap(page, 'rejected');
  wallet.reject.clear();
  wallet.reject.clear();
  noProblems('wrong chain and rejections');

  step('a locked wallet shares no account: told to unlock it');
  wallet.locked = true;
  wallet.connected = false;
  await page.goto(`${cfg.url}?d=${DS.air}`);
  await page.waitForSelector('#connect:not([hidden])');
  await page.click('#connect');
  await page.waitForSelector('#pay-msg [data-kind=locked]');
  check((await page.innerText('#pay-msg')).includes('unlock it'), 'the locked wallet in words');
  await snap(page, 'locked-wallet');
  wallet.locked = false;
  await page.click('#connect');
  await page.waitForSelector('#pay-form:not([hidden])');
  noProblems('a locked wallet');

  step('no wallet: browsing and quotes work; paying and signing in say why not');
  const bare = await newPage({ withWallet: false });
  await bare.goto(`${cfg.url}?d=${DS.ships}`);
  await bare.waitForSelector('#pay-who .error');
  check((await bare.innerText('#pay-who')).includes('No wallet found'), 'no wallet, in the pay panel');
  eq(await bare.textContent('#wallet'), 'No wallet', 'the header says so');
  eq(await bare.$$eval('.preview thead th', (r) => r.map((x) => x.textContent).join(',')), 'ts,vessel,port,teu,late', 'JSON Lines preview as a table');
  await bare.click('#quote-form button[type=submit]');
  await bare.waitForSelector('.quote-out');
  await snap(bare, 'no-wallet-dataset');
  await bare.goto(`${cfg.url}?view=account`);
  await bare.waitForSelector('#signin[disabled]');
  await snap(bare, 'no-wallet-account');
  noProblems('no wallet');

  step('a phone-sized screen: no sideways scrolling, words whole');
  const phone = await newPage({ viewport: { width: 390, height: 844 }, mobile: true });
  await gotoCatalogue(phone);
  const fits = () => phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  check(await fits(), 'the catalogue fits the phone');
  await snap(phone, 'phone-catalogue');
  await phone.screenshot({ path: path.join(cfg.art, `${String(++shot).padStart(2, '0')}-phone-catalogue-top.png`) });
  await phone.goto(`${cfg.url}?d=${DS.air}`);
  await phone.waitForSelector('h1.ds-name');
  check(await fits(), 'the data-set page fits the phone');
  // No word cut across lines in the price and the plan: each word's
  // characters sit on one line.
  const broken = await phone.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('.price, .plan li, .facts, .by, h1')) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const re = /\S+/g;
        let m;
        while ((m = re.exec(n.data))) {
          const r = document.createRange();
          r.setStart(n, m.index);
          r.setEnd(n, m.index + m[0].length);
          const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
          if (tops.size > 1) out.push(m[0]);
        }
      }
    }
    return out;
  });
  eq(broken.join(' '), '', 'words broken across lines on a phone');
  await snap(phone, 'phone-dataset');
  await phone.screenshot({ path: path.join(cfg.art, `${String(++shot).padStart(2, '0')}-phone-dataset-top.png`) });
  await phone.locator('#quote').scrollIntoViewIfNeeded();
  await phone.screenshot({ path: path.join(cfg.art, `${String(++shot).padStart(2, '0')}-phone-dataset-quote.png`) });
  check(await phone.evaluate(() => document.querySelector('#quote').getBoundingClientRect().top < document.querySelector('.o-schema').getBoundingClientRect().top),
    'on a phone the quote comes before the tables');
  await phone.goto(`${cfg.url}?view=account`);
  await phone.waitForSelector('#signin');
  await snap(phone, 'phone-account');
  noProblems('the phone');

  step('keyboard and labels');
  await page.goto(`${cfg.url}?d=${DS.air}`);
  await page.waitForSelector('#pay-form');
  await page.keyboard.press('Tab');
  eq(await page.evaluate(() => document.activeElement.className), 'skip', 'the first Tab reaches the skip link');
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && !e.labels?.length && !e.getAttribute('aria-label') && !e.closest('label'))
    .map((e) => e.id || e.name));
  eq(unlabelled.join(','), '', 'form fields without a label');
  const outline = await page.evaluate(() => { const e = document.querySelector('#worker'); e.focus(); return getComputedStyle(e).outlineStyle; });
  check(outline !== 'none', 'a visible focus');
  noProblems('keyboard');

  step('sign in as the worker: balances, payments, usage chart');
  wallet.account = A[5];
  wallet.connected = false;
  await page.goto(`${cfg.url}?view=account`);
  await page.waitForSelector('#signin');
  await snap(page, 'account-signed-out');
  await page.click('#signin');
  await ready(page, 'account');
  const acct = await page.innerText('#account');
  check(acct.includes('Signed in as'), 'signed in');
  await page.waitForSelector('#usage-chart canvas');
  eq(await page.$$eval('#usage tbody tr', (r) => r.length), 1, 'one usage row (today, one data-set)');
  eq(await page.$$eval('#usage tbody tr td:nth-child(3)', (r) => r[0].textContent), '3', 'three queries');
  check((await page.innerText('#balances')).includes('Air quality, Lyon 2024'), 'the balance names its data-set');
  check((await page.innerText('#payments')).includes('credited 300000 units'), 'the payment');
  await snap(page, 'account-usage');
  await page.reload();
  await ready(page, 'account');
  check((await page.innerText('#account')).includes('Signed in as'), 'still signed in after a reload');

  step('the owner signs in: earnings, what is owed, and withdraws');
  await page.click('#signout');
  await page.waitForSelector('#signin');
  wallet.account = A[1];
  wallet.connected = false;
  await page.click('#signin');
  await ready(page, 'account');
  await page.waitForSelector('#earnings-chart canvas');
  const oweNow = await owed(A[1]);
  check((await page.innerText('#owed')).includes(`${Number(oweNow) / 1e18} ETH`), `what the contract owes: ${await page.innerText('#owed')}`);
  check((await page.innerText('#owner')).includes('Port calls, North Sea'), "the owner's data-sets");
  await snap(page, 'owner-earnings');
  const balBefore = BigInt(await rpcOk('eth_getBalance', [A[1], 'latest']));
  await page.click('#withdraw');
  await page.waitForSelector('#withdraw-msg .good', { timeout: 30000 });
  eq(await owed(A[1]), 0n, 'nothing owed after the withdrawal');
  check(BigInt(await rpcOk('eth_getBalance', [A[1], 'latest'])) > balBefore, 'the owner got the ETH');
  await snap(page, 'owner-withdrawn');
  noProblems('account and earnings');

  step('a sign-in declined in the wallet');
  await page.click('#signout');
  await page.waitForSelector('#signin');
  wallet.reject.add('personal_sign');
  await page.click('#signin');
  await page.waitForSelector('#signin-msg .error');
  check((await page.innerText('#signin-msg')).includes('You declined the signature in your wallet'), 'a declined sign-in');
  wallet.reject.clear();
  noProblems('a declined sign-in');

  step('the chain goes away: the page says payments wait');
  process.kill(cfg.anvil_pid, 'SIGSTOP');
  try {
    // The follower gives the node 10 s to answer, then calls it degraded.
    const until = Date.now() + 45000;
    while (JSON.parse((await gw('/v1/chain')).body).state !== 'degraded') {
      check(Date.now() < until, 'the gateway says degraded within 45 s of the node stopping');
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.goto(`${cfg.url}?d=${DS.air}`);
    await page.waitForSelector('#banner:not([hidden])');
    check((await page.innerText('#banner')).includes('cannot follow its chain'), 'the degraded banner');
    await snap(page, 'chain-degraded');
  } finally {
    process.kill(cfg.anvil_pid, 'SIGCONT');
  }
  noProblems('a degraded chain');
} catch (e) {
  if (!String(e.message).startsWith('FAIL')) console.error(`FAIL [web_test]: ${e.stack || e}`);
  failures++;
} finally {
  await browser.close();
}
for (const f of figures) console.log(`FIGURE ${f}`);
writeFileSync(path.join(cfg.art, 'figures.txt'), `${figures.join('\n')}\n`);
console.log(`web_test: ${checks} checks, ${failures ? 'FAILED' : 'ok'}`);
process.exit(failures ? 1 : 0);
