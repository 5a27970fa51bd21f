// The API client: the key (sessionStorage only), JSON calls, SSE over fetch, authenticated downloads.

const KEY_SLOT = 'omega.apiKey';
const listeners = new Set();

export function getKey() {
  try { return sessionStorage.getItem(KEY_SLOT); } catch { return null; }
}
export function setKey(key) {
  try { sessionStorage.setItem(KEY_SLOT, key); } catch { /* private mode: the session ends with the tab */ }
}
export function clearKey() {
  try { sessionStorage.removeItem(KEY_SLOT); } catch { /* nothing stored */ }
}

/** Called with no argument when the server refuses the key (401) on any call. */
export function onUnauthorized(fn) { listeners.add(fn); }

export class ApiError extends Error {
  constructor(status, message, code, details) {
    super(message || `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || (status ? `HTTP_${status}` : 'NETWORK_ERROR');
    this.details = details || {};
  }
}

function headers(extra, key) {
  const out = new Headers(extra || {});
  const k = key ?? getKey();
  if (k) out.set('Authorization', `Bearer ${k}`);
  return out;
}

async function errorFrom(response) {
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (body && typeof body === 'object' && typeof body.error === 'string') {
    const details = body.details && typeof body.details === 'object' ? body.details : {};
    return new ApiError(response.status, body.error, details.code, details);
  }
  return new ApiError(response.status, `${response.status} ${response.statusText || 'error'}`);
}

function refused(error, key) {
  // A 401 on a call made with the stored key signs out; the sign-in check itself reports inline.
  if (error.status === 401 && key === undefined) for (const fn of listeners) fn(error);
}

/**
 * One request: `body` (an object) sent as JSON, never cached. Resolves with a 2xx response; a network
 * failure is ApiError NETWORK_ERROR (an abort is rethrown as is), any other status the §5 ApiError
 * (a 401 with the stored key signs out).
 */
async function send(path, { method = 'GET', headers: h, body, signal, key } = {}) {
  const init = { method, headers: h, signal, cache: 'no-store' };
  if (body !== undefined) {
    h.set('Content-Type', 'application/json');
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The appliance cannot be reached.', 'NETWORK_ERROR');
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    refused(error, key);
    throw error;
  }
  return response;
}

/**
 * A JSON call. `body` (an object) is sent as JSON. Returns the parsed body (null for 204).
 * Throws ApiError with the §5 message and code.
 */
export async function api(path, { method = 'GET', body, signal, key, accept = 'application/json' } = {}) {
  const response = await send(path, { method, headers: headers({ Accept: accept }, key), body, signal, key });
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) return response.json();
  return response.text();
}

/**
 * Parses a text/event-stream body. Calls onEvent({event, data, id}) per event (data as text).
 */
export async function readEvents(body, onEvent, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data = [];
  let id = null;
  let sawData = false;
  const dispatch = () => {
    if (sawData) onEvent({ event: event || 'message', data: data.join('\n'), id });
    event = '';
    data = [];
    id = null;
    sawData = false;
  };
  const line = (text) => {
    if (text === '') { dispatch(); return; }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') { data.push(value); sawData = true; }
    else if (field === 'id') { if (!value.includes('\0')) id = value; }
  };
  try {
    for (;;) {
      if (signal && signal.aborted) break;
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c === 10 || c === 13) {
          // A CR at the very end may be half of CRLF: wait for the next chunk.
          if (c === 13 && i === buffer.length - 1) break;
          line(buffer.slice(start, i));
          if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
          start = i + 1;
        }
      }
      buffer = buffer.slice(start);
    }
    buffer += decoder.decode();
    if (buffer) line(buffer);
  } finally {
    try { reader.releaseLock(); } catch { /* already released */ }
  }
}

/**
 * Opens an SSE response (POST or GET). Resolves when the stream ends. onEvent gets
 * {event, data (parsed JSON when it is JSON), id (number or null)}. A JSON (non-SSE) answer is
 * returned as {json}. Errors throw ApiError.
 */
export async function stream(path, { method = 'GET', body, lastEventId, signal, onEvent, onOpen } = {}) {
  const h = headers({ Accept: 'text/event-stream' });
  if (lastEventId !== undefined && lastEventId !== null) h.set('Last-Event-ID', String(lastEventId));
  const response = await send(path, { method, headers: h, body, signal });
  if (onOpen) onOpen(response);
  const type = response.headers.get('Content-Type') || '';
  if (!type.includes('text/event-stream')) {
    let json = null;
    try { json = await response.json(); } catch { json = null; }
    return { json };
  }
  if (!response.body) return { json: null };
  await readEvents(response.body, (raw) => {
    let data = raw.data;
    try { data = JSON.parse(raw.data); } catch { /* keep the text */ }
    const id = raw.id !== null && /^[0-9]+$/.test(raw.id) ? Number(raw.id) : null;
    onEvent({ event: raw.event, data, id });
  }, signal);
  return { ended: true };
}

/** Fetches a file with the key and saves it through a blob: URL and <a download>. */
export async function download(path, fallbackName) {
  const response = await send(path, { headers: headers() });
  const blob = await response.blob();
  let name = fallbackName;
  const disposition = response.headers.get('Content-Disposition') || '';
  // The exact (UTF-8) name when given, else the plain ASCII one.
  const exact = /filename\*=UTF-8''([^;\s]+)/i.exec(disposition);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  if (exact) {
    try { name = decodeURIComponent(exact[1]); } catch { name = plain ? plain[1] : exact[1]; }
  } else if (plain) {
    name = plain[1];
  }
  name = String(name || 'download').replace(/[\/\\\0]/g, '_').slice(0, 200);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.className = 'offscreen';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  return { name, bytes: blob.size };
}
