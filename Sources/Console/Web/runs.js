// The runs view: a filtered list, and one run's timeline (live while it runs).

import { h, put, clear, formatTime, formatDuration, shorten, jsonText, RUN_ID_RE } from './dom.js';
import { api, stream, download, ApiError } from './api.js';
import { statusBadge, runLink } from './toolcall.js';
import { renderOutput, tree, isPlainObject } from './render.js';
import { formatBytes } from './dom.js';

const STATUSES = ['all', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted'];

export function runsView(ctx, initialStatus) {
  let destroyed = false;
  let next = null;
  const filter = h('select', { class: 'input', testid: 'runs-filter', 'aria-label': 'Filter by status',
    on: { change: () => { reload(); } } },
    STATUSES.map((s) => h('option', { value: s === 'all' ? '' : s }, s === 'all' ? 'All statuses' : s)));
  filter.value = STATUSES.includes(initialStatus) && initialStatus !== 'all' ? initialStatus : '';
  const refresh = h('button', { type: 'button', class: 'btn ghost', on: { click: () => reload() } }, 'Refresh');
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn ghost', testid: 'runs-more', hidden: true, on: { click: () => page() } }, 'Load more');
  const empty = h('p', { class: 'muted empty-state', hidden: true }, 'No runs yet. Runs appear here when a conversation or an API client runs a tool.');
  const el = h('section', { class: 'view runs' },
    h('header', { class: 'view-head' },
      h('div', null, h('h2', null, 'Runs'), h('p', { class: 'muted small' }, 'Every tool execution is a run with an ordered timeline.')),
      h('div', { class: 'view-actions' }, filter, refresh)),
    h('div', { class: 'table-wrap card' },
      h('table', { class: 'data runs-table' },
        h('thead', null, h('tr', null, ['Run', 'Tool', 'Status', 'Step', 'User', 'Started', 'Duration'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody)),
    empty, more);

  function row(r) {
    const id = String(r.id || '');
    const dur = typeof r.updatedAt === 'number' && typeof r.createdAt === 'number' ? r.updatedAt - r.createdAt : null;
    return h('tr', { testid: 'run-row', dataset: { status: r.status, runId: id }, class: 'clickable',
      on: { click: (e) => { if (e.target.closest('a')) return; if (RUN_ID_RE.test(id)) ctx.navigate(`/runs/${encodeURIComponent(id)}`); } } },
      h('td', null, runLink(id, ctx.navigate)),
      h('td', null, h('span', { class: 'mono' }, r.toolId || ''), r.toolVersion ? h('span', { class: 'muted small' }, ` ${r.toolVersion}`) : null),
      h('td', null, statusBadge(r.status)),
      h('td', { class: 'small' }, r.step || ''),
      h('td', { class: 'small' }, r.user || ''),
      h('td', { class: 'small' }, formatTime(r.createdAt)),
      h('td', { class: 'small num' }, dur === null ? '' : formatDuration(dur)));
  }

  let token = 0;
  async function page(reset) {
    const mine = ++token;
    const params = new URLSearchParams({ limit: '50' });
    if (filter.value) params.set('status', filter.value);
    if (!reset && next) params.set('before', String(next));
    more.disabled = true;
    try {
      const res = await api(`/api/runs?${params}`);
      if (destroyed || mine !== token) return;
      if (reset) clear(tbody);
      const runs = Array.isArray(res.runs) ? res.runs : [];
      for (const r of runs) tbody.appendChild(row(r));
      next = res.next ?? null;
      more.hidden = next === null || next === undefined;
      empty.hidden = tbody.children.length > 0;
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      ctx.notify(e);
    } finally {
      more.disabled = false;
    }
  }

  function reload() {
    next = null;
    const path = filter.value ? `/runs?status=${encodeURIComponent(filter.value)}` : '/runs';
    history.replaceState(null, '', path);
    page(true);
  }

  page(true);
  return { el, destroy() { destroyed = true; } };
}

function eventSummary(e) {
  const d = isPlainObject(e.data) ? e.data : {};
  if (e.type === 'egress.connection') {
    // DESIGN §11: one connection through the egress proxy.
    const where = `${d.method || '?'} ${d.host || '?'}:${d.port ?? '?'}`;
    const why = d.addressRefusal ? `${d.reason}: ${d.address} is ${d.addressRefusal}` : d.reason;
    const bytes = d.verdict === 'allowed' ? ` · ${d.bytesUp ?? 0} B up, ${d.bytesDown ?? 0} B down` : '';
    return shorten(`${where} ${d.verdict} (${why})${bytes}`, 200);
  }
  const bits = [];
  for (const k of ['step', 'decision', 'reason', 'status', 'exitCode', 'wallMs', 'code', 'by', 'approvedBy', 'attempt']) {
    if (d[k] !== undefined && d[k] !== null && typeof d[k] !== 'object') bits.push(`${k}: ${d[k]}`);
  }
  if (Array.isArray(d.names)) bits.push(`names: ${d.names.join(', ')}`);
  if (Array.isArray(d.scopes)) bits.push(`scopes: ${d.scopes.join(', ') || 'none'}`);
  if (isPlainObject(d.error) && d.error.error) bits.push(String(d.error.error));
  if (isPlainObject(d.details) && d.details.code) bits.push(`code: ${d.details.code}`);
  return shorten(bits.join(' · '), 200);
}

export function runDetailView(ctx, runId) {
  let destroyed = false;
  const ctrls = new Set();
  const seen = new Set();
  let lastSeq = null;
  let t0 = null;
  const headEl = h('header', { class: 'view-head' },
    h('div', null, h('h2', { class: 'mono' }, shorten(runId, 60)), h('p', { class: 'muted small' }, 'Loading…')));
  const summary = h('div', { class: 'run-summary card' });
  const timeline = h('ol', { class: 'run-timeline', testid: 'run-timeline' });
  const result = h('div', { class: 'run-result' });
  const toolRuns = h('div', { class: 'run-toolruns' });
  const back = h('a', { href: '/runs', class: 'back', on: { click: (e) => { e.preventDefault(); ctx.navigate('/runs'); } } }, '← All runs');
  const el = h('section', { class: 'view run-detail' }, back, headEl,
    h('div', { class: 'run-grid' },
      h('div', null, h('h3', null, 'Timeline'), timeline),
      h('div', null, summary, result, toolRuns)));

  function addEvent(e) {
    if (!e || typeof e.sequence !== 'number' || seen.has(e.sequence)) return;
    seen.add(e.sequence);
    lastSeq = Math.max(lastSeq ?? 0, e.sequence);
    if (t0 === null) t0 = e.timestamp;
    const open = h('button', { type: 'button', class: 'link small', 'aria-expanded': 'false' }, 'data');
    const dataEl = h('div', { class: 'event-data', hidden: true });
    open.addEventListener('click', () => {
      dataEl.hidden = !dataEl.hidden;
      open.setAttribute('aria-expanded', String(!dataEl.hidden));
      if (!dataEl.hidden && !dataEl.firstChild) dataEl.appendChild(tree(e.data, { open: true }));
    });
    const type = String(e.type || '');
    const kind = type.split('.').pop();
    timeline.appendChild(h('li', { class: ['run-event', `ev-${kind.replace(/[^a-z_]/gi, '')}`], testid: 'run-event', dataset: { type, sequence: String(e.sequence) } },
      h('span', { class: 'ev-dot', 'aria-hidden': 'true' }),
      h('div', { class: 'ev-body' },
        h('div', { class: 'ev-head' },
          h('span', { class: 'ev-seq muted mono small' }, `#${e.sequence}`),
          h('span', { class: 'ev-type mono' }, type),
          h('span', { class: 'ev-time muted small', title: formatTime(e.timestamp) },
            typeof e.timestamp === 'number' && typeof t0 === 'number' ? `+${formatDuration(e.timestamp - t0)}` : ''),
          e.data !== undefined && e.data !== null ? open : null),
        h('div', { class: 'ev-summary small muted' }, eventSummary(e)),
        dataEl)));
  }

  function renderRun(run) {
    const dur = run.updatedAt - run.createdAt;
    clear(headEl).append(h('div', null,
      h('h2', null, h('span', { class: 'mono' }, run.toolId || ''), ' ', statusBadge(run.status)),
      h('p', { class: 'muted small mono' }, run.id)));
    const kv = h('dl', { class: 'kv' });
    const add = (k, v) => { if (v !== undefined && v !== null && v !== '') kv.append(h('dt', null, k), h('dd', null, v)); };
    add('Tool', `${run.toolId || ''}@${run.toolVersion || ''}`);
    add('Status', statusBadge(run.status));
    add('Step', run.step);
    add('User', run.user);
    add('Started', formatTime(run.createdAt));
    add('Duration', isFinite(dur) ? formatDuration(dur) : '');
    add('Input digest', run.inputDigest ? h('span', { class: 'mono digest' }, run.inputDigest) : null);
    add('Package', run.packageDigest ? h('span', { class: 'mono digest' }, run.packageDigest) : null);
    if (run.replayOf) add('Replay of', runLink(run.replayOf, ctx.navigate));
    const cancel = ['running', 'paused', 'created'].includes(run.status)
      ? h('button', { type: 'button', class: 'btn danger-ghost small', testid: 'run-cancel', on: { click: async () => {
        try { await api(`/api/runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST', body: {} }); load(); } catch (e) { ctx.notify(e); }
      } } }, 'Cancel run') : null;
    put(clear(summary), h('h3', null, 'Run'), kv, cancel,
      h('h4', null, 'Input'), tree(run.input, { open: true }));
    clear(result);
    const r = run.result;
    if (isPlainObject(r)) {
      if (r.success === false) {
        const d = isPlainObject(r.details) ? r.details : {};
        result.append(h('div', { class: 'card call-error' }, h('h3', null, 'Error'),
          h('p', { class: 'error-line' }, h('span', { class: 'code-pill' }, d.code || 'ERROR'), ' ', r.error || '')));
      } else {
        const card = h('div', { class: 'card' }, h('h3', null, 'Output'), renderOutput(r.output));
        const arts = Array.isArray(r.artifacts) ? r.artifacts : [];
        if (arts.length) {
          card.appendChild(h('h4', null, 'Artifacts'));
          card.appendChild(h('ul', { class: 'artifacts' }, arts.slice(0, 100).map((a) => h('li', null,
            h('button', { type: 'button', class: 'btn small', testid: 'artifact-download', dataset: { path: a.path },
              on: { click: async () => {
                try { await download(`/api/runs/${encodeURIComponent(run.id)}/artifact?path=${encodeURIComponent(a.path)}`, String(a.path).split('/').pop()); } catch (e) { ctx.notify(e); }
              } } }, '↓ ', String(a.path)),
            h('span', { class: 'muted small' }, ` ${formatBytes(a.bytes)}${a.redacted ? ' · redacted' : ''}`)))));
        }
        result.appendChild(card);
      }
    }
    clear(toolRuns);
    if (Array.isArray(run.toolRuns) && run.toolRuns.length) {
      toolRuns.appendChild(h('div', { class: 'card' }, h('h3', null, 'Jail executions'),
        h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
          h('thead', null, h('tr', null, ['Attempt', 'Status', 'Exit', 'Signal', 'Wall', 'CPU', 'Max RSS'].map((t) => h('th', null, t)))),
          h('tbody', null, run.toolRuns.map((t) => h('tr', null,
            h('td', null, String(t.attempt ?? '')), h('td', null, statusBadge(t.status)),
            h('td', { class: 'num' }, t.exitCode === null ? '—' : String(t.exitCode)),
            h('td', { class: 'num' }, t.signal === null ? '—' : String(t.signal)),
            h('td', { class: 'num' }, formatDuration(t.wallMs)), h('td', { class: 'num' }, formatDuration(t.cpuMs)),
            h('td', { class: 'num' }, typeof t.maxRssKb === 'number' ? formatBytes(t.maxRssKb * 1024) : ''))))))));
    }
  }

  let following = false;

  async function load() {
    const c = new AbortController();
    ctrls.add(c);
    try {
      const run = await api(`/api/runs/${encodeURIComponent(runId)}`);
      if (destroyed) return;
      renderRun(run);
      for (const e of Array.isArray(run.events) ? run.events : []) addEvent(e);
      if (['created', 'running'].includes(run.status)) live();
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 404) {
        clear(headEl).appendChild(h('div', null, h('h2', null, 'Run not found'), h('p', { class: 'muted' }, runId)));
      }
      ctx.notify(e);
    } finally { ctrls.delete(c); }
  }

  async function live() {
    // One live stream at a time (a cancel re-reads the run while the first is still open).
    if (following) return;
    following = true;
    const c = new AbortController();
    ctrls.add(c);
    try {
      await stream(`/api/runs/${encodeURIComponent(runId)}/events`, {
        lastEventId: lastSeq, signal: c.signal,
        onEvent: (ev) => {
          if (ev.event === 'error') { ctx.notify(new ApiError(0, ev.data && ev.data.error, ev.data && ev.data.details && ev.data.details.code)); return; }
          if (isPlainObject(ev.data)) addEvent(ev.data);
        },
      });
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      ctx.notify(e);
    } finally { ctrls.delete(c); following = false; }
    if (!destroyed) {
      // Re-read the run for its final status, result and executions.
      try { const run = await api(`/api/runs/${encodeURIComponent(runId)}`); if (!destroyed) { renderRun(run); for (const e of run.events || []) addEvent(e); } } catch { /* shown already */ }
    }
  }

  load();
  return { el, destroy() { destroyed = true; for (const c of ctrls) c.abort(); } };
}

export { jsonText };
