// Plans: the interactive "Plan first" panel, and the read-only plan a message stream shows.

import { h, clear, shorten, jsonText } from './dom.js';
import { isPlainObject } from './render.js';

function pct(confidence) {
  const n = typeof confidence === 'number' && isFinite(confidence) ? Math.max(0, Math.min(1, confidence)) : 0;
  return Math.round(n * 100);
}

export function confidenceMeter(confidence, testid) {
  const p = pct(confidence);
  const fill = h('span', { class: 'meter-fill' });
  fill.style.width = `${p}%`;
  return h('span', { class: ['meter', p >= 66 ? 'high' : p >= 33 ? 'mid' : 'low'], testid, dataset: { value: String(p) },
    title: `Confidence ${p}%` },
    h('span', { class: 'meter-bar', 'aria-hidden': 'true' }, fill),
    h('span', { class: 'meter-text' }, `${p}%`));
}

function stepView(step, testid) {
  const missingEnv = Array.isArray(step.missingEnvVars) ? step.missingEnvVars : [];
  const input = step.input;
  return h('li', { class: 'plan-step', testid },
    h('div', { class: 'plan-step-head' },
      h('span', { class: 'step-no' }, String(step.stepNumber ?? '')),
      h('span', { class: 'mono strong' }, step.toolId || step.toolName || ''),
      step.toolId && step.toolName ? h('span', { class: 'muted small' }, ` via ${step.toolName}`) : null,
      Array.isArray(step.missingInputs) && step.missingInputs.length ? h('span', { class: 'badge st-paused' }, 'needs input') : null),
    h('p', { class: 'plan-purpose' }, step.purpose || ''),
    step.expectedOutput ? h('p', { class: 'small muted' }, 'Expect: ', step.expectedOutput) : null,
    isPlainObject(input) && Object.keys(input).length
      ? h('p', { class: 'small mono plan-input' }, shorten(jsonText(input, 0), 240)) : null,
    missingEnv.length ? h('p', { class: 'small' }, 'Needs keys: ',
      missingEnv.map((v) => h('span', { class: 'key-chip missing' }, typeof v === 'string' ? v : v.name || ''))) : null);
}

/** A read-only plan (the `plan` event of a message, or a stored plan). */
export function readOnlyPlan(response, { chosen } = {}) {
  const plans = Array.isArray(response.plans) && response.plans.length ? response.plans : [response];
  const best = plans[chosen ? chosen - 1 : 0] || plans[0];
  const steps = Array.isArray(best.plan) ? best.plan : [];
  const first = steps.find((s) => s.toolId) || steps[0] || {};
  const details = h('details', { class: 'msg-plan', testid: 'message-plan' },
    h('summary', null,
      h('span', { class: 'plan-tag' }, 'Plan'),
      ' ', h('span', { class: 'mono' }, first.toolId || first.toolName || '—'),
      ' ', confidenceMeter(best.confidence),
      plans.length > 1 ? h('span', { class: 'muted small' }, ` · ${plans.length} options`) : null));
  let built = false;
  details.addEventListener('toggle', () => {
    if (!details.open || built) return;
    built = true;
    plans.forEach((plan, i) => {
      details.appendChild(h('div', { class: ['ro-plan', i === (chosen ? chosen - 1 : 0) ? 'chosen' : null] },
        h('div', { class: 'small strong' }, `Option ${i + 1}`, ' ', confidenceMeter(plan.confidence)),
        plan.reasoning ? h('p', { class: 'small muted' }, plan.reasoning) : null,
        h('ol', { class: 'plan-steps' }, (plan.plan || []).map((s) => stepView(s)))));
    });
  });
  return details;
}

function parseField(raw, spec) {
  const type = String(spec.type || 'any');
  const types = type.split('|');
  if (Array.isArray(spec.enum)) {
    const found = spec.enum.find((v) => String(typeof v === 'string' ? v : JSON.stringify(v)) === raw);
    return found === undefined ? raw : found;
  }
  if (types.includes('integer') || types.includes('number')) {
    const n = Number(raw.trim());
    if (raw.trim() !== '' && isFinite(n) && (!types.includes('integer') || types.includes('number') || Number.isInteger(n))) return n;
    if (types.includes('string')) return raw;
    throw new Error(types.includes('integer') ? 'Enter a whole number' : 'Enter a number');
  }
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (types.includes('object') || types.includes('array') || type === 'any' || types.includes('null')) {
    try { return JSON.parse(raw); } catch {
      if (type === 'any' || types.includes('string')) return raw;
      throw new Error('Enter valid JSON');
    }
  }
  return raw;
}

function fieldControl(spec) {
  const name = String(spec.name);
  const type = String(spec.type || 'any');
  if (Array.isArray(spec.enum) && spec.enum.length) {
    return h('select', { dataset: { field: name }, class: 'input' },
      h('option', { value: '' }, 'Choose…'),
      spec.enum.map((v) => {
        const s = typeof v === 'string' ? v : JSON.stringify(v);
        return h('option', { value: s }, s);
      }));
  }
  if (type === 'boolean') {
    return h('select', { dataset: { field: name }, class: 'input' },
      h('option', { value: '' }, 'Choose…'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
  }
  if (/object|array|any/.test(type)) {
    return h('textarea', { dataset: { field: name }, class: 'input mono', rows: '3', spellcheck: 'false',
      placeholder: type.includes('array') ? '["…"]' : '{"key": "value"} or text' });
  }
  return h('input', { type: 'text', dataset: { field: name }, class: 'input', autocomplete: 'off',
    inputmode: /integer|number/.test(type) ? 'decimal' : null, placeholder: type });
}

/**
 * The "Plan first" panel. handlers: {run(planId, choice, input), again(text), close()}.
 */
export function planPanel(response, handlers, { highlight } = {}) {
  const plans = Array.isArray(response.plans) ? response.plans : [];
  const requestField = h('textarea', { class: 'input plan-request', rows: '2', 'aria-label': 'Request to plan' });
  requestField.value = response.request || '';
  const again = h('button', { type: 'button', class: 'btn', testid: 'plan-again',
    on: { click: () => handlers.again(requestField.value) } }, 'Ask for another plan');
  const panel = h('section', { class: 'plan-panel', testid: 'plan-panel', 'aria-label': 'Proposed plans' },
    h('header', { class: 'plan-panel-head' },
      h('h3', null, 'Proposed plans'),
      h('span', { class: 'muted small' },
        `${plans.length} option${plans.length === 1 ? '' : 's'}`,
        typeof response.toolsFound === 'number' ? ` · ${response.toolsFound} tools found` : ''),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close plans', title: 'Close',
        on: { click: () => handlers.close() } }, '✕')));
  if (!plans.length) panel.appendChild(h('p', { class: 'muted' }, 'No plan was proposed for this request.'));
  plans.forEach((plan, i) => {
    const choice = i + 1;
    const steps = Array.isArray(plan.plan) ? plan.plan : [];
    const missing = [];
    const seen = new Set();
    for (const step of steps) {
      for (const m of Array.isArray(step.missingInputs) ? step.missingInputs : []) {
        const name = m && (m.name || m.path);
        if (!name || seen.has(name)) continue;
        seen.add(name);
        missing.push({ ...m, name });
      }
    }
    const fields = missing.map((spec) => {
      const control = fieldControl(spec);
      const error = h('span', { class: 'field-error', hidden: true });
      return {
        spec, control, error,
        el: h('label', { class: 'field', testid: 'plan-missing-input', dataset: { field: spec.name } },
          h('span', { class: 'field-label' }, h('span', { class: 'mono' }, spec.name), ' ', h('span', { class: 'muted small' }, String(spec.type || ''))),
          spec.description ? h('span', { class: 'field-help' }, spec.description) : null,
          spec.problem ? h('span', { class: 'field-help warn' }, spec.problem) : null,
          control, error),
      };
    });
    const runBtn = h('button', { type: 'submit', class: 'btn primary', testid: 'plan-run' }, 'Run this plan');
    const form = h('form', { class: 'plan-form', on: { submit: (e) => {
      e.preventDefault();
      const input = {};
      let ok = true;
      for (const f of fields) {
        f.error.hidden = true;
        f.control.classList.remove('invalid');
        const raw = f.control.value;
        if (raw.trim() === '') {
          ok = false;
          f.error.textContent = 'Required';
          f.error.hidden = false;
          f.control.classList.add('invalid');
          continue;
        }
        try { input[f.spec.name] = parseField(raw, f.spec); } catch (err) {
          ok = false;
          f.error.textContent = err.message;
          f.error.hidden = false;
          f.control.classList.add('invalid');
        }
      }
      if (!ok) { const bad = form.querySelector('.invalid'); if (bad) bad.focus(); return; }
      handlers.run(response.id, choice, input);
    } } },
      fields.length ? h('div', { class: 'plan-fields' }, h('h4', null, 'Missing inputs'), fields.map((f) => f.el)) : null,
      h('div', { class: 'plan-actions' }, runBtn));
    const option = h('article', { class: ['plan-option', highlight === choice ? 'highlight' : null], testid: 'plan-option', dataset: { choice: String(choice) } },
      h('header', { class: 'plan-option-head' },
        h('span', { class: 'strong' }, `Option ${choice}`),
        i === 0 ? h('span', { class: 'badge st-best' }, 'best') : null,
        confidenceMeter(plan.confidence, 'plan-confidence')),
      plan.reasoning ? h('p', { class: 'plan-reasoning' }, plan.reasoning) : null,
      h('ol', { class: 'plan-steps' }, steps.map((s) => stepView(s, 'plan-step'))),
      form);
    panel.appendChild(option);
  });
  panel.appendChild(h('footer', { class: 'plan-panel-foot' },
    h('label', { class: 'field grow' }, h('span', { class: 'field-label' }, 'Request'), requestField), again));
  return panel;
}

export { clear };
