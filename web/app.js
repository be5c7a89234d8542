// The buyer's catalogue: lists data-sets from GET /v1/datasets and shows one.
// No build step; served by sluiced under its Content-Security-Policy.
'use strict';

const $ = (id) => document.getElementById(id);
let nextCursor = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function bytes(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

function priceText(p) {
  if (!p) return 'no price yet';
  const gwei = (units) => `${units} × ${p.unit_wei} wei`;
  if (p.kind === 'pass') return `pass: ${gwei(p.price)} for ${p.duration_s} s`;
  const parts = [];
  for (const k of ['per_query', 'per_chunk', 'per_row', 'per_mib'])
    if (p[k] !== '0') parts.push(`${p[k]} ${k.replace('_', ' ')}`);
  return `metered: ${parts.join(', ')} (unit ${p.unit_wei} wei)`;
}

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail || r.statusText);
  return body;
}

async function load(append) {
  const params = new URLSearchParams();
  if ($('q').value) params.set('q', $('q').value);
  params.set('sort', $('sort').value);
  params.set('limit', '20');
  if (append && nextCursor) params.set('cursor', nextCursor);
  $('status').textContent = 'Loading…';
  try {
    const page = await getJSON(`/v1/datasets?${params}`);
    if (!append) $('list').replaceChildren();
    for (const d of page.items) $('list').append(item(d));
    nextCursor = page.next_cursor;
    $('more').hidden = !nextCursor;
    $('status').textContent = $('list').children.length ? '' : 'No data-set matches.';
  } catch (e) {
    $('status').textContent = `Could not load the catalogue: ${e.message}`;
  }
}

function item(d) {
  const li = el('li');
  li.dataset.id = d.id;
  li.append(el('strong', d.name));
  const meta = el('div', `${d.format} · ${d.rows ?? 0} rows · ${bytes(d.plain_bytes ?? 0)} · ${priceText(d.price)}`, 'meta');
  li.append(meta);
  const tags = el('div');
  for (const t of d.tags) tags.append(el('span', t, 'tag'));
  li.append(tags);
  li.addEventListener('click', () => show(d.id));
  return li;
}

async function show(id) {
  try {
    const d = await getJSON(`/v1/datasets/${id}`);
    $('d-name').textContent = d.name;
    $('d-desc').textContent = d.description;
    const facts = $('d-facts');
    facts.replaceChildren();
    const add = (k, v) => { facts.append(el('dt', k), el('dd', String(v))); };
    add('id', d.id);
    add('owner', d.owner ?? '—');
    add('format', d.format);
    add('rows', d.rows);
    add('chunks', d.chunk_count);
    add('size', `${bytes(d.plain_bytes)} (${bytes(d.stored_bytes)} stored)`);
    add('price', priceText(d.price));
    add('license', d.license || '—');
    add('content root', d.content_root);
    $('d-columns').replaceChildren(...(d.columns || []).map((c) => el('li', `${c.name} (${c.type})`)));
    const table = $('d-preview');
    table.replaceChildren();
    const rows = d.preview || [];
    if (rows.length && Array.isArray(rows[0])) {
      const head = el('tr');
      for (const c of d.columns || []) head.append(el('th', c.name));
      table.append(head);
      for (const r of rows) { const tr = el('tr'); for (const v of r) tr.append(el('td', v)); table.append(tr); }
    } else {
      for (const r of rows) { const tr = el('tr'); tr.append(el('td', JSON.stringify(r))); table.append(tr); }
    }
    $('detail').hidden = false;
    $('detail').scrollIntoView({ behavior: 'smooth' });
  } catch (e) {
    $('status').textContent = `Could not load the data-set: ${e.message}`;
  }
}

$('search').addEventListener('submit', (ev) => { ev.preventDefault(); load(false); });
$('sort').addEventListener('change', () => load(false));
$('more').addEventListener('click', () => load(true));
load(false);
