// Viridian Manager: a small single-page app over the REST API (/api/v1), the event stream and the console WebSocket.
'use strict';

const API = '/api/v1';
const state = { vms: new Map(), host: null, events: null, term: null, socket: null, charts: null };

// ---- API access ---------------------------------------------------------------------------------------------------
function token() { return localStorage.getItem('viridian.token'); }

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  const r = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) { askForToken(); throw new Error(t('error.tokenRequired')); }
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(data && data.error ? errorText(data.error) : t('error.http', { status: r.status }));
  return data;
}

// The service's messages are English, with a stable code: another language shows the code's text, then the
// service's words (they name the VM, the field, the value).
function errorText(error) {
  const key = 'error.' + error.code;
  if (I18N.lang === 'en' || !(key in I18N.catalogue)) return error.message;
  return t('error.detail', { message: t(key), detail: error.message });
}

function withToken(url) { return token() ? url + (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token()) : url; }

async function awaitJob(job, onProgress) {
  while (job.status === 'running') {
    if (onProgress) onProgress(job);
    await new Promise(r => setTimeout(r, 150));
    job = await api('GET', '/jobs/' + job.id);
  }
  if (onProgress) onProgress(job);
  if (job.status === 'failed') throw new Error(t('job.failedWith', { kind: jobKind(job.kind), message: job.message }));
  return job;
}

function showError(e) {
  const el = document.getElementById('error');
  el.textContent = e.message || String(e);
  el.hidden = false;
}
function clearError() { document.getElementById('error').hidden = true; }
async function attempt(fn) { clearError(); try { await fn(); } catch (e) { showError(e); } }

function askForToken() {
  const view = document.getElementById('view');
  if (document.getElementById('token')) return;
  const form = document.getElementById('token-form').content.cloneNode(true);
  applyI18n(form);
  form.getElementById('token-text').replaceChildren(...tNodes('token.text', { command: h('code', {}, 'viridian serve token NAME --admin') }));
  view.replaceChildren(form);
  document.getElementById('token').onsubmit = ev => {
    ev.preventDefault();
    localStorage.setItem('viridian.token', document.getElementById('token-value').value.trim());
    start();
  };
}

// ---- small DOM helpers --------------------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) el[k] = v; else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
const stateText = s => t('state.' + s);
const badge = s => h('span', { class: 'state state-' + s, 'data-state': s }, stateText(s));
const bootText = b => b.type === 'demo' ? t('boot.demo', { guest: b.guest }) : b.kernel;
// A job's kind by the button that starts it (start, stop, shutdown, reset); a kind without one as the service says it.
const jobKind = k => ('op.' + k) in I18N.fallback ? t('op.' + k) : k;

// Which buttons a state allows (the service enforces the same rules and answers 409 otherwise).
const OPS = {
  start: ['off', 'crashed', 'saved'], stop: ['running', 'paused', 'crashed'], shutdown: ['running'],
  pause: ['running'], resume: ['paused'], reset: ['running', 'paused'], save: ['running', 'paused'],
};
// The power buttons on a VM's page (Save-VM among them: the state to disk, the VM saved; start resumes it).
const VM_PAGE_OPS = ['start', 'shutdown', 'stop', 'pause', 'resume', 'reset', 'save'];

async function operate(vm, op) {
  await attempt(async () => {
    const path = '/vms/' + vm.id + '/' + (op === 'shutdown' ? 'stop?mode=graceful' : op);
    const answer = await api('POST', path);
    if (answer && answer.kind) await awaitJob(answer, showJobProgress);
    refreshVm(await api('GET', '/vms/' + vm.id)); // the outcome, whatever became of the events meanwhile
  });
}

function opButtons(vm, ops) {
  return h('div', { class: 'actions' }, ops.map(op => h('button', {
    'data-op': op, 'data-vm': vm.name, disabled: !OPS[op].includes(vm.state), onclick: () => operate(vm, op),
  }, t('op.' + op))));
}

// ---- views --------------------------------------------------------------------------------------------------------
// The guest's IPv4 addresses as it told them through KVP; a dash while it has told none.
const ipv4Text = vm => (vm.guest && vm.guest.ipv4Addresses && vm.guest.ipv4Addresses.join(', ')) || '–';
const LIST_COLUMNS = ['field.name', 'field.state', 'field.cpus', 'field.memory', 'field.boot', 'field.ipv4'];

function renderList() {
  const rows = [...state.vms.values()].map(vm => h('tr', { 'data-vm': vm.name },
    h('td', { class: 'vm-screen' }, screenThumbnail(vm)), // screen.js
    h('td', {}, h('a', { href: '#/vm/' + vm.id, class: 'vm-link' }, vm.name)),
    h('td', { class: 'vm-state' }, badge(vm.state)),
    h('td', {}, vm.cpus), h('td', {}, vm.memory), h('td', {}, bootText(vm.boot)),
    h('td', { class: 'vm-ipv4' }, ipv4Text(vm)),
    h('td', {}, opButtons(vm, ['start', 'stop', 'pause', 'resume']))));
  document.getElementById('view').replaceChildren(h('h1', {}, t('list.title')),
    rows.length ? h('table', { id: 'vm-table' },
      h('thead', {}, h('tr', {}, h('th', {}), LIST_COLUMNS.map(k => h('th', {}, t(k))), h('th', {}))),
      h('tbody', {}, rows))
      : h('p', { id: 'empty' }, tNodes('list.empty', { link: h('a', { href: '#/new' }, t('list.createOne')) })));
}

// The wizard's summary names the request's fields as the forms do.
const SUMMARY_FIELDS = { name: 'field.name', cpus: 'field.cpus', memory: 'field.memory', notes: 'field.notes', boot: 'field.boot',
  networkAdapters: 'field.network' };

function renderWizard() {
  const guests = state.host ? state.host.demoGuests : ['smp.elf'];
  const draft = { name: '', cpus: 1, memory: '64M', bootType: 'demo', guest: guests[0], kernel: '', initrd: '', cmdline: '', switchName: '', notes: '' };
  const steps = ['name', 'hardware', 'boot', 'network', 'summary'].map(s => t('wizard.step.' + s));
  let step = 0;
  const view = document.getElementById('view');
  const field = (id, label, input) => [h('label', { for: id }, label), input];
  const bind = (id, key, attrs = {}) => h('input', Object.assign({ id, value: draft[key], oninput: e => draft[key] = e.target.value }, attrs));

  function body() {
    switch (step) {
      case 0: return field('wizard-name', t('wizard.name'), bind('wizard-name', 'name', { required: true, autofocus: true }));
      case 1: return [field('wizard-cpus', t('wizard.cpus'), bind('wizard-cpus', 'cpus', { type: 'number', min: 1, max: state.host ? state.host.limits.maxCpus : 64 })),
        field('wizard-memory', t('wizard.memory'), bind('wizard-memory', 'memory'))];
      case 2: {
        const sel = h('select', { id: 'wizard-boot', onchange: e => { draft.bootType = e.target.value; redraw(); } },
          h('option', { value: 'demo', selected: draft.bootType === 'demo' }, t('wizard.bootDemo')),
          h('option', { value: 'kernel', selected: draft.bootType === 'kernel' }, t('wizard.bootKernel')));
        const extra = draft.bootType === 'demo'
          ? field('wizard-guest', t('wizard.guest'), h('select', { id: 'wizard-guest', onchange: e => draft.guest = e.target.value },
              guests.map(g => h('option', { value: g, selected: g === draft.guest }, g))))
          : [field('wizard-kernel', t('wizard.kernel'), bind('wizard-kernel', 'kernel')),
             field('wizard-initrd', t('wizard.initrd'), bind('wizard-initrd', 'initrd'))];
        return [field('wizard-boot', t('wizard.bootFrom'), sel), extra, field('wizard-cmdline', t('wizard.cmdline'), bind('wizard-cmdline', 'cmdline'))];
      }
      case 3: return [field('wizard-switch', t('wizard.switch'), bind('wizard-switch', 'switchName')),
        field('wizard-notes', t('field.notes'), bind('wizard-notes', 'notes'))];
      default: return h('dl', { id: 'wizard-summary' }, ...Object.entries(request()).flatMap(([k, v]) =>
        [h('dt', {}, t(SUMMARY_FIELDS[k] || k)), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : v)]));
    }
  }

  function request() {
    const r = { name: draft.name, cpus: Number(draft.cpus), memory: draft.memory, notes: draft.notes };
    r.boot = draft.bootType === 'demo' ? { type: 'demo', guest: draft.guest, cmdline: draft.cmdline }
      : { type: 'kernel', kernel: draft.kernel, initrd: draft.initrd || null, cmdline: draft.cmdline };
    if (draft.switchName) r.networkAdapters = [{ switchName: draft.switchName }];
    return r;
  }

  function redraw() {
    view.replaceChildren(h('h1', {}, t('wizard.title')),
      h('div', { class: 'steps' }, steps.map((s, i) => h('span', { class: i === step ? 'current' : '' }, (i + 1) + '. ' + s))),
      h('form', { class: 'card', id: 'wizard', onsubmit: e => { e.preventDefault(); next(); } }, body(),
        h('div', { class: 'actions' },
          h('button', { type: 'button', id: 'wizard-back', disabled: step === 0, onclick: () => { step--; redraw(); } }, t('wizard.back')),
          step < steps.length - 1 ? h('button', { type: 'submit', id: 'wizard-next', class: 'primary' }, t('wizard.next'))
            : h('button', { type: 'submit', id: 'wizard-create', class: 'primary' }, t('wizard.create')),
          h('button', { type: 'button', onclick: () => location.hash = '#/' }, t('wizard.cancel')))));
  }

  function next() {
    if (step === 0 && !draft.name) return showError(new Error(t('wizard.needName')));
    if (step < steps.length - 1) { step++; clearError(); redraw(); return; }
    attempt(async () => {
      const vm = await api('POST', '/vms', request());
      state.vms.set(vm.id, vm);
      location.hash = '#/vm/' + vm.id;
    });
  }
  redraw();
}

// What the running guest's integration services say: heartbeat, and its OS and addresses through KVP.
function guestText(vm) {
  const g = vm.guest;
  if (!g) return '';
  const ago = g.lastHeartbeat
    ? t('guest.ago', { seconds: fmt.number(Math.max(0, Math.round((Date.now() - Date.parse(g.lastHeartbeat)) / 1000))) }) : '';
  const hb = ['ok', 'noContact', 'notOffered'].includes(g.heartbeat) ? t('guest.hb.' + g.heartbeat, { ago }) : g.heartbeat;
  const parts = [t('guest.heartbeat', { status: hb })];
  if (g.kvp === 'ok') {
    if (g.osName) parts.push(t('guest.os', { os: g.osName + (g.osVersion ? ' ' + g.osVersion : '') }));
    if (g.fullyQualifiedDomainName) parts.push(t('guest.fqdn', { name: g.fullyQualifiedDomainName }));
    parts.push(t('guest.ipv4', { addresses: g.ipv4Addresses.length ? g.ipv4Addresses.join(', ') : t('guest.noneReported') }));
  } else if (g.kvp === 'noAnswer') parts.push(t('guest.kvpNoAnswer'));
  return parts.join(' · ');
}

// Whether a running VM's resource controls hold, and why not where they do not.
function controlsText(vm) {
  const c = vm.resourceControls;
  if (!c) return '';
  return c.applied ? t('controls.applied', { mechanism: c.mechanism, group: c.group }) : t('controls.notApplied', { reason: c.reason });
}

// A disk's I/O limits (Storage QoS): what holds now, and inputs to change them (empty: no limit).
function diskLimitsText(d) {
  if (!d.maxIops && !d.maxBytesPerSecond) return t('disk.unlimited');
  return t('disk.limits', { iops: d.maxIops || t('disk.none'), bandwidth: d.maxBytesPerSecond ? sizeText(d.maxBytesPerSecond) + '/s' : t('disk.none') });
}

function diskLimitInputs(prefix, d, disabled) {
  return h('span', { class: 'disk-limit-inputs' },
    h('input', { id: prefix + '-iops', type: 'number', min: 0, class: 'short', title: t('disk.maxIops'), placeholder: t('disk.maxIops'),
      value: d && d.maxIops ? d.maxIops : '', disabled }),
    h('input', { id: prefix + '-bandwidth', class: 'short', title: t('disk.maxBandwidth'), placeholder: t('disk.maxBandwidth'),
      value: d && d.maxBytesPerSecond ? sizeText(d.maxBytesPerSecond) : '', disabled }));
}

// The limits typed under prefix, as the API takes them: empty fields lift the limit.
function diskLimitsOf(prefix) {
  const iops = document.getElementById(prefix + '-iops').value.trim(), bw = document.getElementById(prefix + '-bandwidth').value.trim();
  return { maxIops: iops === '' ? 0 : Number(iops), maxBytesPerSecond: bw === '' ? 'none' : bw };
}

// 64M, 2G, 1536K: the largest exact binary unit (the service's size notation).
function sizeText(bytes) {
  const units = ['', 'K', 'M', 'G', 'T'];
  let u = 0;
  while (u < 4 && bytes !== 0 && bytes % 1024 === 0) { bytes /= 1024; u++; }
  return bytes + units[u];
}

async function renderVm(id) {
  let vm;
  try { vm = await api('GET', '/vms/' + id); } catch (e) { showError(e); return; }
  if (location.hash !== '#/vm/' + id) return; // the user went elsewhere while it loaded
  state.vms.set(vm.id, vm);
  const view = document.getElementById('view');
  const off = ['off', 'crashed', 'saved'].includes(vm.state);
  const hot = off || vm.state === 'running'; // disks can also be added and removed while the VM runs
  const limitable = off || ['running', 'paused'].includes(vm.state); // a running VM's disk takes new limits at once
  const settings = h('form', { class: 'card', id: 'settings', onsubmit: e => {
    e.preventDefault();
    attempt(async () => {
      const f = e.target.elements;
      const r = { notes: f.notes.value, resources: { processorAffinity: f.processorAffinity.value, cpuLimit: Number(f.cpuLimit.value),
        cpuReserve: Number(f.cpuReserve.value), cpuRelativeWeight: Number(f.cpuRelativeWeight.value), memoryLimit: f.memoryLimit.value || 'none' } };
      if (off) { r.cpus = Number(f.cpus.value); r.memory = f.memory.value; } // hardware changes only while the VM is off
      const changed = await api('PATCH', '/vms/' + vm.id, r);
      state.vms.set(changed.id, changed);
      renderVm(changed.id);
    });
  } }, h('h2', {}, t('settings.title')),
    h('label', { for: 'set-cpus' }, t('wizard.cpus')), h('input', { id: 'set-cpus', name: 'cpus', type: 'number', value: vm.cpus, disabled: !off }),
    h('label', { for: 'set-memory' }, t('field.memory')), h('input', { id: 'set-memory', name: 'memory', value: vm.memory, disabled: !off }),
    h('label', { for: 'set-affinity' }, t('settings.affinity')), h('input', { id: 'set-affinity', name: 'processorAffinity', value: vm.resources.processorAffinity || '' }),
    h('label', { for: 'set-cpu-limit' }, t('settings.cpuLimit')), h('input', { id: 'set-cpu-limit', name: 'cpuLimit', type: 'number', min: 1, max: 100, value: vm.resources.cpuLimit }),
    h('label', { for: 'set-cpu-reserve' }, t('settings.cpuReserve')), h('input', { id: 'set-cpu-reserve', name: 'cpuReserve', type: 'number', min: 0, max: 100, value: vm.resources.cpuReserve }),
    h('label', { for: 'set-cpu-weight' }, t('settings.cpuWeight')), h('input', { id: 'set-cpu-weight', name: 'cpuRelativeWeight', type: 'number', min: 1, max: 10000, value: vm.resources.cpuRelativeWeight }),
    h('label', { for: 'set-memory-limit' }, t('settings.memoryLimit')), h('input', { id: 'set-memory-limit', name: 'memoryLimit', value: vm.resources.memoryLimit }),
    h('p', { id: 'resource-controls' }, controlsText(vm)),
    h('label', { for: 'set-notes' }, t('field.notes')), h('textarea', { id: 'set-notes', name: 'notes' }, vm.notes),
    h('dl', {}, h('dt', {}, t('field.boot')), h('dd', {}, bootText(vm.boot) + (vm.boot.cmdline ? ' ' + vm.boot.cmdline : '')),
      h('dt', {}, t('field.network')), h('dd', {}, vm.networkAdapters.map(n => n.mac + ' → ' + (n.switchName || t('vm.notConnected'))).join(', ') || t('vm.none')),
      h('dt', {}, t('vm.disks')), h('dd', { id: 'disks' }, vm.disks.map(d => h('div', { class: 'disk', 'data-slot': d.slot },
        d.slot + ': ' + d.path + ' ' + (d.readOnly ? t('vm.readOnly') + ' ' : ''),
        h('span', { class: 'disk-limits' }, diskLimitsText(d)), ' ',
        diskLimitInputs('disk-' + d.slot, d, !limitable),
        h('button', { type: 'button', id: 'disk-' + d.slot + '-limits', disabled: !limitable, onclick: () => attempt(async () => {
          await api('PATCH', '/vms/' + vm.id + '/disks/' + d.slot, diskLimitsOf('disk-' + d.slot)); renderVm(vm.id);
        }) }, t('vm.setLimits')),
        h('button', { type: 'button', disabled: !hot, onclick: () => attempt(async () => { await api('DELETE', '/vms/' + vm.id + '/disks/' + d.slot); renderVm(vm.id); }) }, t('vm.detach')))),
        h('div', {}, h('input', { id: 'disk-path', placeholder: t('vm.diskPath'), disabled: !hot }),
          diskLimitInputs('disk-new', null, !hot),
          h('button', { type: 'button', id: 'disk-attach', disabled: !hot, onclick: () => attempt(async () => {
            await api('POST', '/vms/' + vm.id + '/disks', { path: document.getElementById('disk-path').value, ...diskLimitsOf('disk-new') }); renderVm(vm.id);
          }) }, t('vm.attach')))),
      h('dt', {}, t('vm.integration')), h('dd', {}, Object.entries(vm.integrationServices).filter(([, v]) => v)
        .map(([k]) => ('ic.' + k) in I18N.fallback ? t('ic.' + k) : k).join(', '))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'settings-save', class: 'primary' }, t('settings.save')),
      h('button', { type: 'button', id: 'delete-vm', disabled: !off, onclick: () => attempt(async () => {
        if (!confirm(t('vm.confirmDelete', { name: vm.name }))) return;
        await api('DELETE', '/vms/' + vm.id); state.vms.delete(vm.id); location.hash = '#/';
      }) }, t('vm.delete'))));
  view.replaceChildren(
    h('h1', {}, vm.name, ' ', h('span', { id: 'vm-state' }, badge(vm.state))),
    h('div', { class: 'card' },
      h('div', { id: 'vm-ops' }, opButtons(vm, VM_PAGE_OPS)),
      jobProgress(),
      h('p', { id: 'last-exit' }, lastExitText(vm)),
      h('p', { id: 'guest-info' }, guestText(vm)),
      h('h2', {}, t('vm.console')), h('div', { id: 'terminal' })),
    screenCard(vm), // screen.js
    mobilityCard(vm),
    h('div', { class: 'card', id: 'charts' }, h('h2', {}, t('charts.title')),
      h('p', { id: 'charts-note', class: 'muted' }, t('charts.note')),
      h('div', { class: 'charts' }, CHARTS.map(c => h('figure', { class: 'chart', id: 'chart-' + c.id },
        h('figcaption', {}, t('chart.' + c.id), ' ', h('b', { class: 'chart-value' }, '–')), svg('svg', { viewBox: '0 0 240 80', preserveAspectRatio: 'none' },
          svg('polyline', { points: '' })))))),
    settings);
  openConsole(vm);
  openScreen(vm); // screen.js
  startCharts(vm.id);
}

const lastExitText = vm => vm.lastExit ? t('vm.lastExit', { reason: vm.lastExit.reason }) : '';

// Live VM state without reloading the page (called for every vm.state / vm.updated event).
function refreshVm(vm) {
  state.vms.set(vm.id, vm);
  const route = location.hash;
  if (route === '' || route === '#/') renderList();
  else if (route === '#/vm/' + vm.id) {
    document.getElementById('vm-state')?.replaceChildren(badge(vm.state));
    document.getElementById('vm-ops')?.replaceChildren(opButtons(vm, VM_PAGE_OPS));
    const le = document.getElementById('last-exit');
    if (le) le.textContent = lastExitText(vm);
    const gi = document.getElementById('guest-info');
    if (gi) gi.textContent = guestText(vm);
    const rc = document.getElementById('resource-controls');
    if (rc) rc.textContent = controlsText(vm);
  }
}

// ---- checkpoints and quick migration (the VM page's "Checkpoints" and "Move" tabs) -------------------------------
// A long operation's progress on the VM page (save, checkpoint, apply, delete, move run as jobs).
function jobProgress() {
  return h('div', { id: 'job-progress', hidden: true }, h('progress', { max: 100, value: 0 }), ' ', h('span', { class: 'job-text' }));
}

function showJobProgress(job) {
  const el = document.getElementById('job-progress');
  if (!el) return;
  el.hidden = job.status !== 'running';
  el.querySelector('progress').value = job.progress;
  el.querySelector('.job-text').textContent =
    t('event.job', { kind: jobKind(job.kind), status: t('job.' + job.status), progress: fmt.number(job.progress) });
}

// Runs a request that may answer with a job, follows the job, then draws the VM's state and checkpoints again.
async function vmJob(vm, method, path, body) {
  const answer = await api(method, path, body);
  if (answer && answer.kind) await awaitJob(answer, showJobProgress);
  refreshVm(await api('GET', '/vms/' + vm.id));
  await loadCheckpoints(vm);
  return answer;
}

function mobilityCard(vm) {
  const tabs = ['checkpoints', 'move'];
  const panel = name => document.getElementById('tab-' + name);
  const select = name => {
    for (const n of tabs) {
      panel(n).hidden = n !== name;
      document.querySelector(`#vm-tabs button[data-tab='${n}']`).classList.toggle('current', n === name);
    }
  };
  const card = h('div', { class: 'card', id: 'vm-mobility' },
    h('div', { class: 'tabs', id: 'vm-tabs' }, tabs.map(n => h('button', { type: 'button', 'data-tab': n, class: n === 'checkpoints' ? 'current' : '',
      onclick: () => select(n) }, t(n === 'checkpoints' ? 'checkpoints.tab' : 'move.tab')))),
    h('div', { id: 'tab-checkpoints' },
      h('ul', { id: 'checkpoint-tree', class: 'tree' }),
      h('form', { id: 'checkpoint-form', class: 'actions', onsubmit: e => {
        e.preventDefault();
        const name = document.getElementById('checkpoint-name').value.trim();
        attempt(() => vmJob(vm, 'POST', '/vms/' + vm.id + '/checkpoints', name ? { name } : undefined));
      } },
        h('input', { id: 'checkpoint-name', placeholder: t('checkpoints.namePlaceholder') }),
        h('button', { type: 'submit', id: 'checkpoint-create' }, t('checkpoints.create')))),
    h('form', { id: 'tab-move', hidden: true, onsubmit: e => {
      e.preventDefault();
      const destination = document.getElementById('move-destination').value.trim();
      const token = document.getElementById('move-token').value.trim() || null;
      attempt(async () => {
        const job = await api('POST', '/vms/' + vm.id + '/move', { destination, token });
        const done = await awaitJob(job, showJobProgress);
        document.getElementById('move-result').textContent = t('move.done', { destination, message: done.message });
        state.vms.delete(vm.id);
      });
    } },
      h('p', { class: 'muted' }, t('move.text')),
      h('label', { for: 'move-destination' }, t('move.destination')),
      h('input', { id: 'move-destination', type: 'url', required: true, placeholder: 'https://host2:8006' }),
      h('label', { for: 'move-token' }, t('move.token')),
      h('input', { id: 'move-token', type: 'password', autocomplete: 'off' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'move-start', class: 'primary' }, t('move.start'))),
      h('p', { id: 'move-result' })));
  loadCheckpoints(vm);
  return card;
}

// The checkpoint tree as Hyper-V Manager shows it: each checkpoint under its parent, "Now" under the one the present
// descends from (at the top when none).
async function loadCheckpoints(vm) {
  let tree;
  try { tree = await api('GET', '/vms/' + vm.id + '/checkpoints'); } catch (e) { return; }
  const list = document.getElementById('checkpoint-tree');
  if (!list || location.hash !== '#/vm/' + vm.id) return;
  const children = new Map();
  for (const c of tree.checkpoints) {
    const key = c.parent || '';
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(c);
  }
  const now = () => h('li', { class: 'present', id: 'checkpoint-now' }, h('span', { class: 'state state-running' }, t('checkpoints.now')));
  const branch = parent => {
    const items = (children.get(parent) || []).map(c => checkpointItem(vm, c, branch(c.id)));
    if ((tree.current || '') === parent) items.push(now());
    return items.length ? h('ul', {}, items) : null;
  };
  const top = branch('');
  list.replaceChildren(...(top ? [...top.childNodes] : []));
  if (!tree.checkpoints.length) list.append(h('li', { id: 'no-checkpoints', class: 'muted' }, t('checkpoints.none')));
}

function checkpointItem(vm, c, below) {
  const base = '/vms/' + vm.id + '/checkpoints/' + c.id;
  const label = h('span', { class: 'checkpoint-name' }, c.name);
  const rename = () => {
    const input = h('input', { class: 'checkpoint-rename-input', value: c.name, required: true });
    const form = h('form', { class: 'inline', onsubmit: e => {
      e.preventDefault();
      attempt(async () => { await api('PATCH', base, { name: input.value.trim() }); await loadCheckpoints(vm); });
    } }, input, h('button', { type: 'submit', class: 'checkpoint-rename-ok' }, t('checkpoints.renameOk')));
    label.replaceWith(form);
    input.focus();
  };
  return h('li', { 'data-checkpoint': c.name, 'data-id': c.id },
    label, ' ', h('time', { datetime: c.created, class: 'muted' }, fmt.dateTime(c.created)),
    c.hasState ? h('span', { class: 'muted' }, ' · ', t('checkpoints.withState')) : null,
    h('span', { class: 'checkpoint-actions' },
      h('button', { type: 'button', class: 'checkpoint-apply', onclick: () => attempt(() => vmJob(vm, 'POST', base + '/apply')) }, t('checkpoints.apply')),
      h('button', { type: 'button', class: 'checkpoint-rename', onclick: rename }, t('checkpoints.rename')),
      h('button', { type: 'button', class: 'checkpoint-delete', onclick: () => {
        if (confirm(t('checkpoints.confirmDelete', { name: c.name }))) attempt(() => vmJob(vm, 'DELETE', base));
      } }, t('checkpoints.delete'))),
    below);
}

// ---- live charts: the VM's metrics (/vms/{id}/metrics) every 2 s, the last 2 minutes -------------------------------
const CHART_POINTS = 60, CHART_EVERY_MS = 2000;
const sum = (xs, f) => xs.reduce((a, x) => a + f(x), 0);
const diskBytes = m => sum(m.disks, d => d.read.bytes + d.write.bytes);
const netBytes = m => sum(m.networkAdapters, a => a.transmittedBytes + a.receivedBytes);
// Each chart's value from this reading and the one before ({dt} seconds earlier; none for the first reading); its title
// is the catalogue's chart.<id>.
const CHARTS = [
  { id: 'cpu', format: v => fmt.percent(v), fixedMax: 100,
    value: (m, p, dt) => p && 100 * (sum(m.vps, v => v.cpuNanos) - sum(p.vps, v => v.cpuNanos)) / (dt * 1e9 * m.vps.length) },
  { id: 'disk', format: v => fmt.bytes(v) + '/s', value: (m, p, dt) => p && (diskBytes(m) - diskBytes(p)) / dt },
  { id: 'network', format: v => fmt.bytes(v) + '/s', value: (m, p, dt) => p && (netBytes(m) - netBytes(p)) / dt },
  { id: 'memory', format: v => fmt.bytes(v), value: m => m.memory.residentBytes >= 0 ? m.memory.residentBytes : null },
];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

function stopCharts() {
  if (state.charts) clearInterval(state.charts.timer);
  state.charts = null;
}

function startCharts(id) {
  // The same VM's page drawn again (settings saved, say) keeps its history.
  const keep = state.charts && state.charts.id === id ? state.charts : null;
  stopCharts();
  const c = keep || { id, last: null, series: Object.fromEntries(CHARTS.map(ch => [ch.id, []])) };
  c.timer = setInterval(() => sampleCharts(c), CHART_EVERY_MS);
  state.charts = c;
  sampleCharts(c);
  drawCharts(c);
}

async function sampleCharts(c) {
  const vm = state.vms.get(c.id);
  if (!vm || !['running', 'paused'].includes(vm.state)) { c.last = null; return; }
  let m;
  try { m = await api('GET', '/vms/' + c.id + '/metrics'); } catch (e) { return; } // stopped meanwhile
  if (state.charts !== c) return;
  const dt = c.last ? (Date.parse(m.at) - Date.parse(c.last.at)) / 1000 : 0;
  if (c.last && dt <= 0) return;
  for (const ch of CHARTS) {
    const v = ch.value(m, c.last, dt);
    if (v === null || v === undefined || !isFinite(v)) continue;
    const s = c.series[ch.id];
    s.push(Math.max(0, v));
    if (s.length > CHART_POINTS) s.shift();
  }
  c.last = m;
  drawCharts(c);
}

function drawCharts(c) {
  let drawn = false;
  for (const ch of CHARTS) {
    const fig = document.getElementById('chart-' + ch.id);
    if (!fig) return;
    const s = c.series[ch.id];
    const max = ch.fixedMax || Math.max(1, ...s) * 1.15;
    const step = 240 / (CHART_POINTS - 1), x0 = 240 - (s.length - 1) * step;
    fig.querySelector('polyline').setAttribute('points',
      s.map((v, i) => (x0 + i * step).toFixed(1) + ',' + (80 - 78 * Math.min(v, max) / max).toFixed(1)).join(' '));
    fig.dataset.points = s.length;
    if (s.length) { fig.dataset.value = s[s.length - 1]; fig.querySelector('.chart-value').textContent = ch.format(s[s.length - 1]); }
    drawn ||= s.length > 0;
  }
  const note = document.getElementById('charts-note');
  if (note) note.hidden = drawn;
}

// ---- console ------------------------------------------------------------------------------------------------------
function closeConsole() {
  if (state.socket) { state.socket.onclose = null; state.socket.close(); state.socket = null; }
  if (state.term) { state.term.dispose(); state.term = null; }
}

function openConsole(vm) {
  closeConsole();
  // Guests write bare line feeds to their serial port (a serial terminal treats LF as CR+LF); without convertEol
  // every line would begin where the one before ended.
  const term = new Terminal({ rendererType: 'dom', convertEol: true, rows: 20, cols: 100, scrollback: 5000 });
  term.open(document.getElementById('terminal'));
  window.viridianTerminal = term; // for tests and the curious
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(withToken(proto + '//' + location.host + API + '/vms/' + vm.id + '/console/ws'));
  socket.binaryType = 'arraybuffer';
  socket.onmessage = m => term.write(new Uint8Array(m.data));
  socket.onclose = () => term.write('\r\n' + t('vm.consoleDisconnected') + '\r\n');
  term.onData(d => { if (socket.readyState === WebSocket.OPEN) socket.send(d); });
  state.term = term;
  state.socket = socket;
}

// ---- events -------------------------------------------------------------------------------------------------------
function addEvent(e) {
  const list = document.getElementById('events');
  list.prepend(h('li', { 'data-type': e.type, title: e.message }, h('time', { datetime: e.time }, fmt.time(e.time)),
    e.vmName ? h('b', {}, e.vmName + ' ') : null, eventText(e)));
  while (list.children.length > 100) list.lastChild.remove();
}

// An event in the page's language from its type and state; the service's English words stay in the item's title.
function eventText(e) {
  switch (e.type) {
    case 'vm.created': return t('event.created');
    case 'vm.updated': return t('event.updated');
    case 'vm.deleted': return t('event.deleted');
    case 'vm.state': return t('event.state', { state: stateText(e.state) });
    case 'job': {
      const m = /^(\S+) \S+ \((\d+)%\)/.exec(e.message || '');
      return m ? t('event.job', { kind: jobKind(m[1]), status: t('job.' + e.state), progress: fmt.number(Number(m[2])) }) : e.message;
    }
    default: return e.message;
  }
}

function listenForEvents() {
  if (state.events) state.events.close();
  const source = new EventSource(withToken(API + '/events/stream?since=0'));
  // VM refreshes run one after another, because answers to concurrent fetches may arrive out of order and leave an
  // older state on the page; a VM already waiting for its refresh needs no second one (the fetch reads the latest).
  let queue = Promise.resolve();
  const waiting = new Set();
  const refreshLater = id => {
    if (waiting.has(id)) return;
    waiting.add(id);
    queue = queue.then(async () => {
      waiting.delete(id);
      try { refreshVm(await api('GET', '/vms/' + id)); } catch (x) { /* deleted meanwhile */ }
    });
  };
  const onEvent = m => {
    const e = JSON.parse(m.data);
    addEvent(e);
    if (e.type === 'vm.deleted') { state.vms.delete(e.vmId); if (!location.hash || location.hash === '#/') renderList(); }
    else if (e.vmId && e.type !== 'job') refreshLater(e.vmId);
  };
  for (const t of ['vm.created', 'vm.updated', 'vm.deleted', 'vm.state', 'job']) source.addEventListener(t, onEvent);
  state.events = source;
}

// ---- virtual switches ---------------------------------------------------------------------------------------------
const SWITCH_COLUMNS = ['field.name', 'switches.type', 'switches.hostAddress', 'switches.ports', 'switches.leases', 'switches.hostState'];
async function renderSwitches() {
  const switches = await api('GET', '/switches');
  const rows = switches.map(s => h('tr', { 'data-switch': s.name },
    h('td', {}, s.name), h('td', {}, t('switchType.' + s.type)), h('td', {}, s.hostAddress || s.externalInterface || '–'),
    h('td', {}, s.ports.map(p => p.vm + '/' + p.adapter).join(', ') || t('vm.none')),
    h('td', {}, s.leases.map(l => l.ipv4Address + ' ' + l.mac + (l.hostname ? ' ' + l.hostname : '')).join(', ') || '–'),
    h('td', { title: s.hostStateReason || '' }, t('switchState.' + s.hostState)),
    h('td', {}, h('button', { type: 'button', class: 'switch-delete', onclick: () => attempt(async () => {
      await api('DELETE', '/switches/' + encodeURIComponent(s.name)); renderSwitches();
    }) }, t('switches.delete')))));
  const form = h('form', { id: 'switch-form', class: 'card', onsubmit: ev => {
    ev.preventDefault();
    attempt(async () => {
      const body = { name: document.getElementById('switch-name').value.trim(), type: document.getElementById('switch-type').value };
      const address = document.getElementById('switch-address').value.trim();
      if (address) body[body.type === 'external' ? 'externalInterface' : 'hostAddress'] = address;
      await api('POST', '/switches', body);
      renderSwitches();
    });
  } },
    h('h2', {}, t('switches.new')),
    h('input', { id: 'switch-name', placeholder: t('switches.namePlaceholder'), required: true }),
    h('select', { id: 'switch-type' }, ['private', 'internal', 'nat', 'external'].map(k => h('option', { value: k }, t('switchType.' + k)))),
    h('input', { id: 'switch-address', placeholder: t('switches.addressPlaceholder') }),
    h('button', { type: 'submit', id: 'switch-create' }, t('switches.create')));
  if ((location.hash || '#/') !== '#/switches') return;
  document.getElementById('view').replaceChildren(h('h1', {}, t('switches.title')),
    state.host && !state.host.canMakeSwitches ? h('p', { class: 'banner service-text' }, state.host.switchesUnavailableReason) : null,
    rows.length ? h('table', { id: 'switch-table' },
      h('thead', {}, h('tr', {}, SWITCH_COLUMNS.map(k => h('th', {}, t(k))), h('th', {}))),
      h('tbody', {}, rows))
      : h('p', { id: 'no-switches' }, t('switches.none')),
    form);
}

// ---- failover cluster ---------------------------------------------------------------------------------------------
/** "quick A→B, paused 840 ms" (quick migration, cold move or failover); the note, if any, is the cell's title. */
function lastMove(m) {
  if (!m) return '–';
  const how = ['quick', 'cold', 'failover'].includes(m.how) ? t('cluster.move.' + m.how) : m.how;
  return how + ' ' + (m.from ? m.from + '→' : '') + m.to + (m.pauseMs == null ? '' : t('cluster.move.paused', { ms: m.pauseMs }));
}

async function renderCluster() {
  const c = await api('GET', '/cluster');
  if ((location.hash || '#/') !== '#/cluster') return;
  const view = document.getElementById('view');
  if (!c.enabled) {
    view.replaceChildren(h('h1', {}, t('nav.cluster')), h('p', { id: 'not-clustered' }, t('cluster.notMember')));
    return;
  }
  const drainBy = (c.drainRequested || []);
  const hosts = c.hosts.map(m => h('tr', { 'data-host': m.name },
    h('td', {}, m.name), h('td', { class: 'host-health' }, m.health + (m.draining ? t('cluster.draining') : '')),
    h('td', {}, String(Object.keys(m.vms).length)), h('td', {}, fmt.bytes(m.memoryFree)), h('td', {}, String(m.processors)),
    h('td', {}, h('button', { type: 'button', class: 'host-drain', onclick: () => attempt(async () => {
      await api('POST', '/cluster/hosts/' + encodeURIComponent(m.name) + (drainBy.includes(m.name) ? '/resume' : '/drain'));
      renderCluster();
    }) }, drainBy.includes(m.name) ? t('cluster.resume') : t('cluster.drain')))));
  const vms = c.vms.map(v => h('tr', { 'data-clustered-vm': v.name },
    h('td', {}, v.name), h('td', { class: 'vm-owner' }, v.owner || t('cluster.failingOver')), h('td', {}, v.epoch == null ? '–' : String(v.epoch)),
    h('td', {}, v.state ? stateText(v.state) : '–'), h('td', {}, v.priority), h('td', {}, v.preferredHosts.join(', ') || '–'),
    h('td', { class: 'vm-last-move', title: (v.lastMove && v.lastMove.note) || '' }, lastMove(v.lastMove))));
  view.replaceChildren(h('h1', {}, t('nav.cluster')),
    h('p', { id: 'cluster-member' }, t('cluster.member', { host: c.host, detail: c.detail }) + (c.stale ? t('cluster.stale') : '')),
    h('table', { id: 'cluster-hosts' },
      h('thead', {}, h('tr', {}, ['member', 'health', 'vms', 'memoryFree', 'processors'].map(k => h('th', {}, t('cluster.col.' + k))).concat([h('th', {})]))),
      h('tbody', {}, hosts)),
    vms.length ? h('table', { id: 'cluster-vms' },
      h('thead', {}, h('tr', {}, ['vm', 'owner', 'epoch', 'state', 'priority', 'preferred', 'lastMove'].map(k => h('th', {}, t('cluster.col.' + k))))),
      h('tbody', {}, vms))
      : h('p', { id: 'no-clustered-vms' }, t('cluster.noVms')));
}

// ---- routing ------------------------------------------------------------------------------------------------------
async function route() {
  clearError();
  const hash = location.hash || '#/';
  if (!hash.startsWith('#/vm/')) { closeConsole(); closeScreen(); stopCharts(); }
  if (hash === '#/new') return renderWizard();
  if (hash === '#/switches') return attempt(renderSwitches);
  if (hash === '#/cluster') return attempt(renderCluster);
  if (hash.startsWith('#/vm/')) return renderVm(decodeURIComponent(hash.substring(5)));
  try { (await api('GET', '/vms')).forEach(vm => state.vms.set(vm.id, vm)); } catch (e) { return showError(e); }
  if ((location.hash || '#/') !== hash) return; // the user went elsewhere (e.g. the wizard) while the list loaded
  renderList();
}

async function start() {
  try {
    state.host = await api('GET', '/host');
  } catch (e) { return; }
  document.getElementById('host-status').textContent =
    t('host.status', { version: state.host.version, count: state.host.vmCount });
  // Only now: a wizard opened before the host was known was drawn again by the route() below (a name typed into the
  // first one was lost; the nested web test saw its field go stale).
  document.getElementById('new-vm').disabled = false;
  const banner = document.getElementById('banner');
  banner.hidden = state.host.canRunVms;
  banner.textContent = state.host.canRunVms ? '' : state.host.unavailableReason.replace(/^this host/, 'This host');
  listenForEvents();
  route();
  // Heartbeat and KVP change without events: a running VM's page looks again every 5 s, and so does the list while a
  // VM runs (redrawn only when a guest's addresses changed).
  setInterval(async () => {
    const hash = location.hash || '';
    if ((hash === '' || hash === '#/') && [...state.vms.values()].some(v => v.state === 'running')) {
      const shown = () => [...state.vms.values()].map(ipv4Text).join('|'), before = shown();
      try { (await api('GET', '/vms')).forEach(vm => state.vms.set(vm.id, vm)); } catch (e) { return; }
      if (shown() !== before && (location.hash || '#/') === '#/') renderList();
      return;
    }
    if (!hash.startsWith('#/vm/')) return;
    const vm = state.vms.get(decodeURIComponent(hash.substring(5)));
    if (!vm || !['running', 'paused'].includes(vm.state)) return;
    try { refreshVm(await api('GET', '/vms/' + vm.id)); } catch (e) { /* deleted meanwhile */ }
  }, 5000);
}

window.addEventListener('hashchange', route);
initI18n().then(() => {
  document.getElementById('language-slot').replaceChildren(languageChooser());
  start();
});
