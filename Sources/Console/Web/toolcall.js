// A tool call card: tool id, inputs, status, duration, typed output, errors with alternatives,
// artifacts, raw JSON, cancel.

import { h, clear, longText, formatDuration, formatBytes, jsonText, shorten, RUN_ID_RE } from './dom.js';
import { api, download } from './api.js';
import { renderOutput, rawJson, tree, isPlainObject } from './render.js';

const running = new Set();
let ticker = 0;

function tick() {
  const now = Date.now();
  for (const call of running) call.showDuration(now);
  if (!running.size) { clearInterval(ticker); ticker = 0; }
}

export function runLink(runId, navigate) {
  if (!runId || !RUN_ID_RE.test(runId)) return h('span', { class: 'mono' }, runId || '');
  const path = `/runs/${encodeURIComponent(runId)}`;
  return h('a', { href: path, class: 'mono', on: { click: (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  } } }, shorten(runId, 40));
}

/** Whether `value` is the stream's stand-in for a large output: `{truncated: true, bytes, excerpt}`. */
function isExcerpt(value) {
  return isPlainObject(value) && value.truncated === true && typeof value.excerpt === 'string'
    && typeof value.bytes === 'number';
}

/** Interprets a history ToolCall's `result`: the run result, or the error object with alternatives. */
export function interpretResult(result) {
  if (isPlainObject(result) && result.success === false) {
    return { error: result, alternatives: Array.isArray(result.alternatives) ? result.alternatives : null };
  }
  if (isPlainObject(result) && result.success === true && 'output' in result) {
    return { output: result.output, artifacts: Array.isArray(result.artifacts) ? result.artifacts : null, hasOutput: true };
  }
  if (result === undefined || result === null) return {};
  return { output: result, hasOutput: true };
}

export function statusBadge(status) {
  const s = String(status || 'unknown');
  return h('span', { class: ['badge', `st-${s.replace(/[^a-z_]/gi, '')}`] }, s);
}

/**
 * ctx: {notify, navigate, onUseAlternative(alternative, call)}
 * data: {toolCallId, name, toolId, runId, arguments, status, createdAt, updatedAt, result}
 */
export class ToolCallView {
  constructor(data, ctx) {
    this.ctx = ctx;
    this.id = data.toolCallId;
    this.name = data.name || 'tool';
    this.toolId = data.toolId || null;
    this.runId = data.runId || null;
    this.arguments = data.arguments;
    this.status = data.status || 'running';
    this.startedAt = data.createdAt || Date.now();
    this.endedAt = null;
    this.liveOutput = [];
    this.raw = { arguments: data.arguments };
    this.build();
    if (data.result !== undefined && data.result !== null) {
      const r = interpretResult(data.result);
      this.raw.result = data.result;
      const code = r.error && isPlainObject(r.error.details) ? r.error.details.code : null;
      if (this.status === 'paused' && (code === 'APPROVAL_REQUIRED' || code === 'MISSING_ENV_VARS')) this.showWaiting(code);
      else this.setOutcome(r);
      this.hasArtifacts = Array.isArray(r.artifacts);
    }
    this.setStatus(this.status, data.updatedAt);
  }

  build() {
    this.statusEl = h('span', { class: 'call-status' });
    this.durationEl = h('span', { class: 'call-duration', testid: 'tool-duration' });
    this.cancelBtn = h('button', { type: 'button', class: 'btn small danger-ghost', testid: 'tool-cancel', hidden: true,
      on: { click: () => this.cancel() } }, 'Cancel');
    this.runEl = h('span', { class: 'call-run' });
    this.outputEl = h('div', { class: 'call-section call-output' });
    this.liveEl = h('div', { class: 'call-section call-live', hidden: true });
    this.errorEl = h('div', { class: 'call-section call-error', hidden: true });
    this.artifactsEl = h('div', { class: 'call-section call-artifacts', hidden: true });
    this.summaryEl = h('div', { class: 'call-summary', testid: 'tool-call-summary' },
      this.inputSection(), this.liveEl, this.outputEl, this.errorEl, this.artifactsEl);
    this.rawEl = h('div', { class: 'call-raw', testid: 'tool-call-raw', hidden: true });
    this.rawToggle = h('button', { type: 'button', class: 'link small', testid: 'tool-call-raw-toggle',
      'aria-expanded': 'false', on: { click: () => this.toggleRaw() } }, 'View raw');
    this.el = h('article', { class: 'call', testid: 'tool-call', tabindex: '-1' },
      h('header', { class: 'call-head' },
        h('span', { class: 'call-icon', 'aria-hidden': 'true' }),
        h('span', { class: 'call-tool mono' }, this.toolId || this.name),
        this.statusEl, this.durationEl),
      h('div', { class: 'call-meta' }, this.toolId && this.name !== this.toolId ? h('span', { class: 'muted' }, this.name) : null, this.runEl, this.cancelBtn),
      this.summaryEl,
      h('footer', { class: 'call-foot' }, this.rawToggle),
      this.rawEl);
    this.updateMeta();
  }

  inputSection() {
    const args = this.arguments;
    const input = isPlainObject(args) && 'input' in args && this.name === 'registry_execute' ? args.input : args;
    this.inputEl = h('div', { class: 'call-section call-input' }, h('h4', null, 'Input'));
    if (input === undefined || input === null || (isPlainObject(input) && !Object.keys(input).length)) {
      this.inputEl.appendChild(h('p', { class: 'muted small' }, 'No input'));
    } else if (isPlainObject(input)) {
      const list = h('dl', { class: 'kv' });
      for (const [k, v] of Object.entries(input).slice(0, 12)) {
        const text = typeof v === 'string' ? v : jsonText(v, 0);
        list.append(h('dt', null, k), h('dd', { class: 'mono' }, shorten(text, 200)));
      }
      this.inputEl.appendChild(list);
    } else {
      this.inputEl.appendChild(h('p', { class: 'mono small' }, shorten(jsonText(input, 0), 300)));
    }
    return this.inputEl;
  }

  updateMeta() {
    const el = this.el;
    el.dataset.status = this.status;
    el.dataset.toolId = this.toolId || this.name;
    if (this.runId) el.dataset.runId = this.runId;
    clear(this.runEl);
    if (this.runId) this.runEl.append('run ', runLink(this.runId, this.ctx.navigate));
  }

  update(data) {
    if (data.toolId) this.toolId = data.toolId;
    if (data.runId) this.runId = data.runId;
    if (data.name) this.name = data.name;
    const toolEl = this.el.querySelector('.call-tool');
    toolEl.textContent = this.toolId || this.name;
    this.updateMeta();
  }

  setStatus(status, updatedAt) {
    this.status = status;
    clear(this.statusEl).appendChild(statusBadge(status));
    const live = status === 'running';
    this.cancelBtn.hidden = !(live || status === 'paused') || !this.runId;
    if (live) {
      this.endedAt = null;
      running.add(this);
      if (!ticker) ticker = setInterval(tick, 250);
    } else {
      running.delete(this);
      if (status !== 'paused') this.endedAt = updatedAt || this.endedAt || Date.now();
    }
    this.showDuration(Date.now());
    this.updateMeta();
    if (this.onStatus) this.onStatus(status);
  }

  showDuration(now) {
    const end = this.endedAt || (this.status === 'running' || this.status === 'paused' ? now : this.startedAt);
    const ms = end - this.startedAt;
    this.durationEl.textContent = formatDuration(ms) + (this.status === 'running' ? ' …' : '');
  }

  addLiveOutput(data) {
    if (this.liveOutput.length >= 200) return;
    this.liveOutput.push(data);
    if (this.liveEl.hidden) {
      this.liveEl.hidden = false;
      this.liveEl.appendChild(h('h4', null, 'Progress'));
      this.liveList = h('ol', { class: 'live-list' });
      this.liveEl.appendChild(this.liveList);
    }
    const text = typeof data === 'string' ? data : jsonText(data, 0);
    this.liveList.appendChild(h('li', { class: 'mono small' }, shorten(text, 400)));
  }

  /** {output, hasOutput, error, alternatives, artifacts} */
  setOutcome(r) {
    clear(this.outputEl);
    if (r.hasOutput) {
      this.outputEl.append(h('h4', null, 'Output'), renderOutput(r.output));
      this.liveEl.hidden = true;
    }
    clear(this.errorEl);
    this.errorEl.hidden = !r.error;
    if (r.error) this.renderError(r.error, r.alternatives);
    if (r.artifacts) this.showArtifacts(r.artifacts);
  }

  showWaiting(code) {
    clear(this.outputEl).appendChild(h('p', { class: 'small waiting' },
      code === 'APPROVAL_REQUIRED' ? 'Waiting for an approval (see the conversation).' : 'Waiting for credentials (see the conversation).'));
  }

  renderError(error, alternatives) {
    const details = isPlainObject(error) && isPlainObject(error.details) ? error.details : {};
    const code = details.code || 'ERROR';
    const message = isPlainObject(error) && typeof error.error === 'string' ? error.error : String(error);
    this.errorEl.append(
      h('h4', null, 'Error'),
      h('p', { class: 'error-line' }, h('span', { class: 'code-pill' }, code), ' ', message));
    if (details.hint) this.errorEl.appendChild(h('p', { class: 'muted small' }, details.hint));
    if (Array.isArray(alternatives)) {
      if (!alternatives.length) {
        this.errorEl.appendChild(h('p', { class: 'muted small' }, 'No other tool in the registry does this.'));
      } else {
        this.errorEl.appendChild(this.alternativesTable(alternatives));
      }
    }
  }

  alternativesTable(alternatives) {
    const rows = alternatives.slice(0, 50).map((alt) => {
      const id = String(alt && alt.id || '');
      const required = Array.isArray(alt.requiredEnvVars) ? alt.requiredEnvVars : [];
      const missing = new Set(Array.isArray(alt.missingEnvVars) ? alt.missingEnvVars.map((m) => (typeof m === 'string' ? m : m && m.name)) : []);
      const keys = h('td', { class: 'keys' });
      const names = required.map((r) => (typeof r === 'string' ? r : r && r.name)).filter(Boolean);
      for (const m of missing) if (m && !names.includes(m)) names.push(m);
      if (!names.length) keys.appendChild(h('span', { class: 'muted' }, 'none'));
      for (const name of names) {
        const isMissing = missing.has(name) || required.some((r) => r && r.name === name && r.missing);
        keys.appendChild(h('span', { class: ['key-chip', isMissing ? 'missing' : 'present'], title: isMissing ? 'missing' : 'available' }, name));
      }
      const runnable = alt.runnable === true;
      return h('tr', { testid: 'alternative-row', dataset: { toolId: id } },
        h('td', { class: 'alt-tool' }, h('div', { class: 'mono strong' }, id, ' ', alt.runnable === undefined ? null : statusBadge(runnable ? 'runnable' : 'not runnable')),
          alt.title ? h('div', { class: 'small' }, shorten(alt.title, 80)) : null,
          alt.description ? h('div', { class: 'small muted', title: shorten(alt.description, 600) }, shorten(alt.description, 90)) : null),
        keys,
        h('td', null, h('button', { type: 'button', class: 'btn small', testid: 'alternative-pick',
          on: { click: () => this.ctx.onUseAlternative && this.ctx.onUseAlternative(alt, this) } }, 'Use this')));
    });
    return h('div', { class: 'alternatives' },
      h('h4', null, 'Alternatives'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data', testid: 'alternatives-table' },
        h('thead', null, h('tr', null, ['Tool', 'Keys', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows))));
  }

  finish(data) {
    this.update(data);
    if (data.isError) {
      this.raw.error = data.error;
      this.raw.alternatives = data.alternatives;
      this.setOutcome({ error: data.error || { error: 'The tool failed', details: { code: 'TOOL_FAILED' } }, alternatives: data.alternatives || null });
    } else {
      this.raw.output = data.output;
      this.setOutcome({ output: data.output, hasOutput: 'output' in data });
    }
    this.setStatus(data.status || (data.isError ? 'failed' : 'completed'));
    this.loadRun();
  }

  /** Reads the run for its artifacts and exact duration. */
  async loadRun() {
    if (!this.runId || this.runLoaded || !RUN_ID_RE.test(this.runId)) return;
    this.runLoaded = true;
    try {
      const run = await api(`/api/runs/${encodeURIComponent(this.runId)}`);
      if (run && typeof run.createdAt === 'number' && typeof run.updatedAt === 'number' && this.status !== 'running') {
        this.startedAt = run.createdAt;
        this.endedAt = run.updatedAt;
        this.showDuration(Date.now());
      }
      const artifacts = run && isPlainObject(run.result) && Array.isArray(run.result.artifacts) ? run.result.artifacts : [];
      // A large output reaches the stream as an excerpt ({truncated, bytes, excerpt}); the run holds it whole.
      if (run && isPlainObject(run.result) && isExcerpt(this.raw.output) && 'output' in run.result) {
        this.raw.output = run.result.output;
        this.setOutcome({ output: run.result.output, hasOutput: true });
      } else if (run && isPlainObject(run.result) && isExcerpt(this.raw.error) && run.result.success === false) {
        this.raw.error = run.result;
        this.setOutcome({ error: run.result, alternatives: this.raw.alternatives || null });
      }
      if (artifacts.length) this.showArtifacts(artifacts);
    } catch (e) {
      if (e && e.status === 401) return;
      // The run may be gone (retention): the card still shows what the conversation kept.
    }
  }

  showArtifacts(artifacts) {
    clear(this.artifactsEl);
    if (!artifacts.length) { this.artifactsEl.hidden = true; return; }
    this.artifactsEl.hidden = false;
    this.artifactsEl.appendChild(h('h4', null, 'Artifacts'));
    const list = h('ul', { class: 'artifacts' });
    for (const a of artifacts.slice(0, 100)) {
      if (!a || typeof a.path !== 'string') continue;
      const name = a.path.split('/').pop() || 'artifact';
      list.appendChild(h('li', null,
        h('button', { type: 'button', class: 'btn small', testid: 'artifact-download', dataset: { path: a.path },
          on: { click: async (e) => {
            const btn = e.currentTarget;
            btn.disabled = true;
            try {
              await download(`/api/runs/${encodeURIComponent(this.runId)}/artifact?path=${encodeURIComponent(a.path)}`, name);
            } catch (err) {
              this.ctx.notify(err);
            } finally { btn.disabled = false; }
          } } }, '↓ ', a.path),
        h('span', { class: 'muted small' }, ` ${formatBytes(a.bytes)}${a.redacted ? ' · redacted' : ''}`),
        a.sha256 ? h('span', { class: 'mono small muted', title: a.sha256 }, ` sha256:${String(a.sha256).slice(0, 12)}…`) : null));
    }
    this.artifactsEl.appendChild(list);
  }

  toggleRaw() {
    const open = this.rawEl.hidden;
    this.rawEl.hidden = !open;
    this.rawToggle.textContent = open ? 'Hide raw' : 'View raw';
    this.rawToggle.setAttribute('aria-expanded', String(open));
    if (open) {
      clear(this.rawEl).appendChild(rawJson({
        toolCallId: this.id, name: this.name, toolId: this.toolId, runId: this.runId, status: this.status, ...this.raw,
      }));
    }
  }

  async cancel() {
    if (!this.runId) return;
    this.cancelBtn.disabled = true;
    try {
      await api(`/api/runs/${encodeURIComponent(this.runId)}/cancel`, { method: 'POST', body: {} });
    } catch (e) {
      this.ctx.notify(e);
    } finally {
      this.cancelBtn.disabled = false;
    }
  }

  destroy() { running.delete(this); }
}

export { tree };
