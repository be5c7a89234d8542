// My account (?view=account): sign in with the wallet (EIP-4361, DESIGN
// 3.11), then the buyer's balances, payments and usage per day, and the
// owner's data-sets, earnings per day, what the contract owes, and the
// withdrawal.
import uPlot from './uPlot.esm.js';
import * as api from './api.js';
import { h, eth, ethWords, unitsWei, count, dateTime, shortHash, addrEl, priceShort, decimals } from './fmt.js';

const SESSION_KEY = 'sluice.session';
const errorBox = (text) => h('p', { class: 'error', role: 'alert' }, text);

// The session this tab believes in ({address, expires}); the cookie itself
// is HttpOnly. Asking GET /v1/session without one would only log a 401.
function remembered() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    return s && s.expires * 1000 > Date.now() ? s : null;
  } catch { return null; }
}
function remember(s) {
  try {
    if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s)); else localStorage.removeItem(SESSION_KEY);
  } catch { /* storage off: sign in again after a reload */ }
}

let wallet;

export async function account(ctx) {
  const { mount, focus, signal } = ctx;
  delete document.body.dataset.ready;
  wallet = await import('./wallet.js');
  const heading = h('h1', { tabindex: '-1' }, 'My account');
  const body = h('div', { id: 'account' }, h('p', { class: 'loading' }, 'Loading…'));
  mount('My account', [heading, body], focus);
  let s = remembered();
  if (s) {
    try {
      s = await api.session();
      remember(s);
    } catch (e) {
      if (e.status !== 401) { body.replaceChildren(errorBox(`Your session could not be checked: ${e.message}`)); return; }
      remember(null);
      s = null;
    }
  }
  if (signal.aborted) return;
  if (!s) { signInView(ctx, body); return; }
  signedInView(ctx, body, s);
}

function signInView(ctx, body) {
  const msg = h('div', { id: 'signin-msg' });
  const btn = h('button', { type: 'button', id: 'signin' }, 'Sign in with wallet');
  body.replaceChildren(
    h('p', null, 'Sign in with your wallet to see what you have paid for, your balances, passes and usage, and, if you own data-sets, what they earn.'),
    h('p', { class: 'hint' }, 'Signing in signs a message (EIP-4361): it sends no transaction and costs nothing. The session lasts 8 hours on this browser.'),
    btn, msg);
  if (!wallet.present()) {
    btn.disabled = true;
    msg.replaceChildren(errorBox('No wallet found in this browser. Install an Ethereum wallet extension to sign in.'));
    return;
  }
  btn.addEventListener('click', async () => {
    msg.replaceChildren(h('p', { class: 'muted' }, 'Confirm in your wallet…'));
    btn.disabled = true;
    try {
      const address = await wallet.connect();
      ctx.walletBox();
      const chain = await ctx.chain(true);
      const chainId = chain.chain_id || await wallet.chainId();
      const { nonce } = await api.sessionNonce();
      const now = new Date();
      const message = wallet.siweMessage({ address, chainId, nonce, issuedAt: now, expires: new Date(now.getTime() + 8 * 3600 * 1000) });
      const signature = await wallet.signText(address, message);
      const s = await api.sessionStart(message, signature);
      remember(s);
      signedInView(ctx, body, s);
      body.querySelector('h2')?.focus();
    } catch (e) {
      const text = e instanceof api.ApiError ? `The gateway refused the sign-in: ${e.message}` : wallet.explain(e, 'the sign-in').message;
      msg.replaceChildren(errorBox(text));
    } finally {
      btn.disabled = false;
    }
  });
}

async function signedInView(ctx, body, s) {
  const out = h('button', { type: 'button', class: 'small', id: 'signout' }, 'Sign out');
  out.addEventListener('click', async () => {
    try { await api.sessionEnd(); } catch { /* ended or expired: either way out */ }
    remember(null);
    signInView(ctx, body);
  });
  const buyer = h('div', { id: 'buyer' }, h('p', { class: 'loading' }, 'Loading your account…'));
  const owner = h('div', { id: 'owner' });
  body.replaceChildren(
    h('p', { class: 'who' }, 'Signed in as ', addrEl(s.address), ` until ${dateTime(s.expires)}. `, out),
    buyer, owner);
  const [acc, earn] = await Promise.allSettled([api.account(s.address), api.earnings(s.address)]);
  if (ctx.signal.aborted) return;
  if (acc.status === 'rejected') {
    if (acc.reason.status === 401) { remember(null); signInView(ctx, body); return; }
    buyer.replaceChildren(errorBox(`Your account could not be loaded: ${acc.reason.message}`));
  } else {
    await buyerView(buyer, acc.value);
  }
  if (earn.status === 'rejected') owner.replaceChildren(errorBox(`Your earnings could not be loaded: ${earn.reason.message}`));
  else await ownerView(ctx, owner, s.address, earn.value);
  document.body.dataset.ready = 'account';
}

// Plans and names of the data-sets named in the account.
async function datasets(ids) {
  const m = new Map();
  await Promise.all([...new Set(ids)].map(async (id) => {
    try { m.set(id, await api.datasetCached(id)); } catch { m.set(id, null); }
  }));
  return m;
}

const dsLink = (m, id) => {
  const d = m.get(id);
  return h('a', { href: `?d=${id}` }, d ? d.name : shortHash(id));
};

function table(caption, headers, rows, id) {
  return h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { id },
      h('caption', null, caption),
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))));
}

const ethNum = (wei) => Number(decimals(wei, 18));

// A bar chart of counts (left axis) with a line of amounts (right axis),
// one slot per day given. Returns a figure; the numbers are in a table
// below it too. Amounts are wei (bigint); the axis shows ETH, or gwei when
// they are all tiny.
function chart(id, label, days, counts, countLabel, amountsWei, amountWhat) {
  const fig = h('figure', { class: 'chart', id, role: 'img', 'aria-label': label });
  const holder = h('div', { class: 'chart-box' });
  fig.append(holder, h('figcaption', null, label));
  if (!document.querySelector('link[href="uPlot.min.css"]')) document.head.append(h('link', { rel: 'stylesheet', href: 'uPlot.min.css' }));
  const max = amountsWei.reduce((m, w) => (w > m ? w : m), 0n);
  const gwei = max < 10n ** 15n;
  const amounts = amountsWei.map((w) => (gwei ? Number(decimals(w, 9)) : ethNum(w)));
  const amountLabel = `${gwei ? 'gwei' : 'ETH'} ${amountWhat}`;
  const xs = days.map((_, i) => i);
  const num = (v) => (v === null || v === undefined ? '—' : Number(v.toPrecision(6)).toLocaleString('en-US'));
  const draw = () => {
    const width = Math.max(260, Math.min(holder.clientWidth || fig.clientWidth || 600, 900));
    holder.replaceChildren();
    // eslint-disable-next-line no-new
    new uPlot({
      width,
      height: 220,
      scales: {
        x: { time: false, range: () => [-0.6, days.length - 0.4] },
        n: { range: (u, lo, hi) => [0, Math.max(1, Math.ceil(hi * 1.15))] },
        e: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.15 : 1] },
      },
      axes: [
        { stroke: '#1d2330', grid: { show: false }, incrs: [1], values: (u, splits) => splits.map((i) => (days[i] ? days[i].slice(5) : '')) },
        { scale: 'n', label: countLabel, stroke: '#1d2330', grid: { stroke: '#e3e7ee' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000, 100000], values: (u, s) => s.map(num) },
        { scale: 'e', side: 1, label: amountLabel, stroke: '#8a3a0f', grid: { show: false }, size: 70, values: (u, s) => s.map(num) },
      ],
      series: [
        { label: 'Day', value: (u, i) => (days[i] || '—') },
        { label: countLabel, scale: 'n', stroke: '#1f5fa8', fill: 'rgba(31,95,168,0.35)', width: 1, paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false }, value: (u, v) => num(v) },
        { label: amountLabel, scale: 'e', stroke: '#8a3a0f', width: 2, points: { show: true, size: 8, fill: '#8a3a0f' }, value: (u, v) => num(v) },
      ],
    }, [xs, counts, amounts], holder);
  };
  requestAnimationFrame(draw);
  let last = 0;
  new ResizeObserver(() => {
    const w = holder.clientWidth;
    if (Math.abs(w - last) > 24) { last = w; draw(); }
  }).observe(fig);
  return fig;
}

async function buyerView(box, acc) {
  const m = await datasets([...acc.balances.map((b) => b.dataset_id), ...acc.usage.map((u) => u.dataset_id),
    ...acc.payments.map((p) => p.dataset_id)]);
  const plan = (id) => m.get(id)?.price;
  const money = (id, units) => (plan(id) ? ethWords(unitsWei(units, plan(id))) : `${units} units`);
  const now = Date.now() / 1000;
  if (!acc.balances.length && !acc.usage.length && !acc.payments.length) {
    box.replaceChildren(h('h2', { tabindex: '-1' }, 'As a buyer'),
      h('p', { class: 'muted' }, 'You have paid for no data-set yet: pay for a worker on a data-set’s page, and its balance, usage and payments show here.'));
    return;
  }
  const parts = [h('h2', { tabindex: '-1' }, 'What you can spend')];
  parts.push(acc.balances.length
    ? table('Balances per data-set', ['Data-set', 'Balance', 'Pass', 'Paid in', 'Spent'], acc.balances.map((b) => [
      dsLink(m, b.dataset_id),
      h('span', null, money(b.dataset_id, b.units), b.owed_units !== '0' ? h('span', { class: 'bad' }, ` (owes ${money(b.dataset_id, b.owed_units)} after a reorg)`) : null),
      b.pass_expires === null ? '—' : b.pass_expires > now ? `runs until ${dateTime(b.pass_expires)}` : `ended ${dateTime(b.pass_expires)}`,
      money(b.dataset_id, b.credited_total),
      money(b.dataset_id, b.spent_total)]), 'balances')
    : h('p', { class: 'muted' }, 'Nothing yet: pay for a worker on a data-set’s page, and its balance shows here.'));

  parts.push(h('h2', null, 'Usage'));
  if (acc.usage.length) {
    const byDay = new Map();
    for (const u of acc.usage) {
      const e = byDay.get(u.day) || { q: 0, wei: 0n };
      e.q += u.queries;
      if (plan(u.dataset_id)) e.wei += unitsWei(u.cost, plan(u.dataset_id));
      byDay.set(u.day, e);
    }
    const days = [...byDay.keys()].sort();
    parts.push(chart('usage-chart', 'Queries and spend per day (UTC)', days, days.map((d) => byDay.get(d).q), 'queries',
      days.map((d) => byDay.get(d).wei), 'spent'));
    parts.push(table('Usage per day and data-set', ['Day', 'Data-set', 'Queries', 'Chunks', 'Spent'],
      acc.usage.map((u) => [u.day, dsLink(m, u.dataset_id), String(u.queries), String(u.chunks), money(u.dataset_id, u.cost)]), 'usage'));
  } else parts.push(h('p', { class: 'muted' }, 'No queries yet.'));

  parts.push(h('h2', null, 'Payments'));
  parts.push(acc.payments.length
    ? table('Payments where you are the payer or the worker', ['Transaction', 'Data-set', 'Amount', 'Worker', 'State'],
      acc.payments.slice().reverse().map((p) => [
        h('a', { href: `?d=${p.dataset_id}&tx=${p.tx_hash}`, class: 'mono', title: p.tx_hash }, shortHash(p.tx_hash)),
        dsLink(m, p.dataset_id), ethWords(p.amount_wei), addrEl(p.worker),
        p.state === 'credited' ? `credited ${p.units} units` : p.state === 'confirming' ? `confirming ${p.confirmations}/${p.required ?? '—'}` : `${p.state}${p.reason ? ` (${p.reason})` : ''}`]), 'payments')
    : h('p', { class: 'muted' }, 'No payments yet.'));
  box.replaceChildren(...parts);
}

async function ownerView(ctx, box, address, earn) {
  let mine = [];
  try {
    mine = (await api.catalogue(new URLSearchParams({ owner: address, limit: '100' }))).items;
  } catch { /* shown as none */ }
  const owed = earn.owed_wei === null ? null : BigInt(earn.owed_wei);
  if (!mine.length && !earn.days.length && !owed) { box.replaceChildren(); return; }
  const m = await datasets(earn.days.map((d) => d.dataset_id));
  for (const d of mine) m.set(d.id, d);
  const parts = [h('h2', null, 'Your data-sets and earnings')];
  const msg = h('div', { id: 'withdraw-msg', 'aria-live': 'polite' });
  const wbtn = h('button', { type: 'button', id: 'withdraw', disabled: !owed }, 'Withdraw to my wallet');
  parts.push(h('div', { class: 'owed panel' },
    h('p', { class: 'big', id: 'owed' }, owed === null ? 'What the contract owes you is unknown now (the gateway cannot ask its chain).' : `The market contract owes you ${ethWords(owed)}.`),
    wbtn, msg));
  wbtn.addEventListener('click', async () => {
    wbtn.disabled = true;
    msg.replaceChildren(h('p', { class: 'muted' }, 'Confirm the withdrawal in your wallet…'));
    try {
      const chain = await ctx.chain(true);
      const from = await wallet.connect();
      if (from !== address) throw new wallet.WalletError('failed', `Your wallet uses ${from}; switch it to ${address}, whose earnings these are.`);
      await wallet.checkChain(chain.chain_id);
      const tx = await wallet.withdraw({ from, contract: chain.contract });
      msg.replaceChildren(h('p', null, 'Withdrawal sent: ', h('span', { class: 'mono' }, shortHash(tx)), '. Waiting for it to be mined…'));
      const r = await wallet.receipt(tx);
      if (r.status !== 1) throw new wallet.WalletError('failed', 'The withdrawal failed on chain.');
      msg.replaceChildren(h('p', { class: 'good', role: 'status' }, `Withdrawn: ${ethWords(owed)} sent to your wallet in block ${r.blockNumber}.`));
      const again = await api.earnings(address);
      box.querySelector('#owed').textContent = again.owed_wei === null ? '' : `The market contract owes you ${ethWords(again.owed_wei)}.`;
    } catch (e) {
      msg.replaceChildren(errorBox(wallet.explain(e, 'the withdrawal').message));
      wbtn.disabled = false;
    }
  });

  if (earn.days.length) {
    const byDay = new Map();
    for (const e of earn.days) {
      const x = byDay.get(e.day) || { q: 0, wei: 0n };
      x.q += e.queries;
      x.wei += BigInt(e.amount_wei);
      byDay.set(e.day, x);
    }
    const days = [...byDay.keys()].sort();
    parts.push(chart('earnings-chart', 'Payments received and queries answered per day (UTC)', days,
      days.map((d) => byDay.get(d).q), 'queries', days.map((d) => byDay.get(d).wei), 'received'));
    const spent = (e) => (m.get(e.dataset_id)?.price ? eth(unitsWei(e.units_spent, m.get(e.dataset_id).price)) : `${e.units_spent} units`);
    parts.push(table('Earnings per day and data-set', ['Day', 'Data-set', 'Payments', 'Received', 'Queries', 'Spent by workers'],
      earn.days.map((e) => [e.day, dsLink(m, e.dataset_id), String(e.payments), eth(e.amount_wei), String(e.queries), spent(e)]), 'earnings'));
  } else parts.push(h('p', { class: 'muted' }, 'No payments or queries on your data-sets yet.'));
  if (mine.length) {
    parts.push(h('h3', null, 'Listed'));
    parts.push(h('ul', { class: 'mine' }, mine.map((d) => h('li', null, h('a', { href: `?d=${d.id}` }, d.name), ` · ${priceShort(d.price)} · ${count(d.chunk_count || 0, 'chunk')}`))));
  }
  box.replaceChildren(...parts);
}
