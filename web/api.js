// The gateway's JSON API (docs/API.md), as the page uses it. Errors come
// back as ApiError carrying the problem's fields (type, detail, field).

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `the gateway answered ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = 0;
  }
}

async function call(method, path, body, signal) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', signal };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { detail: 'the gateway cannot be reached (network error)' });
  }
  if (r.status === 204) return null;
  let doc = null;
  try { doc = await r.json(); } catch { /* not JSON: leave null */ }
  if (!r.ok || doc === null) {
    const err = new ApiError(r.status, doc || { detail: `the gateway's answer (${r.status}) is not JSON` });
    err.retryAfter = Number(r.headers.get('Retry-After')) || 0;
    throw err;
  }
  return doc;
}

export const get = (path, signal) => call('GET', path, undefined, signal);
export const post = (path, body) => call('POST', path, body);
export const del = (path) => call('DELETE', path);

const enc = encodeURIComponent;

export const catalogue = (params, signal) => get(`/v1/datasets?${params}`, signal);
export const dataset = (id) => get(`/v1/datasets/${enc(id)}`);
export const quote = (id, bodyText) => post(`/v1/datasets/${enc(id)}/quote`, bodyText);
export const chain = () => get('/v1/chain');
export const payment = (tx, wait, signal) => get(`/v1/payments/${enc(tx)}?wait=${wait}`, signal);
export const account = (addr) => get(`/v1/accounts/${enc(addr)}`);
export const earnings = (addr) => get(`/v1/owners/${enc(addr)}/earnings`);
export const sessionNonce = () => get('/v1/session/nonce');
export const sessionStart = (message, signature) => post('/v1/session', { message, signature });
export const session = () => get('/v1/session');
export const sessionEnd = () => del('/v1/session');

// One data-set's record, fetched once per page load (names for the account
// tables, plans for amounts).
const cache = new Map();
export function datasetCached(id) {
  if (!cache.has(id)) cache.set(id, dataset(id).catch((e) => { cache.delete(id); throw e; }));
  return cache.get(id);
}
