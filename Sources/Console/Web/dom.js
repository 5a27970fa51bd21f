// DOM helpers. Everything from the server is untrusted: text goes in through textContent only,
// never as markup. Attributes are set one by one; `style` and event-handler attributes are refused.

export const TEXT_LIMIT = 64 * 1024;
export const ROW_LIMIT = 200;

const forbidden = /^(on|style$|srcdoc$)/i;

/**
 * Creates an element: h('button', {class: 'x', testid: 'send', type: 'button', on: {click: fn}}, 'Send').
 * Children are nodes or strings (strings become text nodes).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      else if (name === 'testid') el.dataset.testid = value;
      else if (name === 'dataset') for (const [k, v] of Object.entries(value)) { if (v !== undefined && v !== null) el.dataset[k] = String(v); }
      else if (name === 'on') for (const [k, fn] of Object.entries(value)) el.addEventListener(k, fn);
      else if (name === 'text') el.textContent = String(value);
      else if (name === 'hidden') el.hidden = Boolean(value);
      else if (name === 'checked' || name === 'disabled' || name === 'value' || name === 'selected') el[name] = value;
      else if (forbidden.test(name)) throw new Error('refused attribute ' + name);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Appends children, skipping null/undefined/false (Element.append would write "null"). */
export function put(el, ...children) {
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(selector, root = document) { return root.querySelector(selector); }
export function byTestId(id, root = document) { return root.querySelector(`[data-testid="${id}"]`); }

/**
 * A block of text showing at most `limit` characters, with a "Show more" button that adds the next
 * chunk (a 5 MB string never lands in the DOM at once).
 */
export function longText(text, { tag = 'pre', className = 'text', limit = TEXT_LIMIT } = {}) {
  const value = typeof text === 'string' ? text : String(text);
  const el = h(tag, { class: className });
  const body = document.createTextNode('');
  el.appendChild(body);
  let shown = 0;
  const wrap = h('div', { class: 'long-text' }, el);
  let more = null;
  const next = () => {
    const end = Math.min(value.length, shown + limit);
    body.appendData(value.slice(shown, end));
    shown = end;
    if (shown < value.length) {
      if (!more) {
        more = h('button', { type: 'button', class: 'link show-more', testid: 'show-more', on: { click: next } });
        wrap.appendChild(more);
      }
      more.textContent = `Show more (${formatBytes(value.length - shown)} left)`;
    } else if (more) {
      more.remove();
      more = null;
    }
  };
  next();
  return wrap;
}

/** Sets text with the same limit, for an element whose text grows (a streaming answer). */
export function clipped(value, limit = TEXT_LIMIT) {
  return value.length > limit ? value.slice(0, limit) : value;
}

export function formatBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDuration(ms) {
  if (typeof ms !== 'number' || !isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60000);
  const s = Math.round((ms % 60000) / 1000);
  return `${m} min ${s} s`;
}

export function formatTime(ms) {
  if (typeof ms !== 'number') return '';
  const d = new Date(ms);
  if (isNaN(d.getTime())) return '';
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function relativeTime(ms) {
  if (typeof ms !== 'number') return '';
  const diff = Date.now() - ms;
  if (diff < 45000) return 'just now';
  if (diff < 3600000) return `${Math.round(diff / 60000)} min ago`;
  if (diff < 86400000) return `${Math.round(diff / 3600000)} h ago`;
  return new Date(ms).toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/** JSON text for display, never throwing (cycles cannot come from JSON.parse, but be safe). */
export function jsonText(value, indent = 2) {
  try {
    const s = JSON.stringify(value, null, indent);
    return s === undefined ? String(value) : s;
  } catch {
    return String(value);
  }
}

export function shorten(s, n = 120) {
  const str = String(s);
  return str.length > n ? str.slice(0, n - 1) + '…' : str;
}

export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Copies text to the clipboard; falls back to selecting a temporary field. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const field = h('textarea', { class: 'offscreen', readonly: true });
    field.value = text;
    document.body.appendChild(field);
    field.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    field.remove();
    return ok;
  }
}
