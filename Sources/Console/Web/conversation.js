// The conversation view: landing, timeline, live stream, tool activity, plans, pauses, export.

import { h, clear, clipped, longText, formatTime, copyText, UUID_RE, TEXT_LIMIT, shorten, jsonText } from './dom.js';
import { api, stream, download, ApiError } from './api.js';
import { ToolCallView, statusBadge } from './toolcall.js';
import { planPanel, readOnlyPlan } from './plan.js';
import { isPlainObject } from './render.js';

const BASE = '/api/omega/conversations';
const PAGE = 20;
const FINAL = new Set(['complete', 'completed', 'failed', 'cancelled', 'interrupted']);
const TERMINAL = new Set(['message.completed', 'message.failed', 'message.cancelled', 'message.interrupted', 'message.paused']);

export const SAMPLES = [
  { title: 'Measure a text', tool: 'text.stats',
    prompt: 'Count the words in: Omega Exec runs every tool in a jail, records each step as a run, and pauses to ask before anything leaves the box.' },
  { title: 'Compute with Python', tool: 'compute.python',
    prompt: 'Evaluate the python code: sum(n * n for n in range(1, 11))' },
  { title: 'Profile a CSV', tool: 'data.csv_analyze',
    prompt: 'Analyze this CSV data:\ncity,visitors,rating\nLisbon,1200,4.6\nOslo,830,4.8\nKyoto,2100,4.9\nLima,,4.1' },
  { title: 'Find emails and dates', tool: 'text.regex_extract',
    prompt: 'Extract the emails and dates from: Write to ana@example.org before 2027-01-15, or ping ops@example.com on March 3, 2027.' },
  { title: 'Meeting notes to checklist', tool: 'text.to_checklist',
    prompt: 'Turn these meeting notes into a checklist:\nTODO: book the venue for the offsite.\nPlease send the agenda to the team by Friday.\nWe must renew the TLS certificate before it expires.' },
  { title: 'Signed webhook (approval + key)', tool: 'notify.webhook_prepare', plan: true,
    prompt: 'Prepare a signed webhook delivery of event order.created to https://hooks.example.com/omega' },
];

function messageIdOf(event, data) {
  if (!isPlainObject(data)) return null;
  if (event === 'message.completed' && isPlainObject(data.message)) return data.message.id;
  return data.messageId || null;
}

/**
 * ctx: {notify(err|string), navigate(path, {replace}), conversationsChanged(), setTitle(id, title), me}
 */
export function conversationView(ctx, initialId) {
  const st = {
    id: initialId || null,
    detail: null,
    lastEventId: null,
    messages: new Map(),
    order: [],
    calls: new Map(),
    groups: new Map(),
    current: null,
    active: null,
    finalized: new Set(),
    busy: false,
    destroyed: false,
    controllers: new Set(),
    earlier: [],
    prompts: new Map(),
  };

  // ---- layout
  const titleEl = h('h2', { class: 'conv-title' }, 'New conversation');
  const shareBtn = h('button', { type: 'button', class: 'btn ghost small', testid: 'share-link', on: { click: share } }, 'Copy link');
  const exportJson = h('button', { type: 'button', class: 'btn ghost small', testid: 'export-json', on: { click: () => exportAs('json') } }, 'Export JSON');
  const exportMd = h('button', { type: 'button', class: 'btn ghost small', testid: 'export-md', on: { click: () => exportAs('md') } }, 'Export MD');
  const stateEl = h('span', { class: 'conv-state' });
  const actions = h('div', { class: 'conv-actions' }, shareBtn, exportJson, exportMd);
  const head = h('header', { class: 'conv-head' }, h('div', { class: 'conv-head-text' }, titleEl, stateEl), actions);

  const loadEarlierBtn = h('button', { type: 'button', class: 'btn ghost small load-earlier', testid: 'load-earlier', hidden: true,
    on: { click: loadEarlier } }, 'Load earlier messages');
  const landing = buildLanding();
  const list = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite' });
  const timeline = h('div', { class: 'timeline' }, loadEarlierBtn, landing, list);
  const planSlot = h('div', { class: 'plan-slot' });

  const input = h('textarea', { class: 'composer-input', testid: 'composer-input', rows: '3', 'aria-label': 'Message',
    placeholder: 'Ask Omega to do something… (Enter to send, Shift+Enter for a new line)', maxlength: '16384',
    on: { keydown: onComposerKey } });
  const sendBtn = h('button', { type: 'submit', class: 'btn primary', testid: 'send' }, 'Send');
  const planBtn = h('button', { type: 'button', class: 'btn', testid: 'plan-button', on: { click: () => planFirst(input.value) } }, 'Plan first');
  const cancelBtn = h('button', { type: 'button', class: 'btn danger', testid: 'cancel-message', hidden: true,
    on: { click: cancelMessage } }, 'Cancel');
  const composer = h('form', { class: 'composer', on: { submit: (e) => { e.preventDefault(); sendText(); } } },
    input,
    h('div', { class: 'composer-bar' },
      h('span', { class: 'composer-hint muted small' }, 'Enter sends · Shift+Enter new line · Esc cancels'),
      h('div', { class: 'composer-buttons' }, cancelBtn, planBtn, sendBtn)));

  const activityList = h('div', { class: 'activity-list' });
  const activityEmpty = h('p', { class: 'activity-empty muted' }, 'Tool calls appear here as the assistant works: inputs, status, duration and outputs.');
  const activity = h('aside', { class: 'activity', 'aria-label': 'Tool activity' },
    h('header', { class: 'activity-head' }, h('h3', null, 'Tool activity')), activityEmpty, activityList);

  const convMain = h('div', { class: 'conv-main' }, timeline, planSlot, composer);
  const el = h('section', { class: 'view conv' }, head, h('div', { class: 'conv-body' }, convMain, activity));

  const keyHandler = (e) => {
    if (e.key !== 'Escape' || !st.busy || e.defaultPrevented) return;
    // Esc in a prompt or another field closes what the browser shows there (autofill…); and a paused
    // message, which waits for a person, is cancelled only by its button, never by a stray key.
    const target = e.target instanceof Element ? e.target : null;
    if (target && target !== input && (target.closest('.prompt') || target.matches('input, textarea, select'))) return;
    const active = st.active && st.messages.get(st.active);
    if (active && active.el.dataset.status === 'paused') return;
    e.preventDefault();
    cancelMessage();
  };
  document.addEventListener('keydown', keyHandler);

  updateHeader();
  if (st.id) load(); else showLanding(true);

  // ---- header, landing
  function updateHeader() {
    const has = Boolean(st.id);
    actions.hidden = !has;
    const d = st.detail;
    titleEl.textContent = d && d.title ? d.title : 'New conversation';
    document.title = `${d && d.title ? shorten(d.title, 60) + ' · ' : ''}Omega Exec`;
    if (has) shareBtn.dataset.url = `${location.origin}/c/${st.id}`;
    clear(stateEl);
    if (d && d.state && d.state !== 'idle') stateEl.appendChild(statusBadge(d.state));
  }

  function buildLanding() {
    return h('div', { class: 'landing', testid: 'landing', hidden: true },
      h('div', { class: 'landing-mark', 'aria-hidden': 'true' }, 'Ω'),
      h('h3', null, 'What should Omega run for you?'),
      h('p', { class: 'landing-lead' },
        'Omega Exec is a tool appliance: it picks a tool from its registry, runs it in a locked-down jail, ',
        'streams every step here, and pauses to ask you before anything needs a key or leaves the box.'),
      h('ul', { class: 'landing-points' },
        h('li', null, h('strong', null, 'Plan first'), ' shows the options and asks for what is missing.'),
        h('li', null, h('strong', null, 'Approvals and keys'), ' are asked inline; secrets go to your vault, never to the model.'),
        h('li', null, h('strong', null, 'Every call is a run'), ' with a timeline you can open, export or cancel.')),
      h('div', { class: 'samples' }, SAMPLES.map((s) =>
        h('button', { type: 'button', class: 'sample', testid: 'sample-prompt', dataset: { tool: s.tool },
          on: { click: () => { input.value = s.prompt; input.focus(); autosize(); } } },
          h('span', { class: 'sample-title' }, s.title, s.plan ? h('span', { class: 'sample-tag' }, 'try Plan first') : null),
          h('span', { class: 'sample-prompt' }, shorten(s.prompt.replace(/\n/g, ' ⏎ '), 110)),
          h('span', { class: 'sample-tool mono' }, s.tool)))));
  }

  function showLanding(show) { landing.hidden = !show; }

  // ---- loading
  async function load() {
    const ctrl = new AbortController();
    st.controllers.add(ctrl);
    try {
      const detail = await api(`${BASE}/${st.id}`);
      if (st.destroyed) return;
      st.detail = detail;
      updateHeader();
      renderHistory(detail);
      if (detail.state === 'running') {
        const runningMsg = [...detail.messages].reverse().find((m) => m.role === 'assistant' && m.status === 'running');
        st.active = runningMsg ? runningMsg.id : null;
        setBusy(true);
        follow(null);
      } else if (detail.state === 'paused') {
        setBusy(true, true);
      }
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 404) {
        clear(list).appendChild(h('div', { class: 'empty-state' },
          h('h3', null, 'Conversation not found'),
          h('p', { class: 'muted' }, 'It may belong to another user, or the link is mistyped.')));
        composer.hidden = true;
        actions.hidden = true;
      }
      ctx.notify(e);
    } finally {
      st.controllers.delete(ctrl);
    }
  }

  function renderHistory(detail) {
    clear(list);
    const messages = Array.isArray(detail.messages) ? detail.messages : [];
    showLanding(messages.length === 0);
    for (const m of messages) if (m.role === 'assistant' && FINAL.has(m.status)) st.finalized.add(m.id);
    const start = Math.max(0, messages.length - PAGE);
    st.earlier = messages.slice(0, start);
    for (const m of messages.slice(start)) addHistoryMessage(m, false);
    loadEarlierBtn.hidden = st.earlier.length === 0;
    attachStoredPlans(detail);
    attachPendingPrompts(detail);
    scrollToEnd(true);
  }

  function loadEarlier() {
    const batch = st.earlier.splice(Math.max(0, st.earlier.length - PAGE));
    const anchor = list.firstChild;
    const before = timeline.scrollHeight;
    for (const m of batch) addHistoryMessage(m, anchor);
    loadEarlierBtn.hidden = st.earlier.length === 0;
    if (st.detail) attachStoredPlans(st.detail);
    timeline.scrollTop += timeline.scrollHeight - before;
  }

  function addHistoryMessage(m, before) {
    const view = ensureMessage(m.id, m.role, { before, message: m });
    view.text = '';
    setContent(view, m.content || '', true);
    setMessageStatus(view, m.status);
    if (m.error) showMessageError(view, m.error);
    const calls = Array.isArray(m.toolCalls) ? [...m.toolCalls].sort((a, b) => (a.index || 0) - (b.index || 0)) : [];
    for (const c of calls) {
      const call = addCall(view, {
        toolCallId: c.id, name: c.name, toolId: c.toolId, runId: c.runId, arguments: c.arguments,
        status: c.status, createdAt: c.createdAt, updatedAt: c.updatedAt, result: c.result,
      });
      if (c.status === 'completed' && !call.hasArtifacts) call.loadRun();
    }
  }

  function attachStoredPlans(detail) {
    for (const p of Array.isArray(detail.plans) ? detail.plans : []) {
      if (!p.messageId) continue;
      const view = st.messages.get(p.messageId);
      if (!view || view.planShown) continue;
      view.planShown = true;
      view.extras.prepend(readOnlyPlan(p, { chosen: p.chosen }));
    }
  }

  async function attachPendingPrompts(detail) {
    const requests = Array.isArray(detail.credentialRequests) ? detail.credentialRequests : [];
    const pendingRuns = new Set();
    for (const r of requests) {
      if (r.status !== 'pending') continue;
      pendingRuns.add(r.runId);
      const view = st.messages.get(r.messageId);
      if (view) showCredentialPrompt(view, { credentialRequestId: r.id, missingVars: r.missingVars, toolId: r.toolId, runId: r.runId });
    }
    // A paused call that waits on no credential request waits on an approval.
    for (const m of detail.messages || []) {
      if (m.role !== 'assistant' || m.status !== 'paused') continue;
      const view = st.messages.get(m.id);
      if (!view) continue;
      for (const c of m.toolCalls || []) {
        if (c.status !== 'paused' || !c.runId || pendingRuns.has(c.runId)) continue;
        let details = isPlainObject(c.result) && isPlainObject(c.result.details) && c.result.details.code === 'APPROVAL_REQUIRED'
          ? c.result.details : null;
        if (!details) details = await approvalDetailsFromRun(c.runId);
        if (st.destroyed) return;
        if (details) showApprovalCard(view, { runId: c.runId, toolId: c.toolId, error: { details } });
      }
    }
  }

  async function approvalDetailsFromRun(runId) {
    try {
      const run = await api(`/api/runs/${encodeURIComponent(runId)}`);
      const events = Array.isArray(run.events) ? run.events : [];
      const asked = [...events].reverse().find((e) => e.type === 'approval.requested');
      if (!asked) return null;
      const data = isPlainObject(asked.data) ? asked.data : {};
      return isPlainObject(data.details) ? data.details : data;
    } catch {
      return null;
    }
  }

  // ---- messages
  function ensureMessage(id, role, { before = null, message = null } = {}) {
    let view = st.messages.get(id);
    if (view) return view;
    const content = h('div', { class: 'msg-content', testid: 'message-content' });
    const textNode = document.createTextNode('');
    content.appendChild(textNode);
    const statusEl = h('span', { class: 'msg-status' });
    const extras = h('div', { class: 'msg-extras' });
    const chips = h('div', { class: 'msg-chips' });
    const pause = h('div', { class: 'msg-pause' });
    const errorEl = h('div', { class: 'msg-error', hidden: true });
    const who = role === 'user' ? (message && message.author ? message.author : 'You') : 'Omega';
    const el = h('article', { class: ['msg', `msg-${role}`], testid: 'message', dataset: { role, status: message ? message.status : 'running', messageId: id } },
      h('div', { class: 'msg-avatar', 'aria-hidden': 'true' }, role === 'user' ? String(who).slice(0, 1).toUpperCase() : 'Ω'),
      h('div', { class: 'msg-body' },
        h('div', { class: 'msg-meta' }, h('span', { class: 'msg-who' }, who),
          h('span', { class: 'muted small' }, formatTime(message ? message.createdAt : Date.now())), statusEl),
        extras, content, chips, pause, errorEl));
    view = { id, role, author: who, el, content, textNode, text: '', statusEl, extras, chips, pause, errorEl, calls: [], more: null };
    st.messages.set(id, view);
    if (before) list.insertBefore(el, before);
    else list.appendChild(el);
    const idx = before ? st.order.indexOf(before.dataset.messageId) : -1;
    if (idx >= 0) st.order.splice(idx, 0, id); else st.order.push(id);
    showLanding(false);
    return view;
  }

  function setContent(view, text, final) {
    view.text = text;
    if (view.more) { view.more.remove(); view.more = null; }
    if (final && text.length > TEXT_LIMIT) {
      clear(view.content).appendChild(longText(text, { tag: 'div', className: 'msg-text' }));
      view.textNode = null;
      return;
    }
    if (!view.textNode) { clear(view.content); view.textNode = document.createTextNode(''); view.content.appendChild(view.textNode); }
    view.textNode.data = clipped(text);
  }

  function appendToken(view, piece) {
    const before = view.text.length;
    view.text += piece;
    if (!view.textNode) return setContent(view, view.text, false);
    if (before < TEXT_LIMIT) view.textNode.appendData(piece.slice(0, TEXT_LIMIT - before));
  }

  function setMessageStatus(view, status) {
    view.el.dataset.status = status;
    clear(view.statusEl);
    if (view.role === 'assistant' && status && status !== 'complete') view.statusEl.appendChild(statusBadge(status));
    view.el.classList.toggle('is-running', status === 'running');
  }

  function showMessageError(view, error) {
    const details = isPlainObject(error) && isPlainObject(error.details) ? error.details : {};
    clear(view.errorEl).append(h('span', { class: 'code-pill' }, details.code || 'ERROR'), ' ',
      isPlainObject(error) && error.error ? error.error : 'The message failed.');
    view.errorEl.hidden = false;
  }

  // ---- tool calls
  function groupFor(view) {
    let group = st.groups.get(view.id);
    if (group) return group;
    const n = st.order.indexOf(view.id);
    group = h('section', { class: 'act-group', dataset: { messageId: view.id } },
      h('div', { class: 'act-group-head muted small' }, `Reply ${n >= 0 ? Math.ceil((n + 1) / 2) : ''}`.trim(), ' · ', formatTime(Date.now())));
    // Keep groups in timeline order.
    let next = null;
    for (let i = n + 1; i < st.order.length && n >= 0; i++) {
      const g = st.groups.get(st.order[i]);
      if (g) { next = g; break; }
    }
    activityList.insertBefore(group, next);
    st.groups.set(view.id, group);
    activityEmpty.hidden = true;
    return group;
  }

  function addCall(view, data) {
    let call = st.calls.get(data.toolCallId);
    if (call) { call.update(data); return call; }
    call = new ToolCallView(data, {
      notify: ctx.notify, navigate: ctx.navigate,
      onUseAlternative: (alt) => useAlternative(alt, view),
    });
    st.calls.set(data.toolCallId, call);
    groupFor(view).appendChild(call.el);
    const chip = h('button', { type: 'button', class: 'chip', title: 'Show this call in the activity panel',
      on: { click: () => {
        call.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
        call.el.classList.remove('flash'); void call.el.offsetWidth; call.el.classList.add('flash');
        call.el.focus({ preventScroll: true });
      } } });
    const paint = (status) => {
      clear(chip).append(h('span', { class: ['dot', `st-${status}`] }), h('span', { class: 'mono' }, call.toolId || call.name), ` · ${status}`);
    };
    call.onStatus = paint;
    paint(call.status);
    view.chips.appendChild(chip);
    view.calls.push(call);
    return call;
  }

  // ---- events
  function handle(ev) {
    if (st.destroyed) return;
    if (typeof ev.id === 'number') st.lastEventId = ev.id;
    const d = ev.data;
    switch (ev.event) {
      case 'message.created': {
        const aid = d.assistantMessageId;
        if (st.finalized.has(aid)) { st.current = null; return; }
        const um = d.userMessage;
        if (isPlainObject(um) && um.id && !st.messages.has(um.id)) {
          const v = ensureMessage(um.id, 'user', { message: um });
          setContent(v, um.content || '', true);
          setMessageStatus(v, um.status || 'complete');
        }
        const view = ensureMessage(aid, 'assistant');
        setContent(view, '', false);
        setMessageStatus(view, 'running');
        st.current = aid;
        st.active = aid;
        setBusy(true);
        scrollToEnd();
        return;
      }
      case 'message.resumed': {
        if (st.finalized.has(d.messageId)) { st.current = null; return; }
        st.current = d.messageId;
        st.active = d.messageId;
        const view = st.messages.get(d.messageId);
        if (view) {
          setMessageStatus(view, 'running');
          resolvePrompts(view, d);
        }
        setBusy(true);
        return;
      }
      case 'error':
        ctx.notify(new ApiError(0, d && d.error ? d.error : 'The stream failed.', d && d.details ? d.details.code : 'ERROR', d && d.details));
        return;
      default:
        break;
    }
    const view = st.current ? st.messages.get(st.current) : null;
    const mid = messageIdOf(ev.event, d);
    if (mid && st.finalized.has(mid) && ev.event !== 'message.completed') return;
    switch (ev.event) {
      case 'plan':
        if (view && !view.planShown && isPlainObject(d)) { view.planShown = true; view.extras.prepend(readOnlyPlan(d)); }
        return;
      case 'token':
        if (view && d && typeof d.text === 'string') { appendToken(view, d.text); scrollToEnd(); }
        return;
      case 'tool.started':
        if (view) { const c = addCall(view, { ...d, status: 'running', createdAt: Date.now() }); if (c.status !== 'running') c.setStatus('running'); }
        return;
      case 'tool.output': {
        const c = st.calls.get(d.toolCallId);
        if (c && view) c.addLiveOutput(d.data);
        return;
      }
      case 'tool.finished': {
        if (!view) return;
        let c = st.calls.get(d.toolCallId);
        if (!c) c = addCall(view, { ...d, status: 'running' });
        c.finish(d);
        return;
      }
      case 'pause': {
        const target = st.messages.get(d.messageId) || view;
        if (!target) return;
        const c = st.calls.get(d.toolCallId);
        if (c) { c.update(d); c.setStatus('paused'); c.showWaiting(d.kind === 'approval' ? 'APPROVAL_REQUIRED' : 'MISSING_ENV_VARS'); }
        if (d.kind === 'credentials') showCredentialPrompt(target, d);
        else if (d.kind === 'approval') showApprovalCard(target, d);
        scrollToEnd();
        return;
      }
      case 'message.paused': {
        const target = st.messages.get(d.messageId);
        if (target) setMessageStatus(target, 'paused');
        if (d.messageId === st.active) setBusy(true, true);
        return;
      }
      case 'message.completed': {
        const m = d.message;
        if (!isPlainObject(m)) return;
        if (st.finalized.has(m.id) && st.active !== m.id) return;
        const target = st.messages.get(m.id);
        if (target) {
          setContent(target, m.content || target.text, true);
          setMessageStatus(target, m.status || 'complete');
          for (const c of target.calls) if (c.status === 'running' || c.status === 'paused') c.setStatus('completed');
        }
        st.finalized.add(m.id);
        if (d.title && st.detail) st.detail.title = d.title;
        if (d.title) { if (!st.detail) st.detail = { title: d.title }; updateHeader(); ctx.setTitle(st.id, d.title); }
        finishActive(m.id);
        return;
      }
      case 'message.failed':
      case 'message.cancelled':
      case 'message.interrupted': {
        const status = ev.event.slice('message.'.length);
        const target = st.messages.get(d.messageId);
        if (target) {
          setMessageStatus(target, status);
          setContent(target, target.text, true);
          if (d.error) showMessageError(target, d.error);
          if (ev.event === 'message.interrupted' && d.reason) showMessageError(target, { error: d.reason, details: { code: 'INTERRUPTED' } });
          for (const c of target.calls) if (c.status === 'running' || c.status === 'paused') c.setStatus(status === 'failed' ? 'failed' : status);
          clear(target.pause);
        }
        st.finalized.add(d.messageId);
        finishActive(d.messageId);
        return;
      }
      default:
        return;
    }
  }

  function finishActive(id) {
    if (id === st.active) {
      st.current = null;
      setBusy(false);
      ctx.conversationsChanged();
    }
  }

  function setBusy(busy, paused = false) {
    st.busy = busy;
    st.paused = busy && paused;
    cancelBtn.hidden = !busy;
    sendBtn.disabled = busy && !paused;
    planBtn.disabled = busy && !paused;
    if (st.detail) st.detail.state = busy ? (paused ? 'paused' : 'running') : 'idle';
    updateHeader();
  }

  // ---- streaming
  /** Runs one SSE request, then follows the conversation's event stream until the active message ends. */
  async function run(path, body) {
    const ctrl = new AbortController();
    st.controllers.add(ctrl);
    let ended = false;
    const onEvent = (ev) => {
      handle(ev);
      if (ev.event === 'error' || (TERMINAL.has(ev.event) && messageIdOf(ev.event, ev.data) === st.active)) ended = true;
    };
    try {
      const result = await stream(path, { method: 'POST', body, signal: ctrl.signal, onEvent });
      if (result.json && typeof result.json.afterEventId === 'number') {
        st.active = result.json.messageId || st.active;
        st.lastEventId = result.json.afterEventId;
      }
    } catch (e) {
      st.controllers.delete(ctrl);
      if (e && e.name === 'AbortError') return false;
      if (e instanceof ApiError && e.status) {
        ctx.notify(e);
        return false;
      }
      // The connection dropped: the message goes on in the background; follow it.
    }
    st.controllers.delete(ctrl);
    if (!ended && !st.destroyed) await follow(st.lastEventId);
    return true;
  }

  /** GET …/events after lastEventId (null: from the start), reconnecting while a message runs. */
  async function follow(lastEventId) {
    let attempt = 0;
    let last = lastEventId;
    while (!st.destroyed && attempt < 8) {
      const ctrl = new AbortController();
      st.controllers.add(ctrl);
      let ended = false;
      try {
        await stream(`${BASE}/${st.id}/events`, {
          lastEventId: last, signal: ctrl.signal,
          onEvent: (ev) => {
            handle(ev);
            if (ev.event === 'error' || (TERMINAL.has(ev.event) && messageIdOf(ev.event, ev.data) === st.active)) ended = true;
          },
        });
        attempt = 0;
      } catch (e) {
        if (e && e.name === 'AbortError') { st.controllers.delete(ctrl); return; }
        if (e instanceof ApiError && e.status) { ctx.notify(e); st.controllers.delete(ctrl); await refreshState(); return; }
        attempt++;
      }
      st.controllers.delete(ctrl);
      if (ended || st.destroyed) return;
      // The stream ended without the message's end: is it still running?
      const state = await refreshState();
      if (state !== 'running') return;
      last = st.lastEventId;
      await new Promise((r) => setTimeout(r, Math.min(8000, 500 * 2 ** attempt)));
    }
  }

  async function refreshState() {
    if (!st.id) return null;
    try {
      const detail = await api(`${BASE}/${st.id}`);
      if (st.destroyed) return null;
      const state = detail.state;
      if (state === 'idle') {
        // Resync the timeline with what the server kept.
        st.detail = detail;
        for (const m of detail.messages || []) if (m.role === 'assistant' && FINAL.has(m.status)) st.finalized.add(m.id);
        for (const m of detail.messages || []) {
          const v = st.messages.get(m.id);
          if (v) { setContent(v, m.content || '', true); setMessageStatus(v, m.status); }
        }
        setBusy(false);
      } else {
        st.detail = { ...(st.detail || {}), ...detail };
        setBusy(true, state === 'paused');
      }
      return state;
    } catch {
      return null;
    }
  }

  // ---- sending
  async function ensureConversation() {
    if (st.id) return st.id;
    const created = await api(BASE, { method: 'POST', body: {} });
    if (!created || !UUID_RE.test(created.id || '')) throw new ApiError(0, 'The conversation could not be created.', 'INTERNAL_ERROR');
    st.id = created.id;
    st.detail = created;
    updateHeader();
    ctx.navigate(`/c/${created.id}`, { keepView: true });
    ctx.conversationsChanged();
    return st.id;
  }

  async function sendText() {
    const text = input.value;
    if (!text.trim() || (st.busy && !st.paused)) return;
    if (st.busy && st.paused) {
      ctx.notify('A message is waiting for your answer above: answer it, or cancel it first.');
      return;
    }
    closePlan();
    input.value = '';
    autosize();
    await send({ content: text }, text);
  }

  async function send(body, restoreText) {
    try {
      setBusy(true);
      await ensureConversation();
    } catch (e) {
      setBusy(false);
      if (restoreText !== undefined) input.value = restoreText;
      ctx.notify(e);
      return;
    }
    st.active = null;
    const ok = await run(`${BASE}/${st.id}/messages`, body);
    if (!ok && restoreText !== undefined && !input.value) input.value = restoreText;
    if (!ok) await refreshState();
  }

  function onComposerKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    }
    requestAnimationFrame(autosize);
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, 260)}px`;
  }

  async function cancelMessage() {
    if (!st.id || !st.busy) return;
    cancelBtn.disabled = true;
    try {
      await api(`${BASE}/${st.id}/cancel`, { method: 'POST', body: {} });
      if (st.paused) {
        // No stream is open for a paused message: read the outcome.
        await follow(st.lastEventId);
        if (st.busy) await refreshState();
      }
    } catch (e) {
      ctx.notify(e);
      if (e instanceof ApiError && e.status === 409) await refreshState();
    } finally {
      cancelBtn.disabled = false;
    }
  }

  // ---- plans
  let planAbort = null;
  async function planFirst(text, { highlightTool, autoRun, toolId } = {}) {
    const content = String(text || '').trim() ? text : '';
    if (!content) { ctx.notify('Write what you want done, then ask for a plan.'); input.focus(); return null; }
    if (planAbort) planAbort.abort();
    const ctrl = new AbortController();
    planAbort = ctrl;
    clear(planSlot).appendChild(h('div', { class: 'plan-loading muted' }, 'Planning…'));
    try {
      await ensureConversation();
      const body = toolId ? { content, toolId } : { content };
      const response = await api(`${BASE}/${st.id}/plan`, { method: 'POST', body, signal: ctrl.signal });
      if (st.destroyed || ctrl.signal.aborted) return null;
      let highlight = null;
      if (highlightTool) {
        const i = (response.plans || []).findIndex((p) => (p.plan || []).some((s) => s.toolId === highlightTool));
        highlight = i >= 0 ? i + 1 : null;
      }
      if (autoRun && highlight) {
        const plan = response.plans[highlight - 1];
        const needs = (plan.plan || []).some((s) => Array.isArray(s.missingInputs) && s.missingInputs.length);
        if (!needs) { clear(planSlot); send({ planId: response.id, choice: highlight, input: {} }); return { response, highlight }; }
      }
      showPlan(response, highlight);
      return { response, highlight };
    } catch (e) {
      if (e && e.name === 'AbortError') return null;
      clear(planSlot);
      ctx.notify(e);
      return null;
    } finally {
      if (planAbort === ctrl) planAbort = null;
    }
  }

  function showPlan(response, highlight) {
    const panel = planPanel(response, {
      run: (planId, choice, inputValues) => {
        closePlan();
        input.value = '';
        autosize();
        send({ planId, choice, input: inputValues });
      },
      again: (text) => planFirst(text),
      close: closePlan,
    }, { highlight });
    clear(planSlot).appendChild(panel);
    showLanding(false);
    const field = 'input[data-field], select[data-field], textarea[data-field]';
    const first = panel.querySelector(highlight ? `[data-choice="${highlight}"] :is(${field})` : field);
    panel.scrollIntoView({ block: 'nearest' });
    if (first) first.focus({ preventScroll: true });
  }

  function closePlan() {
    if (planAbort) { planAbort.abort(); planAbort = null; }
    clear(planSlot);
    showLanding(st.messages.size === 0);
  }

  async function useAlternative(alt, view) {
    const id = String(alt && alt.id || '');
    if (!id) return;
    const userView = st.order[st.order.indexOf(view.id) - 1];
    const request = userView && st.messages.get(userView) && st.messages.get(userView).role === 'user'
      ? st.messages.get(userView).text : '';
    const original = request.replace(/^[^:\n]*[:\n]\s*/, '');
    // One plan that runs the picked tool for the same request (its input filled from it); it runs at
    // once when nothing is missing, else the plan panel asks for what is.
    const found = await planFirst(request || `Use ${id}`, { highlightTool: id, autoRun: true, toolId: id });
    if (found && found.highlight) return;
    input.value = `Use ${id} for: ${original || request}`;
    autosize();
    input.focus();
    ctx.notify(`Could not plan ${id} for this request; the composer has a request naming it: edit it and send, or ask for a plan.`);
  }

  // ---- pauses
  function showCredentialPrompt(view, d) {
    const key = `cred:${d.credentialRequestId || d.runId}`;
    if (st.prompts.has(key)) return;
    if (!canAnswer()) {
      const note = waitingNote('keys', d);
      st.prompts.set(key, { el: note, runId: d.runId, credentialRequestId: d.credentialRequestId, kind: 'credentials' });
      view.pause.appendChild(note);
      return;
    }
    const vars = Array.isArray(d.missingVars) ? d.missingVars : (d.error && d.error.details && d.error.details.missingVars) || [];
    const save = h('input', { type: 'checkbox', testid: 'credential-save', checked: true });
    const fields = vars.map((v) => {
      const name = String(v && v.name || '');
      const field = h('input', { type: 'password', class: 'input mono', testid: 'credential-input', dataset: { name },
        autocomplete: 'off', spellcheck: 'false', required: true, 'aria-label': name });
      return { name, field, el: h('label', { class: 'field' },
        h('span', { class: 'field-label mono' }, name),
        v && v.description ? h('span', { class: 'field-help' }, v.description) : null, field) };
    });
    const submit = h('button', { type: 'submit', class: 'btn primary', testid: 'credential-submit' }, 'Provide and resume');
    const form = h('form', { class: 'prompt prompt-cred', testid: 'credential-prompt', autocomplete: 'off',
      on: { submit: async (e) => {
        e.preventDefault();
        const values = {};
        for (const f of fields) {
          if (!f.field.value) { f.field.focus(); return; }
          values[f.name] = f.field.value;
        }
        for (const f of fields) f.field.value = '';
        submit.disabled = true;
        const body = { values, save: save.checked };
        if (d.credentialRequestId) body.credentialRequestId = d.credentialRequestId;
        setBusy(true);
        const ok = await run(`${BASE}/${st.id}/credentials`, body);
        submit.disabled = false;
        if (!ok) await refreshState();
      } } },
      h('div', { class: 'prompt-head' }, h('span', { class: 'prompt-icon key', 'aria-hidden': 'true' }),
        h('div', null, h('h4', null, 'Credentials needed'),
          h('p', { class: 'small muted' }, h('span', { class: 'mono' }, d.toolId || 'The tool'),
            ' needs ', vars.length === 1 ? 'a key' : 'keys', ' to go on. They go to the run (and your vault if saved), never to the model or this page again.'))),
      fields.map((f) => f.el),
      h('div', { class: 'prompt-actions' },
        h('label', { class: 'check' }, save, ' Save for later (in your vault)'),
        submit));
    st.prompts.set(key, { el: form, runId: d.runId, credentialRequestId: d.credentialRequestId, kind: 'credentials' });
    view.pause.appendChild(form);
    if (fields[0]) setTimeout(() => { if (form.isConnected) fields[0].field.focus({ preventScroll: true }); }, 0);
  }

  /** Whether the signed-in user may answer this conversation's pauses (only its owner may). */
  function canAnswer() {
    const owner = st.detail && st.detail.owner;
    const me = ctx.me && ctx.me.user;
    return !owner || !me || owner === me;
  }

  /** A pause another user's key cannot answer: who it waits for, nothing to fill in. */
  function waitingNote(kind, d) {
    const owner = st.detail && st.detail.owner ? st.detail.owner : 'the owner';
    return h('p', { class: 'prompt prompt-waiting small muted', testid: 'pause-waiting' },
      `${d.toolId || 'The tool'} waits for ${kind} from ${owner}, the conversation's owner: its tools run with ${owner}'s credentials, and only ${owner} can answer.`);
  }

  /** Who wrote the user message the assistant message `view` answers. */
  function askerOf(view) {
    const previous = st.messages.get(st.order[st.order.indexOf(view.id) - 1]);
    return previous && previous.role === 'user' ? previous.author : null;
  }

  function showApprovalCard(view, d) {
    const key = `approval:${d.runId}`;
    if (st.prompts.has(key)) return;
    if (!canAnswer()) {
      const note = waitingNote('an approval', d);
      st.prompts.set(key, { el: note, runId: d.runId, kind: 'approval' });
      view.pause.appendChild(note);
      return;
    }
    // The whole input of the call (not the activity panel's summary): what the approval covers.
    const call = st.calls.get(d.toolCallId);
    const args = call && isPlainObject(call.arguments) ? call.arguments : null;
    const callInput = args && 'input' in args ? args.input : args;
    const asker = askerOf(view);
    const details = d.error && isPlainObject(d.error.details) ? d.error.details : {};
    const scopes = Array.isArray(details.scopes) ? details.scopes : [];
    const tool = `${details.toolId || d.toolId || ''}${details.toolVersion ? '@' + details.toolVersion : ''}`;
    const risk = `${details.risk || 'unknown'}${details.externalWrite ? ' · writes outside the jail' : ''}`;
    const digest = details.inputDigest ? `sha256:${details.inputDigest}` : '—';
    const approve = h('button', { type: 'button', class: 'btn primary', testid: 'approval-approve', on: { click: () => answer('approve') } }, 'Approve');
    const decline = h('button', { type: 'button', class: 'btn danger-ghost', testid: 'approval-decline', on: { click: () => answer('decline') } }, 'Decline');
    const card = h('section', { class: 'prompt prompt-approval', testid: 'approval-card', 'aria-label': 'Approval needed' },
      h('div', { class: 'prompt-head' }, h('span', { class: 'prompt-icon shield', 'aria-hidden': 'true' }),
        h('div', null, h('h4', null, 'Approval needed'),
          details.reason ? h('p', { class: 'small muted' }, details.reason) : null)),
      h('dl', { class: 'kv approval-kv' },
        h('dt', null, 'Tool'), h('dd', { class: 'mono', testid: 'approval-tool' }, tool),
        h('dt', null, 'Scopes'), h('dd', { testid: 'approval-scopes' }, scopes.length ? scopes.map((s) => h('span', { class: 'key-chip' }, String(s))) : 'none'),
        Array.isArray(details.egress) ? h('dt', null, 'Network') : null,
        Array.isArray(details.egress)
          ? h('dd', { testid: 'approval-egress' }, details.egress.slice(0, 64).map((host) => h('span', { class: 'key-chip mono' }, String(host)))) : null,
        h('dt', null, 'Risk'), h('dd', { testid: 'approval-risk' }, h('span', { class: ['risk', `risk-${String(details.risk || 'unknown').replace(/[^a-z]/gi, '')}`] }, risk)),
        asker ? h('dt', null, 'Asked by') : null,
        asker ? h('dd', { testid: 'approval-asker' }, asker) : null,
        callInput !== null && callInput !== undefined ? h('dt', null, 'Input') : null,
        callInput !== null && callInput !== undefined
          ? h('dd', { class: 'approval-input', testid: 'approval-input' }, longText(jsonText(callInput, 2), { className: 'text mono small' })) : null,
        h('dt', null, 'Input digest'), h('dd', { class: 'mono digest', testid: 'approval-digest', title: digest }, digest),
        details.packageDigest ? h('dt', null, 'Package') : null,
        details.packageDigest ? h('dd', { class: 'mono digest small muted' }, `sha256:${details.packageDigest}`) : null),
      h('div', { class: 'prompt-actions' }, h('span', { class: 'small muted' }, 'Approve this exact call?'), decline, approve));
    async function answer(decision) {
      approve.disabled = true;
      decline.disabled = true;
      setBusy(true);
      const ok = await run(`${BASE}/${st.id}/approvals`, { runId: d.runId, decision });
      approve.disabled = false;
      decline.disabled = false;
      if (!ok) await refreshState();
    }
    st.prompts.set(key, { el: card, runId: d.runId, kind: 'approval' });
    view.pause.appendChild(card);
  }

  function resolvePrompts(view, d) {
    for (const [key, p] of st.prompts) {
      const match = (d.credentialRequestId && p.credentialRequestId === d.credentialRequestId)
        || (d.runId && p.runId === d.runId && (p.kind === 'approval') === Boolean(d.decision));
      if (!match) continue;
      const note = d.decision
        ? `${d.decision === 'approve' ? 'Approved' : 'Declined'}${d.by ? ' by ' + d.by : ''}`
        : `Credentials provided${Array.isArray(d.names) && d.names.length ? ' (' + d.names.join(', ') + ')' : ''}${d.by ? ' by ' + d.by : ''}`;
      p.el.replaceWith(h('p', { class: 'resolved small muted' }, '✓ ', note));
      st.prompts.delete(key);
    }
  }

  // ---- export, share
  async function exportAs(format) {
    if (!st.id) return;
    try {
      await download(`${BASE}/${st.id}/export?format=${format}`, `${st.id}.${format}`);
    } catch (e) {
      ctx.notify(e);
    }
  }

  async function share() {
    if (!st.id) return;
    const url = `${location.origin}/c/${st.id}`;
    const ok = await copyText(url);
    shareBtn.textContent = ok ? 'Link copied' : 'Copy failed';
    setTimeout(() => { shareBtn.textContent = 'Copy link'; }, 1800);
  }

  function scrollToEnd(force) {
    const nearEnd = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 160;
    if (force || nearEnd) requestAnimationFrame(() => { timeline.scrollTop = timeline.scrollHeight; });
  }

  return {
    el,
    id: () => st.id,
    focus: () => input.focus({ preventScroll: true }),
    destroy() {
      st.destroyed = true;
      document.removeEventListener('keydown', keyHandler);
      for (const c of st.controllers) c.abort();
      if (planAbort) planAbort.abort();
      for (const c of st.calls.values()) c.destroy();
    },
  };
}
