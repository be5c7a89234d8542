// sluice's page: the catalogue, a data-set with its quote calculator and
// payment, and the buyer's and owner's account. No build step: plain ES
// modules, served by sluiced under a strict Content-Security-Policy.
//
// The URL holds the state (?q=&tag=&sort=&cursor=&p= for the catalogue,
// ?d=<id>[&tx=<hash>] for a data-set and the payment being followed,
// ?view=account), so back, forward, reload and shared links all work.
// Everything the gateway sends is shown as text (fmt.h never parses HTML).
import * as api from './api.js';
import { h, $, eth, ethWords, unitsWei, bytes, count, date, duration, checksummed, shortHash, addrEl,
  priceWords, priceShort, planDetails } from './fmt.js';

// The wallet (with ethers) and the account view (with uPlot) load when a
// page needs them, so that the catalogue shows without them.
let wallet = null;
const loadWallet = async () => (wallet ||= await import('./wallet.js'));

const PAGE = 20;
let viewAbort = new AbortController();
let chainInfo = null; // GET /v1/chain, once per load (refreshed by views)

// ---------------------------------------------------------------------------
// Navigation

export function go(url, replace) {
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  route(true);
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[href]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname !== location.pathname || a.target) return;
  if (url.hash && url.search === location.search) return; // in-page anchor
  ev.preventDefault();
  go(url.search || './');
});
window.addEventListener('popstate', () => route(true));

// Show a freshly built view: replace main's content, set the title, and
// move the focus to its heading on navigation (not on the first load).
function mount(title, nodes, focus) {
  const main = $('main');
  main.replaceChildren(...nodes);
  document.title = `${title} · sluice`;
  for (const a of document.querySelectorAll('[data-nav]')) {
    const on = (a.dataset.nav === 'account') === (new URLSearchParams(location.search).get('view') === 'account');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (focus) (main.querySelector('h1') || main).focus({ preventScroll: false });
}

function route(focus) {
  viewAbort.abort();
  viewAbort = new AbortController();
  const u = new URLSearchParams(location.search);
  if (u.get('d')) return showDataset(u.get('d'), u.get('tx'), focus, viewAbort.signal);
  if (u.get('view') === 'account') {
    return import('./account.js').then((m) => m.account({ mount, focus, signal: viewAbort.signal, chain: getChain, walletBox }));
  }
  return showCatalogue(u, focus, viewAbort.signal);
}

const errorBox = (text) => h('p', { class: 'error', role: 'alert' }, text);

// ---------------------------------------------------------------------------
// The chain the gateway follows, and the banner when it is not well

export async function getChain(fresh) {
  if (!chainInfo || fresh) {
    try {
      chainInfo = await api.chain();
    } catch (e) {
      chainInfo = { state: e.status === 503 ? 'disabled' : 'unknown', chain_id: null, contract: null };
    }
    banner();
  }
  return chainInfo;
}

function banner() {
  const b = $('banner');
  const s = chainInfo && chainInfo.state;
  const words = {
    degraded: 'The gateway cannot follow its chain right now: payments sent now are credited once it catches up.',
    finality_violated: 'The gateway saw a credited payment vanish from the chain and stopped crediting until its operator looks: do not pay now.',
    disabled: 'This gateway takes no payments (it follows no chain): you can browse and get quotes.',
    syncing: 'The gateway is catching up with the chain: new payments are credited once it has.',
  }[s];
  b.hidden = !words;
  b.className = `banner ${s === 'syncing' ? 'info' : 'warn'}`;
  b.textContent = words || '';
  const line = $('chain-line');
  if (chainInfo && chainInfo.chain_id) {
    line.replaceChildren('Payments: chain ', String(chainInfo.chain_id), ', market contract ',
      h('span', { class: 'mono' }, checksummed(chainInfo.contract)), `, state ${s}.`);
  } else line.textContent = '';
}

// ---------------------------------------------------------------------------
// The wallet box in the header

export async function walletBox() {
  const box = $('wallet');
  await loadWallet();
  if (!wallet.present()) {
    box.replaceChildren(h('span', { class: 'muted' }, 'No wallet'));
    return null;
  }
  const [addr] = await wallet.accounts();
  if (addr) {
    let chain = '';
    try { chain = ` · chain ${await wallet.chainId()}`; } catch { /* shown elsewhere */ }
    box.replaceChildren(h('span', { class: 'connected' }, addrEl(addr), chain));
    return addr;
  }
  box.replaceChildren(h('button', {
    type: 'button', class: 'small',
    onclick: async () => {
      try { await wallet.connect(); } catch (e) { box.append(h('span', { class: 'error' }, ` ${e.message}`)); return; }
      walletBox();
      walletChanged();
    },
  }, 'Connect wallet'));
  return null;
}
// The wallet changed account or chain: the header and the pay panel
// follow (the rest of the page, and what the user typed, stay).
const walletChanged = () => { walletBox(); document.dispatchEvent(new Event('walletchange')); };

// ---------------------------------------------------------------------------
// Catalogue

const SORTS = [['newest', 'Newest first'], ['name', 'Name'], ['price', 'Cheapest first'], ['size', 'Largest first']];

// Previous pages' cursors, learned while paging forward, for the Previous
// link (kept across reloads of the tab).
function prevCursor(cursor) {
  try { return JSON.parse(sessionStorage.getItem('sluice.prev') || '{}')[cursor]; } catch { return undefined; }
}
function rememberPrev(next, cur) {
  try {
    const m = JSON.parse(sessionStorage.getItem('sluice.prev') || '{}');
    m[next] = cur || '';
    sessionStorage.setItem('sluice.prev', JSON.stringify(m));
  } catch { /* storage off: no Previous link */ }
}

function catalogueUrl(u, changes) {
  const n = new URLSearchParams();
  for (const k of ['q', 'tag', 'sort', 'cursor', 'p']) {
    const v = k in changes ? changes[k] : u.get(k);
    if (v) n.set(k, v);
  }
  const s = n.toString();
  return s ? `?${s}` : './';
}

async function showCatalogue(u, focus, signal) {
  const q = u.get('q') || '';
  const tag = u.get('tag') || '';
  const sort = u.get('sort') || 'newest';
  const cursor = u.get('cursor') || '';
  const page = Math.max(1, parseInt(u.get('p') || '1', 10) || 1);
  delete document.body.dataset.ready;

  const qIn = h('input', { id: 'q', name: 'q', type: 'search', value: q, autocomplete: 'off', placeholder: 'name or description' });
  const tagIn = h('input', { id: 'tag', name: 'tag', type: 'text', value: tag, autocomplete: 'off', placeholder: 'any', spellcheck: 'false' });
  const sortIn = h('select', { id: 'sort', name: 'sort' },
    SORTS.map(([v, w]) => h('option', { value: v, selected: v === sort }, w)));
  const form = h('form', { class: 'search', role: 'search', 'aria-label': 'Data-sets' },
    h('div', { class: 'field grow' }, h('label', { for: 'q' }, 'Search'), qIn),
    h('div', { class: 'field' }, h('label', { for: 'tag' }, 'Tag'), tagIn),
    h('div', { class: 'field' }, h('label', { for: 'sort' }, 'Sort'), sortIn),
    h('button', { type: 'submit' }, 'Search'));
  const submit = () => go(catalogueUrl(u, { q: qIn.value.trim(), tag: tagIn.value.trim(), sort: sortIn.value === 'newest' ? '' : sortIn.value, cursor: '', p: '' }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
  sortIn.addEventListener('change', submit);

  const status = h('p', { id: 'results-status', class: 'muted', role: 'status' }, 'Loading…');
  const list = h('ul', { id: 'cards', class: 'cards', 'aria-labelledby': 'cat-h' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const heading = h('h1', { id: 'cat-h', tabindex: '-1' }, 'Data-sets for rent');
  mount(q || tag ? `Search: ${[q, tag && `tag ${tag}`].filter(Boolean).join(', ')}` : 'Catalogue',
    [heading, form, status, list, pager], focus);

  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (tag) params.set('tag', tag);
  if (sort !== 'newest') params.set('sort', sort);
  if (cursor) params.set('cursor', cursor);
  params.set('limit', String(PAGE));
  let doc;
  try {
    doc = await api.catalogue(params, signal);
  } catch (e) {
    if (e.name === 'AbortError') return;
    status.replaceWith(errorBox(e.problem.field === 'cursor'
      ? 'This page link has expired: start again from the first page.'
      : `The catalogue could not be loaded: ${e.message}`));
    pager.append(h('a', { href: catalogueUrl(u, { cursor: '', p: '' }) }, 'First page'));
    return;
  }
  list.replaceChildren(...doc.items.map(card));
  const what = [q && `“${q}”`, tag && `tag “${tag}”`].filter(Boolean).join(' and ');
  status.textContent = doc.items.length
    ? `Page ${page}: ${count(doc.items.length, 'data-set')}${what ? ` matching ${what}` : ''}${doc.next_cursor ? ', more on the next page' : ''}.`
    : `No data-set matches${what ? ` ${what}` : ''}.`;
  if (page > 1) {
    const prev = prevCursor(cursor);
    pager.append(prev !== undefined
      ? h('a', { href: catalogueUrl(u, { cursor: prev, p: page > 2 ? String(page - 1) : '' }), rel: 'prev' }, '← Previous')
      : h('a', { href: catalogueUrl(u, { cursor: '', p: '' }) }, '← First page'));
  }
  if (doc.next_cursor) {
    rememberPrev(doc.next_cursor, cursor);
    pager.append(h('a', { href: catalogueUrl(u, { cursor: doc.next_cursor, p: String(page + 1) }), rel: 'next' }, 'Next →'));
  }
  performance.mark('sluice-catalogue-ready');
  document.body.dataset.ready = 'catalogue';
}

function tagLinks(tags) {
  if (!tags || !tags.length) return null;
  return h('ul', { class: 'tags', 'aria-label': 'Tags' },
    tags.map((t) => h('li', null, h('a', { href: `?tag=${encodeURIComponent(t)}`, class: 'tag', title: `Data-sets tagged ${t}` }, t))));
}

function card(d) {
  return h('li', { class: 'card' },
    h('article', { 'aria-labelledby': `c-${d.id}` },
      h('h2', { id: `c-${d.id}` }, h('a', { href: `?d=${d.id}` }, d.name)),
      h('p', { class: 'by' }, 'by ', addrEl(d.owner)),
      h('p', { class: 'facts' },
        [d.format.toUpperCase(), d.rows !== undefined && d.format !== 'blob' ? count(d.rows, 'row') : null,
          bytes(d.plain_bytes), count(d.chunk_count || 0, 'chunk')].filter(Boolean).join(' · ')),
      h('p', { class: 'price' }, priceShort(d.price)),
      tagLinks(d.tags)));
}

// ---------------------------------------------------------------------------
// One data-set

function table(caption, headers, rows, cls) {
  return h('div', { class: `scroll ${cls || ''}`, tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', null, h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))));
}

const cellText = (v) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function previewTable(d) {
  const rows = d.preview || [];
  if (!rows.length) return h('p', { class: 'muted' }, d.format === 'blob' ? 'A blob has no rows to preview.' : 'No preview rows.');
  if (Array.isArray(rows[0])) {
    const cols = (d.columns || []).map((c) => c.name);
    const width = Math.max(cols.length, ...rows.map((r) => r.length));
    while (cols.length < width) cols.push(`column ${cols.length + 1}`);
    return table('Preview rows', cols, rows.map((r) => cols.map((_, i) => cellText(r[i]))), 'preview');
  }
  // JSON Lines: one column per key, in the order first seen.
  const keys = [];
  for (const r of rows) if (r && typeof r === 'object') for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  return table('Preview rows', keys, rows.map((r) => keys.map((k) => cellText(r && r[k]))), 'preview');
}

async function showDataset(id, tx, focus, signal) {
  mount('Data-set', [h('p', { class: 'loading' }, 'Loading the data-set…')], false);
  let d;
  try {
    [d] = await Promise.all([api.datasetCached(id), loadWallet()]);
  } catch (e) {
    mount('Not found', [h('h1', { tabindex: '-1' }, 'Data-set not found'),
      errorBox(e.status === 404 ? 'No published data-set has this id here.' : `It could not be loaded: ${e.message}`),
      h('p', null, h('a', { href: './' }, 'Back to the catalogue'))], focus);
    return;
  }
  if (signal.aborted) return;
  const facts = h('dl', { class: 'facts-list' });
  const fact = (k, v, cls) => facts.append(h('dt', null, k), h('dd', cls ? { class: cls } : null, v));
  fact('Format', { csv: 'CSV', jsonl: 'JSON Lines', blob: 'Blob (opaque bytes)' }[d.format] || d.format);
  if (d.format !== 'blob') fact('Rows', Number(d.rows || 0).toLocaleString('en-US'));
  fact('Chunks', Number(d.chunk_count || 0).toLocaleString('en-US'));
  fact('Size', `${bytes(d.plain_bytes)} (${bytes(d.stored_bytes)} stored, compressed and encrypted)`);
  fact('License', d.license || 'not stated');
  if (d.published_at) fact('Published', date(d.published_at));
  fact('Content root', d.content_root || '—', 'mono');
  fact('Data-set id', d.id, 'mono');

  const schema = (d.columns && d.columns.length)
    ? table('Columns', ['Column', 'Type'], d.columns.map((c) => [c.name, c.type === 'number' ? 'number' : 'text']), 'schema')
    : h('p', { class: 'muted' }, 'No columns (a blob).');
  const others = h('div', { id: 'others' }, h('p', { class: 'muted' }, 'Loading…'));
  const quoteBox = quoteSection(d);
  const payBox = paySection(d, quoteBox, tx, signal);

  mount(d.name, [
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: './' }, 'Catalogue'), ' › ', h('span', null, d.name)),
    h('h1', { tabindex: '-1', class: 'ds-name' }, d.name),
    h('p', { class: 'by' }, 'by ', h('a', { href: `#others`, class: 'owner-link' }, addrEl(d.owner)),
      d.listed === false ? h('span', { class: 'badge' }, 'unlisted') : null),
    tagLinks(d.tags),
    h('div', { class: 'ds-grid' },
      h('div', { class: 'ds-main' },
        h('section', { class: 'o-price', 'aria-labelledby': 'price-h' }, h('h2', { id: 'price-h' }, 'Price'),
          h('p', { class: 'price big' }, priceWords(d.price)),
          h('ul', { class: 'plan' }, planDetails(d.price).map((t) => h('li', null, t)))),
        h('section', { class: 'o-about', 'aria-labelledby': 'about-h' }, h('h2', { id: 'about-h' }, 'About'),
          h('p', { class: 'desc' }, d.description || 'No description.'), facts),
        h('section', { class: 'o-schema', 'aria-labelledby': 'schema-h' }, h('h2', { id: 'schema-h' }, 'Schema'), schema),
        h('section', { class: 'o-preview', 'aria-labelledby': 'preview-h' }, h('h2', { id: 'preview-h' }, 'Preview'), previewTable(d)),
        h('section', { class: 'o-others', 'aria-labelledby': 'others-h' }, h('h2', { id: 'others-h' }, 'More from this owner'), others)),
      h('aside', { class: 'ds-side' }, quoteBox, payBox)),
  ], focus);

  getChain().then(() => payBox.dispatchEvent(new Event('chain')));
  try {
    const more = await api.catalogue(new URLSearchParams({ owner: d.owner, limit: '7' }), signal);
    const items = more.items.filter((x) => x.id !== d.id).slice(0, 6);
    others.replaceChildren(items.length
      ? h('ul', { class: 'cards small' }, items.map(card))
      : h('p', { class: 'muted' }, 'No other data-set from this owner.'));
  } catch (e) {
    if (e.name !== 'AbortError') others.replaceChildren(errorBox(`Could not list them: ${e.message}`));
  }
}

// --- quote calculator -------------------------------------------------------

const OPS = ['=', '!=', '<', '<=', '>', '>='];
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function quoteSection(d) {
  const blob = d.format === 'blob';
  const n = d.chunk_count || 0;
  const sels = blob ? [['all', 'Everything'], ['chunks', 'Chosen chunks']]
    : [['all', 'Everything'], ['rows', 'A range of rows'], ['where', 'Rows matching conditions'], ['chunks', 'Chosen chunks']];
  const radios = h('fieldset', { class: 'radios' }, h('legend', null, 'What the query reads'),
    sels.map(([v, w], i) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: 'sel', value: v, checked: i === 0 }), ` ${w}`)));
  const fromIn = h('input', { id: 'q-from', type: 'number', min: '0', step: '1', value: '0', inputmode: 'numeric' });
  const toIn = h('input', { id: 'q-to', type: 'number', min: '0', step: '1', value: String(Math.min(d.rows || 0, 1000)), inputmode: 'numeric' });
  const rowsBox = h('div', { class: 'sel-box', dataset: { sel: 'rows' }, hidden: true },
    h('div', { class: 'field' }, h('label', { for: 'q-from' }, 'From row'), fromIn),
    h('div', { class: 'field' }, h('label', { for: 'q-to' }, 'To row (not included)'), toIn));
  const conds = h('ol', { class: 'conds' });
  let condN = 0;
  const addCond = () => {
    const k = condN++;
    const col = h('select', { id: `c-col-${k}` }, (d.columns || []).map((c) => h('option', { value: c.name }, `${c.name} (${c.type})`)));
    const op = h('select', { id: `c-op-${k}` }, OPS.map((o) => h('option', { value: o }, o)));
    const val = h('input', { id: `c-val-${k}`, type: 'text', autocomplete: 'off', spellcheck: 'false' });
    const li = h('li', { class: 'cond' },
      h('div', { class: 'field' }, h('label', { for: col.id }, 'Column'), col),
      h('div', { class: 'field op' }, h('label', { for: op.id }, 'Is'), op),
      h('div', { class: 'field grow' }, h('label', { for: val.id }, 'Value'), val),
      h('button', { type: 'button', class: 'small link', 'aria-label': 'Remove this condition', onclick: () => li.remove() }, 'Remove'));
    conds.append(li);
    return li;
  };
  const whereBox = h('div', { class: 'sel-box', dataset: { sel: 'where' }, hidden: true }, conds,
    h('button', { type: 'button', class: 'small', onclick: () => addCond().querySelector('select').focus() }, 'Add a condition'),
    h('p', { class: 'hint' }, 'Conditions are ANDed and checked against each chunk’s smallest and largest value: a chunk that may hold a matching row is read, and paid, whole.'));
  if (!blob && (d.columns || []).length) addCond();
  const chunksIn = h('input', { id: 'q-chunks', type: 'text', autocomplete: 'off', placeholder: n > 1 ? `0, ${n - 1}` : '0', 'aria-describedby': 'q-chunks-help' });
  const chunksBox = h('div', { class: 'sel-box', dataset: { sel: 'chunks' }, hidden: true },
    h('div', { class: 'field' }, h('label', { for: 'q-chunks' }, 'Chunk numbers'), chunksIn),
    h('p', { class: 'hint', id: 'q-chunks-help' }, `From 0 to ${Math.max(n - 1, 0)}, separated by commas; a range as 2-5.`));
  const msg = h('div', { id: 'quote-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'quote-form', novalidate: true }, radios, rowsBox, whereBox, chunksBox,
    h('button', { type: 'submit' }, 'Get a quote'));
  radios.addEventListener('change', () => {
    const v = form.elements.sel.value;
    for (const b of [rowsBox, whereBox, chunksBox]) b.hidden = b.dataset.sel !== v;
  });

  const section = h('section', { class: 'panel', id: 'quote', 'aria-labelledby': 'quote-h' },
    h('h2', { id: 'quote-h' }, 'Get a quote'),
    h('p', { class: 'hint' }, 'What a query would cost, from the gateway’s own pricing: the same numbers a worker is asked to pay.'),
    form, msg);

  const body = () => {
    const v = form.elements.sel.value;
    if (v === 'all') return '{"all":true}';
    if (v === 'rows') {
      const a = fromIn.value.trim();
      const b = toIn.value.trim();
      if (!/^\d+$/.test(a)) throw Object.assign(new Error('“From row” must be a whole number, 0 or more.'), { el: fromIn });
      if (!/^\d+$/.test(b)) throw Object.assign(new Error('“To row” must be a whole number, 0 or more.'), { el: toIn });
      if (BigInt(a) > BigInt(b)) throw Object.assign(new Error('“To row” must not be below “From row”.'), { el: toIn });
      return `{"rows":{"from":${BigInt(a)},"to":${BigInt(b)}}}`;
    }
    if (v === 'where') {
      const items = [...conds.querySelectorAll('li')].map((li) => {
        const [col, op] = li.querySelectorAll('select');
        const val = li.querySelector('input');
        const c = (d.columns || []).find((x) => x.name === col.value);
        const text = val.value.trim();
        let lit;
        if (c && c.type === 'number') {
          if (!JSON_NUMBER.test(text)) throw Object.assign(new Error(`${c.name} holds numbers: write a number such as 42 or -1.5.`), { el: val });
          lit = text;
        } else lit = JSON.stringify(val.value);
        return `[${JSON.stringify(col.value)},${JSON.stringify(op.value)},${lit}]`;
      });
      if (!items.length) throw new Error('Add a condition first.');
      if (items.length > 32) throw new Error('At most 32 conditions.');
      return `{"where":[${items.join(',')}]}`;
    }
    const list = [];
    for (const part of chunksIn.value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
      if (!m) throw Object.assign(new Error(`“${part}” is not a chunk number or a range.`), { el: chunksIn });
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (b < a || b >= n) throw Object.assign(new Error(`Chunks go from 0 to ${n - 1}: “${part}” is outside.`), { el: chunksIn });
      if (list.length + b - a + 1 > 100000) throw Object.assign(new Error('At most 100,000 chunks.'), { el: chunksIn });
      for (let i = a; i <= b; i++) list.push(i);
    }
    return `{"chunks":[${list.join(',')}]}`;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let text;
    try {
      text = body();
    } catch (e) {
      msg.replaceChildren(errorBox(e.message));
      if (e.el) { e.el.setAttribute('aria-invalid', 'true'); e.el.focus(); }
      return;
    }
    for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
    msg.replaceChildren(h('p', { class: 'muted' }, 'Asking the gateway…'));
    try {
      const q = await api.quote(d.id, text);
      showQuote(msg, q, d, text);
      section.dispatchEvent(new CustomEvent('quote', { detail: q }));
    } catch (e) {
      msg.replaceChildren(errorBox(`No quote: ${e.message}`));
    }
  });
  return section;
}

function showQuote(box, q, d, bodyText) {
  const p = q.price || d.price;
  const dl = h('dl', { class: 'facts-list quote-facts' });
  const add = (k, v) => dl.append(h('dt', null, k), h('dd', null, v));
  const list = q.chunks.length <= 24 ? q.chunks.join(', ') : `${q.chunks.slice(0, 24).join(', ')}, …`;
  add('Chunks read', `${Number(q.chunk_count).toLocaleString('en-US')} of ${Number(d.chunk_count).toLocaleString('en-US')}${q.chunks.length ? ` (${list})` : ''}`);
  if (d.format !== 'blob') add('Rows in them', Number(q.rows).toLocaleString('en-US'));
  add('Plaintext', bytes(q.plain_bytes));
  const cost = p ? ethWords(unitsWei(q.cost, p)) : `${q.cost} units`;
  add('Cost', p && p.kind === 'pass' ? `${cost} while a pass runs (a pass costs ${ethWords(unitsWei(p.price, p))})` : cost);
  box.replaceChildren(h('div', { class: 'quote-out', dataset: { cost: q.cost } }, dl,
    h('details', null, h('summary', null, 'The query a worker sends'),
      h('pre', { class: 'mono' }, `POST /v1/datasets/${d.id}/queries\n${bodyText}`))));
}

// --- paying -------------------------------------------------------------------

// What to pay by default: enough for the last quote (at least the plan's
// minimum), or one pass.
function defaultWei(d, q) {
  const p = d.price;
  if (!p) return 0n;
  if (p.kind === 'pass') return unitsWei(p.price, p);
  let units = BigInt(q ? q.cost : (p.per_query || '0'));
  const min = BigInt(p.min_purchase || '0');
  if (units < min) units = min;
  if (units === 0n) units = 1n;
  return units * BigInt(p.unit_wei);
}

const weiToEthText = (w) => { const s = eth(w); return s.slice(0, -4); };

function paySection(d, quoteBox, tx, signal) {
  const connectBtn = h('button', { type: 'button', id: 'connect' }, 'Connect wallet');
  const who = h('p', { id: 'pay-who', class: 'muted' });
  const workerIn = h('input', { id: 'worker', name: 'worker', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
    placeholder: '0x…', 'aria-describedby': 'worker-help worker-check', class: 'mono' });
  const workerCheck = h('p', { id: 'worker-check', class: 'check', 'aria-live': 'polite' });
  const amountIn = h('input', { id: 'amount', name: 'amount', type: 'text', inputmode: 'decimal', autocomplete: 'off', 'aria-describedby': 'amount-check' });
  const amountCheck = h('p', { id: 'amount-check', class: 'check', 'aria-live': 'polite' });
  const payBtn = h('button', { type: 'submit', id: 'pay' }, 'Pay with wallet');
  const msg = h('div', { id: 'pay-msg' });
  const follow = h('div', { id: 'payment', 'aria-live': 'polite' });
  let me = null;
  let touchedWorker = false;

  const form = h('form', { id: 'pay-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'worker' }, 'Worker address'), workerIn),
    h('p', { class: 'hint', id: 'worker-help' }, 'The key that will send the queries: only it can spend what you pay. Your own address by default.'),
    workerCheck,
    h('div', { class: 'field' }, h('label', { for: 'amount' }, 'Amount in ETH'), amountIn),
    amountCheck, payBtn);
  const section = h('section', { class: 'panel', id: 'pay-panel', 'aria-labelledby': 'pay-h' },
    h('h2', { id: 'pay-h' }, 'Pay for a worker'), who, connectBtn, form, msg, follow);

  const checkWorker = () => {
    const v = workerIn.value.trim();
    workerCheck.className = 'check';
    if (!v) { workerCheck.textContent = 'Enter the worker’s address.'; return null; }
    if (!/^0x[0-9a-fA-F]{40}$/.test(v)) {
      workerCheck.classList.add('bad');
      workerCheck.textContent = v.length < 42 ? `An address is 0x and 40 hex digits (${Math.max(v.length - 2, 0)} so far).` : 'Not an address: 0x and 40 hex digits.';
      workerIn.setAttribute('aria-invalid', 'true');
      return null;
    }
    const mixed = /[a-f]/.test(v.slice(2)) && /[A-F]/.test(v.slice(2));
    if (!wallet.isAddress(v) || (mixed && wallet.getAddress(v) !== v)) {
      workerCheck.classList.add('bad');
      workerCheck.textContent = 'The checksum (the letters’ case, EIP-55) does not match: a letter was mistyped.';
      workerIn.setAttribute('aria-invalid', 'true');
      return null;
    }
    workerIn.removeAttribute('aria-invalid');
    workerCheck.classList.add('good');
    const c = wallet.getAddress(v);
    workerCheck.textContent = `✓ ${mixed ? 'Checksum valid' : 'Valid address'}: ${c}${me && c === me ? ' (you)' : ''}`;
    return c;
  };
  const checkAmount = () => {
    const p = d.price;
    amountCheck.className = 'check';
    let w;
    try { w = wallet.parseEther(amountIn.value.trim() || 'x'); } catch {
      amountCheck.classList.add('bad');
      amountCheck.textContent = 'Write an amount of ETH, such as 0.01 (at most 18 decimals).';
      amountIn.setAttribute('aria-invalid', 'true');
      return null;
    }
    const units = p ? w / BigInt(p.unit_wei) : 0n;
    if (w <= 0n || units < 1n) {
      amountCheck.classList.add('bad');
      amountCheck.textContent = p ? `At least ${ethWords(p.unit_wei)} (one unit).` : 'Above zero.';
      amountIn.setAttribute('aria-invalid', 'true');
      return null;
    }
    amountIn.removeAttribute('aria-invalid');
    const min = p && p.kind === 'metered' ? BigInt(p.min_purchase || '0') : 0n;
    const words = p && p.kind === 'pass'
      ? `${count(units / BigInt(p.price), 'pass', 'passes')} of ${duration(p.duration_s)}`
      : `${units.toLocaleString('en-US')} units`;
    amountCheck.classList.add(units < min ? 'bad' : 'good');
    amountCheck.textContent = units < min
      ? `Below the smallest payment of ${ethWords(unitsWei(min, p))}: the gateway would credit it, but queries may need more.`
      : `Credits ${words} to the worker (${ethWords(w)}).`;
    return w;
  };
  workerIn.addEventListener('input', () => { touchedWorker = true; checkWorker(); });
  amountIn.addEventListener('input', checkAmount);
  amountIn.value = weiToEthText(defaultWei(d, null));
  quoteBox.addEventListener('quote', (ev) => { amountIn.value = weiToEthText(defaultWei(d, ev.detail)); checkAmount(); });

  const refresh = async () => {
    const chain = chainInfo;
    if (!d.price) { form.hidden = true; connectBtn.hidden = true; who.textContent = 'This data-set has no price yet.'; return; }
    if (chain && !chain.contract) {
      form.hidden = true; connectBtn.hidden = true;
      who.textContent = 'This gateway follows no chain, so it takes no payments now.';
      return;
    }
    if (!wallet.present()) {
      form.hidden = true; connectBtn.hidden = true;
      who.replaceChildren(h('span', { class: 'error', role: 'alert' }, 'No wallet found in this browser. Install an Ethereum wallet extension to pay; browsing and quotes work without one.'));
      return;
    }
    [me] = await wallet.accounts();
    connectBtn.hidden = !!me;
    form.hidden = !me;
    who.replaceChildren(me ? h('span', null, 'Paying from ', addrEl(me), chain && chain.chain_id ? ` on chain ${chain.chain_id}.` : '.')
      : 'Connect your wallet to pay from it.');
    // Say at once when the wallet is on another chain (Pay checks again).
    if (me && chain && chain.chain_id) {
      try {
        await wallet.checkChain(chain.chain_id);
        if (msg.querySelector('[data-kind=chain]')) msg.replaceChildren();
      } catch (e) {
        if (!msg.querySelector('[data-kind=chain]')) msg.replaceChildren(walletError(e, chain.chain_id));
      }
    }
    if (me && !touchedWorker && !workerIn.value) workerIn.value = me;
    if (me) { checkWorker(); checkAmount(); }
  };
  section.addEventListener('chain', refresh);
  document.addEventListener('walletchange', refresh, { signal });

  connectBtn.addEventListener('click', async () => {
    msg.replaceChildren();
    try {
      await wallet.connect();
      await walletBox();
      await refresh();
      workerIn.focus();
    } catch (e) {
      msg.replaceChildren(walletError(e, null));
    }
  });

  const pay = async () => {
    msg.replaceChildren();
    const worker = checkWorker();
    const value = checkAmount();
    if (!worker) { workerIn.focus(); return; }
    if (!value) { amountIn.focus(); return; }
    const chain = await getChain(true);
    if (!chain.contract) { msg.replaceChildren(errorBox('This gateway takes no payments now (it follows no chain).')); return; }
    payBtn.disabled = true;
    try {
      const from = await wallet.connect();
      await wallet.checkChain(chain.chain_id);
      msg.replaceChildren(h('p', { class: 'muted' }, 'Confirm the payment in your wallet…'));
      const hash = await wallet.purchase({ from, contract: chain.contract, datasetId: d.id, owner: d.owner, worker, valueWei: value });
      msg.replaceChildren();
      history.replaceState(null, '', `?d=${d.id}&tx=${hash}`);
      followPayment(follow, hash, d, signal);
    } catch (e) {
      msg.replaceChildren(walletError(e, chain.chain_id, pay));
    } finally {
      payBtn.disabled = false;
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); pay(); });
  if (tx) followPayment(follow, tx, d, signal);
  return section;
}

// A wallet failure as a message, with a button to switch chains when that
// is what is wrong (then retry).
function walletError(e, want, retry) {
  const err = wallet.explain(e, 'the request');
  const box = h('div', { class: 'error', role: 'alert', dataset: { kind: err.kind } }, h('p', null, err.message));
  if (err.kind === 'chain' && want) {
    box.append(h('button', {
      type: 'button', class: 'small',
      onclick: async () => {
        try { await wallet.switchChain(want); box.replaceChildren(h('p', null, `Switched to chain ${want}.`)); walletBox(); if (retry) retry(); } catch (x) { box.replaceWith(walletError(x, want, retry)); }
      },
    }, `Switch the wallet to chain ${want}`));
  }
  return box;
}

const REASONS = {
  unknown_dataset: 'the gateway publishes no data-set with this id',
  owner_mismatch: 'the owner named in the payment is not this data-set’s owner',
  reorged: 'its block was reorganised away after it was credited',
  overflow: 'the balance would pass the largest amount the ledger holds',
};

function paymentEntry(p) {
  const steps = ['seen', 'confirming', 'credited'];
  const at = steps.indexOf(p.state);
  const li = h('li', { class: `payment state-${p.state}`, dataset: { state: p.state } });
  const amount = p.amount_wei ? ethWords(p.amount_wei) : '';
  if (p.state === 'credited') {
    li.append(h('p', { class: 'big good' }, `Credited: ${Number(p.units).toLocaleString('en-US')} units`),
      h('p', null, `${amount} paid for worker `, addrEl(p.worker), '. Its queries can now use them.'));
  } else if (p.state === 'unmatched') {
    li.append(h('p', { class: 'big bad' }, 'Not credited'),
      h('p', null, `The payment of ${amount} was seen but not credited: ${REASONS[p.reason] || p.reason || 'no reason given'}. The contract holds it for the owner named in it.`));
  } else if (p.state === 'reversed') {
    li.append(h('p', { class: 'big bad' }, 'Reversed'), h('p', null, `The credit was taken back: ${REASONS[p.reason] || p.reason}.`));
  } else {
    const n = Number(p.confirmations || 0);
    const need = p.required === null ? null : Number(p.required);
    li.append(h('p', { class: 'big' }, p.state === 'seen' ? 'Seen on chain' : `Confirming ${n} of ${need ?? 'finality'}`),
      need ? h('progress', { max: String(need), value: String(Math.min(n, need)), 'aria-label': `${n} of ${need} confirmations` }) : null,
      h('p', { class: 'muted' }, `${amount} for worker `, addrEl(p.worker), `: credited after ${need ? count(need, 'confirmation') : 'its block is final'}.`));
  }
  li.prepend(h('ol', { class: 'steps', 'aria-hidden': 'true' },
    ['Sent', 'Seen', 'Confirming', 'Credited'].map((w, i) => h('li', { class: i <= at + 1 ? 'done' : '' }, w))));
  return li;
}

async function followPayment(box, tx, d, signal) {
  const head = h('p', null, 'Payment ', h('span', { class: 'mono', title: tx }, shortHash(tx)), ' sent. Waiting for the gateway to see it…');
  const list = h('ul', { class: 'payments' });
  const note = h('p', { class: 'muted' });
  box.replaceChildren(h('h3', null, 'Your payment'), head, list, note);
  let missing = 0;
  for (;;) {
    let doc;
    try {
      doc = await api.payment(tx, list.children.length ? 30 : 5, signal);
    } catch (e) {
      if (e.name === 'AbortError' || signal.aborted) return;
      if (e.status === 404 && ++missing < 12) { note.textContent = 'Not on chain yet: waiting for it to be mined…'; continue; }
      if (e.status === 503 || e.status === 0) {
        note.textContent = `The gateway cannot reach its chain now (${e.message}); trying again…`;
        await new Promise((r) => setTimeout(r, 1000 * Math.min(Math.max(e.retryAfter, 2), 30)));
        if (signal.aborted) return;
        continue;
      }
      box.append(errorBox(e.status === 404 ? 'Neither the gateway nor its node knows this transaction: was it sent to another chain?' : `Could not follow the payment: ${e.message}`));
      return;
    }
    note.textContent = '';
    const mine = doc.payments;
    head.replaceChildren('Payment ', h('span', { class: 'mono', title: tx }, shortHash(tx)), doc.payments.length > 1 ? ` (${doc.payments.length} payments in it)` : '');
    list.replaceChildren(...mine.map(paymentEntry));
    if (!mine.length) note.textContent = 'This transaction holds no payment to the market contract.';
    if (!mine.length || mine.every((p) => ['credited', 'unmatched', 'reversed'].includes(p.state))) return;
  }
}

// ---------------------------------------------------------------------------

route(false).finally(() => {
  getChain();
  walletBox().then(() => wallet.onChange(walletChanged));
});
