// Omega Exec console: entry point. Sign-in, theme, routing, sidebar, status banner, notices.

import { h, put, clear, relativeTime, shorten, UUID_RE, RUN_ID_RE } from './dom.js';
import { api, getKey, setKey, clearKey, onUnauthorized, ApiError } from './api.js';
import { conversationView } from './conversation.js';
import { runsView, runDetailView } from './runs.js';

const THEME_SLOT = 'omega.theme';
const $ = (id) => document.getElementById(id);

const app = {
  me: null,
  view: null,
  statusTimer: 0,
  conversations: [],
  listTimer: 0,
};

// ---------------------------------------------------------------- theme
function storedTheme() {
  try { const t = localStorage.getItem(THEME_SLOT); return t === 'light' || t === 'dark' ? t : null; } catch { return null; }
}
const media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const btn = $('theme-toggle') || document.querySelector('[data-testid="theme-toggle"]');
  if (btn) {
    const other = theme === 'dark' ? 'light' : 'dark';
    btn.setAttribute('aria-label', `Switch to ${other} theme`);
    btn.title = `Switch to ${other} theme`;
    btn.dataset.theme = theme;
  }
}
function currentTheme() { return storedTheme() || (media && media.matches ? 'dark' : 'light'); }
applyTheme(currentTheme());
if (media && media.addEventListener) media.addEventListener('change', () => { if (!storedTheme()) applyTheme(currentTheme()); });

// ---------------------------------------------------------------- notices
function notify(error) {
  const host = $('notices');
  if (!host) return;
  let message;
  let code = null;
  if (typeof error === 'string') message = error;
  else if (error instanceof ApiError) { message = error.message; code = error.code; }
  else if (error && error.message) message = error.message;
  else message = 'Something went wrong.';
  if (error instanceof ApiError && error.status === 401) return; // sign-in shows it
  const isInfo = typeof error === 'string';
  const notice = h('div', { class: ['notice', isInfo ? 'info' : 'error'], testid: 'notice', role: isInfo ? 'status' : 'alert' },
    h('span', { class: 'notice-icon', 'aria-hidden': 'true' }, isInfo ? 'i' : '!'),
    h('div', { class: 'notice-text' },
      h('span', null, message),
      code ? h('span', { class: 'code-pill' }, code) : null,
      error instanceof ApiError && error.details && error.details.field ? h('span', { class: 'muted small' }, ` field: ${error.details.field}`) : null,
      error instanceof ApiError && typeof error.details.retryAfterSeconds === 'number'
        ? h('span', { class: 'muted small' }, ` retry in ${error.details.retryAfterSeconds} s`) : null),
    h('button', { type: 'button', class: 'icon-btn small', 'aria-label': 'Dismiss', title: 'Dismiss',
      on: { click: () => notice.remove() } }, '✕'));
  host.appendChild(notice);
  while (host.children.length > 4) host.firstChild.remove();
  if (isInfo) setTimeout(() => notice.remove(), 9000);
}

// ---------------------------------------------------------------- sign-in
function showSignIn(message) {
  stopSession();
  $('shell').hidden = true;
  $('signin').hidden = false;
  const err = $('signin-error');
  err.hidden = !message;
  err.textContent = message || '';
  document.title = 'Sign in · Omega Exec';
  const key = $('signin-key');
  key.value = '';
  setTimeout(() => key.focus(), 0);
}

async function signIn(event) {
  event.preventDefault();
  const field = $('signin-key');
  const submit = $('signin-submit');
  const err = $('signin-error');
  const key = field.value.trim();
  err.hidden = true;
  if (!key) { err.textContent = 'Enter an API key.'; err.hidden = false; return; }
  submit.disabled = true;
  submit.textContent = 'Checking…';
  try {
    const me = await api('/api/me', { key });
    setKey(key);
    field.value = '';
    startSession(me);
  } catch (e) {
    err.textContent = e instanceof ApiError && e.status === 401
      ? `This key was refused: ${e.message}`
      : (e && e.message) || 'Sign-in failed.';
    if (e instanceof ApiError && e.code && e.status) err.textContent += ` (${e.code})`;
    err.hidden = false;
    field.select();
  } finally {
    submit.disabled = false;
    submit.textContent = 'Sign in';
  }
}

function signOut() {
  clearKey();
  app.me = null;
  if (location.pathname !== '/') history.replaceState(null, '', location.pathname);
  showSignIn('');
}

function startSession(me) {
  app.me = me;
  $('signin').hidden = true;
  $('shell').hidden = false;
  const who = $('whoami');
  clear(who).append(
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, String(me.user || '?').slice(0, 1).toUpperCase()),
    h('span', { class: 'whoami-text' },
      h('span', { class: 'whoami-user' }, me.user || ''),
      h('span', { class: 'muted small' }, me.key && me.key.name ? `key ${me.key.name}` : '')));
  who.title = me.key && me.key.id ? `Key ${me.key.id}` : '';
  refreshStatus();
  clearInterval(app.statusTimer);
  app.statusTimer = setInterval(refreshStatus, 30000);
  loadConversations();
  route();
}

function stopSession() {
  clearInterval(app.statusTimer);
  app.statusTimer = 0;
  if (app.view) { app.view.destroy(); app.view = null; }
  clear($('view'));
  clear($('conversation-list'));
  clear($('notices'));
}

// ---------------------------------------------------------------- status
async function refreshStatus() {
  const banner = $('status-banner');
  let status;
  try {
    status = await api('/api/status');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    banner.dataset.state = 'unreachable';
    clear(banner).append(h('span', { class: 'dot st-failed' }),
      h('strong', null, 'Appliance unreachable'), h('span', { class: 'muted' }, ` · ${e.message || ''} · retrying every 30 s`));
    return;
  }
  const state = status && status.status === 'ok' ? 'ok' : 'degraded';
  banner.dataset.state = state;
  clear(banner);
  const reg = status && status.registry && typeof status.registry === 'object' ? status.registry : {};
  const ex = status && status.executor && typeof status.executor === 'object' ? status.executor : {};
  const model = status && status.model && typeof status.model === 'object' ? status.model : null;
  const facts = [];
  if (typeof reg.tools === 'number') facts.push(`${reg.tools} tools`);
  if (reg.error) facts.push(`registry: ${reg.error}`);
  if (typeof ex.running === 'number') facts.push(`${ex.running} running`);
  if (typeof ex.paused === 'number' && ex.paused) facts.push(`${ex.paused} paused`);
  if (ex.store && ex.store !== 'ok') facts.push(`store: ${ex.store}`);
  if (model && model.provider) facts.push(`model ${model.provider}${model.model ? '/' + model.model : ''}`);
  if (state === 'ok') {
    put(banner, h('span', { class: 'dot st-completed' }), h('span', null, 'All systems normal'),
      facts.length ? h('span', { class: 'muted' }, ` · ${facts.join(' · ')}`) : null);
  } else {
    const problems = Array.isArray(status.problems) ? status.problems : [];
    put(banner, h('span', { class: 'dot st-paused' }), h('strong', null, 'Degraded'),
      h('span', null, ` · ${facts.join(' · ')}`),
      problems.length ? h('ul', { class: 'problems' }, problems.slice(0, 10).map((p) => h('li', null, shorten(String(p), 300)))) : null);
  }
}

// ---------------------------------------------------------------- conversations list
async function loadConversations() {
  clearTimeout(app.listTimer);
  try {
    const res = await api('/api/omega/conversations?limit=50');
    app.conversations = Array.isArray(res.conversations) ? res.conversations : [];
    renderConversations();
    // While one runs, keep the list's states fresh.
    if (app.conversations.some((c) => c.state === 'running')) app.listTimer = setTimeout(loadConversations, 5000);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    notify(e);
  }
}

function renderConversations() {
  const ul = $('conversation-list');
  clear(ul);
  const active = currentConversationId();
  if (!app.conversations.length) {
    ul.appendChild(h('li', { class: 'muted small empty' }, 'No conversations yet.'));
    return;
  }
  for (const c of app.conversations) {
    if (!UUID_RE.test(c.id || '')) continue;
    const path = `/c/${c.id}`;
    const title = c.title || 'Untitled conversation';
    ul.appendChild(h('li', null, h('a', {
      href: path, class: ['conversation-item', c.id === active ? 'active' : null, c.title ? null : 'untitled'],
      testid: 'conversation-item', dataset: { id: c.id, state: c.state },
      'aria-current': c.id === active ? 'page' : null, title,
      on: { click: (e) => { if (plainClick(e)) { e.preventDefault(); navigate(path); } } },
    },
    h('span', { class: 'ci-title' }, shorten(title, 80)),
    h('span', { class: 'ci-meta muted small' },
      c.state && c.state !== 'idle' ? h('span', { class: ['dot', `st-${c.state}`] }) : null,
      c.state && c.state !== 'idle' ? `${c.state} · ` : '',
      relativeTime(c.updatedAt)))));
  }
}

function markActive() {
  const active = currentConversationId();
  for (const a of document.querySelectorAll('.conversation-item')) {
    const on = a.dataset.id === active;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const runs = location.pathname.startsWith('/runs');
  $('nav-runs').classList.toggle('active', runs);
}

function setTitle(id, title) {
  const c = app.conversations.find((x) => x.id === id);
  if (c) { c.title = title; renderConversations(); } else loadConversations();
}

// ---------------------------------------------------------------- routing
function plainClick(e) { return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey; }

function currentConversationId() {
  const m = /^\/c\/([^/]+)$/.exec(location.pathname);
  return m && UUID_RE.test(m[1]) ? m[1].toLowerCase() : null;
}

function navigate(path, { keepView = false, replace = false } = {}) {
  if (path !== location.pathname + location.search) {
    if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  }
  if (keepView) { markActive(); return; }
  route();
}

function route() {
  if (!app.me) return;
  if (app.view) { app.view.destroy(); app.view = null; }
  const host = $('view');
  clear(host);
  clear($('notices'));
  const path = location.pathname;
  let m;
  if (path === '/' || path === '') {
    app.view = conversationView(ctx, null);
  } else if ((m = /^\/c\/([^/]+)$/.exec(path)) && UUID_RE.test(m[1])) {
    app.view = conversationView(ctx, m[1].toLowerCase());
  } else if (path === '/runs') {
    const status = new URLSearchParams(location.search).get('status') || '';
    app.view = runsView(ctx, status);
    document.title = 'Runs · Omega Exec';
  } else if ((m = /^\/runs\/([^/]+)$/.exec(path))) {
    let id = m[1];
    try { id = decodeURIComponent(id); } catch { /* keep */ }
    if (RUN_ID_RE.test(id)) {
      app.view = runDetailView(ctx, id);
      document.title = `Run ${shorten(id, 24)} · Omega Exec`;
    }
  }
  if (!app.view) {
    app.view = { el: h('section', { class: 'view empty-state' }, h('h2', null, 'Not found'),
      h('p', { class: 'muted' }, 'This page does not exist.'),
      h('a', { href: '/', on: { click: (e) => { e.preventDefault(); navigate('/'); } } }, 'Start a conversation')), destroy() {} };
  }
  host.appendChild(app.view.el);
  markActive();
  if (app.view.focus) app.view.focus();
}

const ctx = {
  notify,
  navigate,
  setTitle,
  conversationsChanged: () => loadConversations(),
  get me() { return app.me; },
};

// ---------------------------------------------------------------- boot
function boot() {
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  document.querySelector('[data-testid="theme-toggle"]').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    try { localStorage.setItem(THEME_SLOT, next); } catch { /* not persisted */ }
    applyTheme(next);
  });
  $('new-conversation').addEventListener('click', async (e) => {
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      const created = await api('/api/omega/conversations', { method: 'POST', body: {} });
      if (created && UUID_RE.test(created.id || '')) {
        app.conversations.unshift(created);
        renderConversations();
        navigate(`/c/${created.id}`);
      }
    } catch (err) {
      notify(err);
    } finally {
      btn.disabled = false;
    }
  });
  for (const [id, path] of [['nav-runs', '/runs'], ['brand-link', '/']]) {
    $(id).addEventListener('click', (e) => { if (plainClick(e)) { e.preventDefault(); navigate(path); } });
  }
  window.addEventListener('popstate', () => route());
  onUnauthorized(() => { clearKey(); app.me = null; showSignIn('Your key is no longer accepted. Sign in again.'); });

  const key = getKey();
  if (!key) { showSignIn(''); return; }
  api('/api/me').then(startSession).catch((e) => {
    if (e instanceof ApiError && e.status === 401) { clearKey(); showSignIn('Your key is no longer accepted. Sign in again.'); return; }
    // The appliance may be down: keep the key, show the console, and let the banner say so.
    startSession({ user: '…', key: {} });
    notify(e);
  });
}

boot();
