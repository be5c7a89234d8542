// Small helpers shared by the views: DOM building (text only: whatever the
// gateway sends is shown as text, never parsed as HTML), and the words a
// buyer reads for amounts, sizes, times, addresses and price plans.
// No library here: the catalogue shows without waiting for ethers, which
// the wallet's pages load when they need it.

// h('p', {class: 'x', onclick: f}, 'text', child, ...): an element. Strings
// become text nodes; attributes are set as attributes (never innerHTML).
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (v === true) e.setAttribute(k, '');
      else e.setAttribute(k, String(v));
    }
  }
  for (const k of kids.flat()) {
    if (k === undefined || k === null || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

export const $ = (id) => document.getElementById(id);

// An integer amount (a decimal string or bigint) with `places` decimals,
// every digit kept, trailing zeros trimmed: decimals(1500000000000000n, 18)
// is "0.0015".
export function decimals(n, places) {
  const v = BigInt(n);
  const a = v < 0n ? -v : v;
  const unit = 10n ** BigInt(places);
  const frac = (a % unit).toString().padStart(places, '0').replace(/0+$/, '');
  return `${v < 0n ? '-' : ''}${a / unit}${frac ? `.${frac}` : ''}`;
}

// Wei as ETH, every digit kept.
export const eth = (wei) => `${decimals(wei, 18)} ETH`;

// ETH, with the same amount in gwei beside it when it is tiny (a buyer
// reads 15 gwei more easily than 0.000000015 ETH).
export function ethWords(wei) {
  const w = BigInt(wei);
  const base = eth(w);
  if (w > 0n && w < 10n ** 14n) return `${base} (${decimals(w, 9)} gwei)`;
  return base;
}

// Ledger units of a plan as wei.
export const unitsWei = (units, plan) => BigInt(units) * BigInt(plan.unit_wei);

export function bytes(n) {
  if (n === undefined || n === null) return '—';
  const u = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return i ? `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}` : `${v} ${v === 1 ? 'byte' : 'bytes'}`;
}

export const count = (n, one, many) =>
  `${Number(n).toLocaleString('en-US')} ${Number(n) === 1 ? one : (many || `${one}s`)}`;

export function duration(s) {
  const units = [[86400 * 365, 'year'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [n, w] of units) if (s % n === 0 && s >= n) return count(s / n, w);
  return count(s, 'second');
}

export const date = (unix) => new Date(unix * 1000).toISOString().slice(0, 10);
export const dateTime = (unix) =>
  `${new Date(unix * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

// Addresses arrive in EIP-55 form (the gateway writes them so, and the
// wallet module checksums what the wallet gives): shown as they are.
export const checksummed = (a) => String(a);

export function shortAddr(a) {
  const c = checksummed(a);
  return c.length === 42 ? `${c.slice(0, 6)}…${c.slice(-4)}` : c;
}

export const shortHash = (x) => (x && x.length > 14 ? `${x.slice(0, 10)}…${x.slice(-6)}` : x);

// An address as a small element: short text, the full one on hover and for
// screen readers.
export function addrEl(a) {
  const c = checksummed(a);
  return h('span', { class: 'addr', title: c, 'aria-label': c }, shortAddr(c));
}

const PARTS = [['per_query', 'query'], ['per_chunk', 'chunk'], ['per_row', 'row'], ['per_mib', 'MiB']];

// The plan in words: "0.00001 ETH per query + 0.000005 ETH per chunk", or
// "a pass of 30 days for 0.005 ETH".
export function priceWords(p) {
  if (!p) return 'not for sale yet';
  if (p.kind === 'pass') return `a pass of ${duration(p.duration_s)} for ${ethWords(unitsWei(p.price, p))}`;
  const parts = PARTS.filter(([k]) => p[k] && p[k] !== '0')
    .map(([k, w]) => `${eth(unitsWei(p[k], p))} per ${w}`);
  return parts.join(' + ') || 'free';
}

// A shorter line for a card.
export function priceShort(p) {
  if (!p) return 'not for sale yet';
  if (p.kind === 'pass') {
    const d = p.duration_s % 86400 === 0 ? `${p.duration_s / 86400}-day` : duration(p.duration_s);
    return `${d} pass: ${eth(unitsWei(p.price, p))}`;
  }
  const [k, w] = PARTS.find(([key]) => p[key] && p[key] !== '0') || PARTS[0];
  const more = PARTS.filter(([key]) => p[key] && p[key] !== '0').length > 1 ? ' + more' : '';
  return `${eth(unitsWei(p[k] || '0', p))} per ${w}${more}`;
}

export function planDetails(p) {
  if (!p) return [];
  const out = [];
  if (p.kind === 'pass') {
    out.push(`Unlimited queries for ${duration(p.duration_s)} for ${ethWords(unitsWei(p.price, p))}.`);
    out.push('Each payment of the price adds that time to the pass (from now, or from its end if it still runs).');
  } else {
    for (const [k, w] of PARTS) {
      if (p[k] && p[k] !== '0') out.push(`${ethWords(unitsWei(p[k], p))} per ${w}`);
    }
    if (p.per_mib && p.per_mib !== '0') out.push('MiB are counted over the plaintext of the chunks a query touches, rounded up once.');
    if (p.min_purchase && p.min_purchase !== '0') out.push(`The smallest payment is ${ethWords(unitsWei(p.min_purchase, p))}.`);
    out.push('A query pays for whole chunks: a range or a condition costs every chunk it touches.');
  }
  out.push(`The ledger counts in units of ${ethWords(p.unit_wei)}.`);
  return out;
}
