// Typed rendering of tool outputs: tables, lazy JSON trees, unified diffs and plain text.
// Everything is built with textContent; big values are shown in chunks.

import { h, longText, jsonText, shorten, TEXT_LIMIT, ROW_LIMIT } from './dom.js';

const MAX_COLUMNS = 24;
const CELL_LIMIT = 400;
const TREE_CHUNK = 200;

export function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function looksLikeDiff(text) {
  if (typeof text !== 'string' || text.length < 4) return false;
  const head = text.length > 200000 ? text.slice(0, 200000) : text;
  return /^@@ .*@@/m.test(head) && (/^--- /m.test(head) || /^\+\+\+ /m.test(head) || /^@@ -\d/m.test(head));
}

function isTable(v) {
  return Array.isArray(v) && v.length > 0 && v.every(isPlainObject);
}

/** Which rendering a value gets: table | diff | tree | text. */
export function renderKind(value) {
  if (typeof value === 'string') return looksLikeDiff(value) ? 'diff' : 'text';
  if (isTable(value)) return 'table';
  if (isPlainObject(value)) {
    for (const v of Object.values(value)) if (typeof v === 'string' && looksLikeDiff(v)) return 'diff';
    return 'tree';
  }
  if (Array.isArray(value)) return 'tree';
  return 'text';
}

/** The tool-output element for a value (data-render says which view). */
export function renderOutput(value) {
  const kind = renderKind(value);
  const el = h('div', { class: ['output', `output-${kind}`], testid: 'tool-output', dataset: { render: kind } });
  if (kind === 'text') {
    el.appendChild(longText(value === undefined ? '' : typeof value === 'string' ? value : jsonText(value)));
  } else if (kind === 'table') {
    el.appendChild(table(value));
  } else if (kind === 'diff') {
    if (typeof value === 'string') {
      el.appendChild(diffView(value));
    } else {
      const entries = Object.entries(value);
      const [name, text] = entries.find(([, v]) => typeof v === 'string' && looksLikeDiff(v));
      el.appendChild(h('div', { class: 'output-label' }, name));
      el.appendChild(diffView(text));
      const rest = Object.fromEntries(entries.filter(([k]) => k !== name));
      if (Object.keys(rest).length) el.appendChild(tree(rest, { open: true }));
    }
  } else {
    el.appendChild(tree(value, { open: true }));
  }
  return el;
}

function cellText(v) {
  if (v === null) return 'null';
  if (v === undefined) return '';
  if (typeof v === 'string') return shorten(v, CELL_LIMIT);
  if (typeof v === 'object') return shorten(JSON.stringify(v), CELL_LIMIT);
  return String(v);
}

/** A table of an array of objects: at most ROW_LIMIT rows at a time, "Show more" for the next ones. */
export function table(rows, { columns: fixed } = {}) {
  const columns = fixed || [];
  if (!fixed) {
    for (const row of rows.slice(0, ROW_LIMIT)) {
      for (const key of Object.keys(row)) {
        if (!columns.includes(key) && columns.length < MAX_COLUMNS) columns.push(key);
      }
    }
  }
  const tbody = h('tbody');
  const wrap = h('div', { class: 'table-wrap' },
    h('table', { class: 'data' },
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))),
      tbody));
  let shown = 0;
  let more = null;
  const next = () => {
    const end = Math.min(rows.length, shown + ROW_LIMIT);
    for (let i = shown; i < end; i++) {
      const row = rows[i];
      tbody.appendChild(h('tr', null, columns.map((c) => {
        const v = row[c];
        return h('td', { class: typeof v === 'number' ? 'num' : null }, cellText(v));
      })));
    }
    shown = end;
    if (shown < rows.length) {
      if (!more) {
        more = h('button', { type: 'button', class: 'link show-more', testid: 'show-more', on: { click: next } });
        wrap.appendChild(more);
      }
      more.textContent = `Show more rows (${rows.length - shown} left)`;
    } else if (more) {
      more.remove();
      more = null;
    }
  };
  next();
  return wrap;
}

/** A unified diff with added/removed/hunk lines coloured; long diffs in chunks of lines. */
export function diffView(text) {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const pre = h('pre', { class: 'diff' });
  const wrap = h('div', { class: 'long-text' }, pre);
  let shown = 0;
  let more = null;
  const chunkLines = 1500;
  const next = () => {
    const end = Math.min(lines.length, shown + chunkLines);
    const frag = document.createDocumentFragment();
    for (let i = shown; i < end; i++) {
      const line = lines[i].length > TEXT_LIMIT ? lines[i].slice(0, TEXT_LIMIT) + '…' : lines[i];
      let cls = 'ctx';
      if (line.startsWith('+++') || line.startsWith('---')) cls = 'file';
      else if (line.startsWith('@@')) cls = 'hunk';
      else if (line.startsWith('+')) cls = 'add';
      else if (line.startsWith('-')) cls = 'del';
      else if (line.startsWith('\\')) cls = 'note';
      frag.appendChild(h('span', { class: `dl ${cls}` }, line + '\n'));
    }
    pre.appendChild(frag);
    shown = end;
    if (shown < lines.length) {
      if (!more) {
        more = h('button', { type: 'button', class: 'link show-more', testid: 'show-more', on: { click: next } });
        wrap.appendChild(more);
      }
      more.textContent = `Show more (${lines.length - shown} lines left)`;
    } else if (more) {
      more.remove();
      more = null;
    }
  };
  next();
  return wrap;
}

function scalar(v) {
  if (v === null) return h('span', { class: 'j-null' }, 'null');
  if (typeof v === 'string') {
    if (v.length > 300 || v.includes('\n')) {
      return h('span', { class: 'j-str j-long' }, longText(v, { className: 'text inline' }));
    }
    return h('span', { class: 'j-str' }, JSON.stringify(v));
  }
  if (typeof v === 'number') return h('span', { class: 'j-num' }, String(v));
  if (typeof v === 'boolean') return h('span', { class: 'j-bool' }, String(v));
  return h('span', null, String(v));
}

function preview(v) {
  if (Array.isArray(v)) return `[${v.length} item${v.length === 1 ? '' : 's'}]`;
  const keys = Object.keys(v);
  return `{${shorten(keys.slice(0, 6).join(', '), 80)}${keys.length > 6 ? ', …' : ''}}`;
}

/**
 * A collapsible JSON tree. Children are built only when a node is opened, and in chunks of 200.
 */
export function tree(value, { open = false, label = null } = {}) {
  if (value === null || typeof value !== 'object') {
    return h('div', { class: 'tree' }, label !== null ? h('span', { class: 'j-key' }, label + ': ') : null, scalar(value));
  }
  return h('div', { class: 'tree' }, node(label, value, open));
}

function node(label, value, open) {
  const summary = h('summary', null,
    label !== null ? h('span', { class: 'j-key' }, label) : null,
    label !== null ? ': ' : null,
    h('span', { class: 'j-preview' }, preview(value)));
  const details = h('details', { class: 'j-node' }, summary);
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    const list = h('ul', { class: 'j-children' });
    details.appendChild(list);
    if (isTable(value) && value.length > 1) {
      const asTable = h('button', { type: 'button', class: 'link small', on: {
        click: () => { list.replaceWith(table(value)); asTable.remove(); },
      } }, 'View as table');
      details.insertBefore(asTable, list);
    }
    let shown = 0;
    let more = null;
    const next = () => {
      const end = Math.min(entries.length, shown + TREE_CHUNK);
      for (let i = shown; i < end; i++) {
        const [k, v] = entries[i];
        list.appendChild(h('li', null, v !== null && typeof v === 'object'
          ? node(k, v, false)
          : [h('span', { class: 'j-key' }, k), ': ', scalar(v)]));
      }
      shown = end;
      if (shown < entries.length) {
        if (!more) {
          more = h('button', { type: 'button', class: 'link show-more', testid: 'show-more', on: { click: next } });
          list.after(more);
        }
        more.textContent = `Show more (${entries.length - shown} left)`;
      } else if (more) {
        more.remove();
        more = null;
      }
    };
    next();
  };
  details.addEventListener('toggle', () => { if (details.open) build(); });
  if (open) { details.open = true; build(); }
  return details;
}

/** Raw JSON as text, in chunks. */
export function rawJson(value) {
  return longText(jsonText(value), { className: 'text raw' });
}
