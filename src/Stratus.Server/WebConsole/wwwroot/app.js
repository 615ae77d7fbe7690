// The Stratus web console: a page per resource kind, each rendered from signed API calls
// (see aws.js) and refreshed every few seconds while the tab is visible. No data comes from
// anywhere but the public AWS APIs the server serves to every client.
import { call, ApiError, text, list, at, tagsOf } from './aws.js';

const SESSION_KEY = 'stratus.console.session';
const PAGE_SIZE_KEY = 'stratus.console.pageSize';
const POLL_MS = 4000;
const PAGE_SIZES = [25, 50, 100, 200];
const FALLBACK_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1', 'ap-southeast-2'];

const main = document.getElementById('main');
let session = readSession();
let current = null;
let flash = null;
let regions = null;
const selected = new Set();
const cache = new Map();
window.__stratusReady = [];

// ---- helpers -----------------------------------------------------------------------------

function readSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    return s && s.accessKeyId && s.secretAccessKey ? s : null;
  } catch {
    return null;
  }
}

function saveSession() {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
const dash = (s) => (s === undefined || s === null || s === '' ? '<span class="muted">–</span>' : esc(s));
const time = (s) => (s ? `<span class="nowrap">${esc(s.replace('T', ' ').replace(/\.\d+(Z|[+-]\d\d:\d\d)$/, '$1'))}</span>` : dash(''));
const state = (s) => (s ? `<span class="state ${esc(s)}">${esc(s)}</span>` : dash(''));
const link = (href, label) => `<a href="${esc(href)}">${esc(label)}</a>`;
const tagList = (tags, skip = []) =>
  Object.entries(tags).filter(([k]) => !skip.includes(k)).map(([k, v]) => `<span class="tag">${esc(k)}=${esc(v)}</span>`).join('') || dash('');

/** The last calls, their parameters and durations (window.__stratusCalls), for measuring the pages. */
window.__stratusCalls = [];

async function api(service, action, params) {
  const started = performance.now();
  try {
    return await call(session, session.region, service, action, params);
  } finally {
    window.__stratusCalls.push({ action, params, ms: performance.now() - started });
    if (window.__stratusCalls.length > 100) window.__stratusCalls.shift();
  }
}

function pageSize() {
  const n = Number(sessionStorage.getItem(PAGE_SIZE_KEY));
  return PAGE_SIZES.includes(n) ? n : 50;
}

function errorBox(e, context = '') {
  if (!(e instanceof ApiError)) {
    console.warn(e);
    return `<div class="error">${esc(context)}${esc(e && e.message ? e.message : e)}</div>`;
  }
  const rid = e.requestId ? ` <span class="muted">(request ${esc(e.requestId)})</span>` : '';
  return `<div class="error" data-error-code="${esc(e.code)}">${esc(context)}<span class="code">${esc(e.code)}</span>: ${esc(e.message)}${rid}</div>`;
}

function table(columns, rows, empty = 'Nothing here yet.') {
  const head = columns.map((c) => (c === '' ? '<th class="check"></th>' : `<th>${esc(c)}</th>`)).join('');
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((cell, i) => (columns[i] === '' ? `<td class="check">${cell}</td>` : `<td>${cell}</td>`)).join('')}</tr>`).join('')
    : `<tr><td colspan="${columns.length}" class="muted">${esc(empty)}</td></tr>`;
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Numbered parameters (EC2: Name.1; Query: Name.member.1). */
function numbered(prefix, values) {
  const out = {};
  values.forEach((v, i) => { out[`${prefix}.${i + 1}`] = v; });
  return out;
}

function ec2Filter(filters) {
  const out = {};
  filters.forEach(([name, values], i) => {
    out[`Filter.${i + 1}.Name`] = name;
    values.forEach((v, j) => { out[`Filter.${i + 1}.Value.${j + 1}`] = v; });
  });
  return out;
}

/** EC2 tag parameters for CreateTags / TagSpecification (prefix "Tag" or "TagSpecification.1.Tag"). */
function tagParams(prefix, tags) {
  const out = {};
  Object.entries(tags).forEach(([k, v], i) => {
    out[`${prefix}.${i + 1}.Key`] = k;
    out[`${prefix}.${i + 1}.Value`] = v;
  });
  return out;
}

/** A Name tag at creation (EC2's TagSpecification) when a name was given. */
function nameSpec(resourceType, name) {
  const n = String(name ?? '').trim();
  return n ? { 'TagSpecification.1.ResourceType': resourceType, ...tagParams('TagSpecification.1.Tag', { Name: n }) } : {};
}

// ---- search: free text over a row's visible cells and tags, "key=value" for tags ------------

const searches = new Map();

/** A table row: its cells (HTML) with what search matches besides them. */
function row(cells, tags = {}, extra = {}) {
  return Object.assign(cells, { tags, ...extra });
}

const plain = (html) => String(html).replace(/<span class="row-actions">[\s\S]*?<\/span>/g, ' ').replace(/<[^>]*>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

function searchTokens(query) {
  return (String(query ?? '').match(/"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^"|"$/g, '')).filter(Boolean);
}

/** Whether a row matches every token of the query (AND): "key=value" tests a tag, other words the text. */
function rowMatches(tokens, r) {
  if (!tokens.length) return true;
  const tags = Object.entries(r.tags ?? {});
  const hay = (r.map(plain).join(' ') + ' ' + tags.map(([k, v]) => `${k}=${v}`).join(' ')).toLowerCase();
  return tokens.every((token) => {
    const t = token.toLowerCase();
    const eq = t.indexOf('=');
    if (eq > 0) {
      const key = t.slice(0, eq);
      const value = t.slice(eq + 1);
      return tags.some(([k, v]) => k.toLowerCase() === key && (value === '' || value === '*' || v.toLowerCase().includes(value)));
    }
    return hay.includes(t);
  });
}

/**
 * What of the search EC2 can answer itself, as Describe filters, so a search covers every page and
 * not only the one shown: "key=value" becomes tag:key with *value* (EC2's wildcards; tag values are
 * compared case-sensitively there, as in every EC2 filter), "key=" or "key=*" becomes tag-key. Free
 * words stay a search of the page the API returned. `extra` adds the page's own filters.
 */
function searchFilters(view, extra = []) {
  const filters = [...extra];
  for (const token of searchTokens(view.state.search)) {
    const eq = token.indexOf('=');
    if (eq <= 0) continue;
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    filters.push(value === '' || value === '*' ? ['tag-key', [key]] : [`tag:${key}`, [`*${value}*`]]);
  }
  return filters;
}

/** The rows the view's search (and instance-state choice) lets through. */
function filterRows(view, rows) {
  const tokens = searchTokens(view.state.search);
  const wantedState = view.state.stateFilter;
  const out = rows.filter((r) => rowMatches(tokens, r) && (!wantedState || r.state === wantedState));
  view.state.counts = view.state.counts ?? [];
  view.state.counts.push([out.length, rows.length]);
  return out;
}

/** A filtered table: shows how many rows of the page match, and says so when none do. */
function searchTable(view, columns, rows, empty) {
  const shown = filterRows(view, rows);
  const filtering = rows.length && shown.length !== rows.length;
  const note = filtering ? `<p class="muted search-note">${shown.length} of ${rows.length} on this page match.</p>` : '';
  const searching = searchTokens(view.state.search).length > 0 || Boolean(view.state.stateFilter);
  return note + table(columns, shown, rows.length ? 'No matches on this page.' : searching ? 'Nothing matches the search.' : empty);
}

function searchBox(view, extra = '') {
  return `<div class="toolbar searchbar" role="search">
    <label for="search" class="visually-hidden">Search this list</label>
    <input type="search" id="search" data-search placeholder="Search: words, or key=value for tags" value="${esc(view.state.search ?? '')}" spellcheck="false">
    ${extra}</div>`;
}

// ---- actions: buttons, confirmations and dialogs ----------------------------------------------

/** A button that runs ACTIONS[action] with its data-* attributes. */
function btn(action, label, data = {}, opts = {}) {
  const attrs = Object.entries(data).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  const aria = opts.aria ? ` aria-label="${esc(opts.aria)}"` : '';
  return `<button type="button" data-action="${esc(action)}"${attrs}${aria}${opts.danger ? ' class="danger"' : opts.primary ? ' class="primary"' : ''}${opts.disabled ? ' disabled' : ''}>${esc(label)}</button>`;
}

const rowActions = (...buttons) => `<span class="row-actions">${buttons.filter(Boolean).join('')}</span>`;

/** Runs a write, after a confirmation when it destroys something; the result (or AWS's error) is shown above the list. */
async function perform({ confirm, verb, run, done }) {
  if (confirm && !(await confirmDialog(confirm, verb))) return;
  try {
    const result = await run();
    setFlash('ok', typeof done === 'function' ? done(result) : esc(done ?? `${verb} done.`));
  } catch (e) {
    setFlash('error', errorBox(e, `${verb} failed: `));
  }
  if (current) await refresh(current);
}

let dialogSpec = null;
let dialogOpener = null;

function fieldHtml(f) {
  const id = `dlg-${f.name}`;
  const hint = f.hint ? ` <span class="hint">${esc(f.hint)}</span>` : '';
  const common = `id="${id}" name="${esc(f.name)}"${f.required ? ' required' : ''}`;
  if (f.type === 'hidden') return `<input type="hidden" ${common} value="${esc(f.value ?? '')}">`;
  if (f.type === 'html') return f.html;
  const label = `<label for="${id}">${esc(f.label)}${hint}</label>`;
  if (f.type === 'select') {
    const options = f.options.map(([value, text]) => `<option value="${esc(value)}"${String(value) === String(f.value ?? '') ? ' selected' : ''}>${esc(text)}</option>`).join('');
    return `${label}<select ${common}>${options}</select>`;
  }
  if (f.type === 'textarea') return `${label}<textarea ${common} rows="${f.rows ?? 4}" spellcheck="false"${f.placeholder ? ` placeholder="${esc(f.placeholder)}"` : ''}>${esc(f.value ?? '')}</textarea>`;
  const extra = ['min', 'max', 'placeholder', 'pattern', 'maxlength'].filter((k) => f[k] !== undefined).map((k) => ` ${k}="${esc(f[k])}"`).join('');
  return `${label}<input type="${f.type ?? 'text'}" ${common} value="${esc(f.value ?? '')}"${extra} spellcheck="false">`;
}

/**
 * A modal form. spec: { id, title, intro?, fields, submit, run(values) → result, done(values, result) → flash HTML,
 * show?(values, result) → HTML kept open in the dialog (e.g. a private key shown once) }.
 */
function formDialog(spec) {
  const dialog = document.getElementById('form-dialog');
  dialogSpec = spec;
  dialogOpener = document.activeElement;
  dialog.dataset.dialog = spec.id;
  document.getElementById('form-dialog-title').textContent = spec.title;
  document.getElementById('form-dialog-body').innerHTML = (spec.intro ? `<p class="muted">${spec.intro}</p>` : '') + spec.fields.map(fieldHtml).join('');
  document.getElementById('form-dialog-error').innerHTML = '';
  const submit = document.getElementById('form-dialog-submit');
  submit.textContent = spec.submit ?? 'Save';
  submit.hidden = false;
  submit.disabled = false;
  submit.className = spec.danger ? 'danger' : 'primary';
  document.getElementById('form-dialog-cancel').textContent = 'Cancel';
  if (!dialog.open) dialog.showModal();
  const first = dialog.querySelector('#form-dialog-body input:not([type=hidden]), #form-dialog-body select, #form-dialog-body textarea');
  (first ?? submit).focus();
}

async function submitDialog(form) {
  const spec = dialogSpec;
  if (!spec) return;
  const values = {};
  for (const [k, v] of new FormData(form)) values[k] = values[k] === undefined ? String(v) : [].concat(values[k], String(v));
  const submit = document.getElementById('form-dialog-submit');
  const errorHolder = document.getElementById('form-dialog-error');
  submit.disabled = true;
  errorHolder.innerHTML = '';
  let result;
  try {
    result = await spec.run(values);
  } catch (e) {
    errorHolder.innerHTML = errorBox(e, `${spec.submit ?? 'Save'} failed: `);
    submit.disabled = false;
    return;
  }
  setFlash('ok', spec.done ? spec.done(values, result) : `${esc(spec.title)}: done.`);
  if (spec.show) {
    dialogSpec = null;
    document.getElementById('form-dialog').dataset.dialog = `${spec.id}-result`;
    document.getElementById('form-dialog-body').innerHTML = spec.show(values, result);
    submit.hidden = true;
    const cancel = document.getElementById('form-dialog-cancel');
    cancel.textContent = 'Close';
    cancel.focus();
  } else {
    document.getElementById('form-dialog').close();
  }
  if (current) refresh(current);
}

document.getElementById('form-dialog').addEventListener('close', () => {
  dialogSpec = null;
  for (const a of document.querySelectorAll('#form-dialog a[data-blob]')) URL.revokeObjectURL(a.href);
  document.getElementById('form-dialog-body').innerHTML = '';
  if (dialogOpener && document.contains(dialogOpener)) dialogOpener.focus();
  dialogOpener = null;
});

/** Opens a dialog whose choices need API calls first; a failure to load them is shown like any other. */
async function openDialog(build) {
  try {
    formDialog(await build());
  } catch (e) {
    setFlash('error', errorBox(e));
    if (current) refresh(current);
  }
}

/** The tag editor: Name plus any other tags as key=value lines; applies the difference with CreateTags / DeleteTags. */
function editTags(resourceId, tags) {
  const others = Object.entries(tags).filter(([k]) => k !== 'Name' && !k.startsWith('aws:'));
  formDialog({
    id: 'edit-tags',
    title: `Tags of ${resourceId}`,
    fields: [
      { name: 'Name', label: 'Name', value: tags.Name ?? '', maxlength: 256 },
      { name: 'others', label: 'Other tags', type: 'textarea', hint: '(one key=value a line)', value: others.map(([k, v]) => `${k}=${v}`).join('\n') },
    ],
    submit: 'Save tags',
    async run(values) {
      const wanted = {};
      if (values.Name.trim()) wanted.Name = values.Name.trim();
      for (const line of values.others.split('\n')) {
        if (!line.trim()) continue;
        const eq = line.indexOf('=');
        const key = (eq < 0 ? line : line.slice(0, eq)).trim();
        if (key) wanted[key] = eq < 0 ? '' : line.slice(eq + 1).trim();
      }
      const removed = Object.keys(tags).filter((k) => !(k in wanted) && !k.startsWith('aws:'));
      const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => tags[k] !== v));
      if (removed.length) await api('ec2', 'DeleteTags', { 'ResourceId.1': resourceId, ...Object.fromEntries(removed.map((k, i) => [`Tag.${i + 1}.Key`, k])) });
      if (Object.keys(changed).length) await api('ec2', 'CreateTags', { 'ResourceId.1': resourceId, ...tagParams('Tag', changed) });
    },
    done: () => `Tags of ${esc(resourceId)} saved.`,
  });
}

const tagsButton = (id, tags) => btn('edit-tags', 'Tags', { id, tags: JSON.stringify(tags) }, { aria: `Edit the tags of ${id}` });

// ---- paging (NextToken / Marker) ---------------------------------------------------------

async function fetchPage(view, id, service, action, params, opts = {}) {
  // A changed search starts the list again from its first page.
  const filters = opts.filters ?? [];
  const filterKey = JSON.stringify(filters);
  let pg = view.state.paging[id];
  if (!pg || pg.filterKey !== filterKey) pg = view.state.paging[id] = { tokens: [null], index: 0, next: null, filterKey };
  const p = { ...params, ...ec2Filter(filters) };
  if (opts.sizeParam !== null) p[opts.sizeParam ?? 'MaxResults'] = Math.min(pageSize(), opts.max ?? 1000);
  const token = pg.tokens[pg.index];
  if (token) p[opts.tokenParam ?? 'NextToken'] = token;
  const root = await api(service, action, p);
  pg.next = text(root, opts.nextPath ?? 'nextToken') || null;
  return root;
}

function pager(view, id) {
  const pg = view.state.paging[id];
  if (!pg) return '';
  const sizes = PAGE_SIZES.map((n) => `<option value="${n}"${n === pageSize() ? ' selected' : ''}>${n}</option>`).join('');
  return `<div class="pager" data-pager="${esc(id)}">Page ${pg.index + 1}
    <button type="button" data-action="page-prev" data-table="${esc(id)}"${pg.index === 0 ? ' disabled' : ''}>‹ Previous</button>
    <button type="button" data-action="page-next" data-table="${esc(id)}"${pg.next ? '' : ' disabled'}>Next ›</button>
    <label>Page size <select data-change="page-size" aria-label="Page size">${sizes}</select></label></div>`;
}

// ---- view lifecycle ------------------------------------------------------------------------

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const [name, ...rest] = path.split('/');
  return { name: name || 'instances', arg: rest.length ? decodeURIComponent(rest.join('/')) : '', query: new URLSearchParams(query) };
}

async function show() {
  if (current && current.timer) clearTimeout(current.timer);
  const route = parseHash();
  updateChrome();
  if (!session) {
    current = null;
    renderSignIn();
    return;
  }
  const page = PAGES[route.name] ?? PAGES.instances;
  if (flash && flash.hash !== location.hash) flash = null;
  const view = { route, page, hash: location.hash, state: { paging: {}, search: searches.get(route.name) ?? '', stateFilter: searches.get(`${route.name}:state`) ?? '' }, lastHtml: null, timer: null, started: performance.now(), ready: false };
  current = view;
  selected.clear();
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === (route.name === 'launch' ? 'launch' : route.name));
  document.title = `${page.title(route)} · Stratus console`;
  main.innerHTML = `<h1>${esc(page.title(route))}</h1><p class="muted">Loading…</p>`;
  await refresh(view);
}

async function refresh(view) {
  if (view.timer) {
    clearTimeout(view.timer);
    view.timer = null;
  }
  // Only the latest refresh of a view draws and schedules the next one (a click may start one
  // while a poll is in flight).
  const seq = (view.seq = (view.seq ?? 0) + 1);
  let html;
  view.state.counts = [];
  try {
    html = await view.page.render(view);
  } catch (e) {
    html = `<h1>${esc(view.page.title(view.route))}</h1>${errorBox(e)}`;
  }
  if (view !== current || seq !== view.seq) return;
  const full = (flash ? `<div class="flash">${flash.html}</div>` : '') + html;
  if (full !== view.lastHtml) {
    // Keep the place of whoever is typing (the search box) across the redraw.
    const active = document.activeElement;
    const keep = active && active.id && main.contains(active)
      ? { id: active.id, start: active.selectionStart, end: active.selectionEnd } : null;
    main.innerHTML = full;
    view.lastHtml = full;
    if (keep) {
      const again = document.getElementById(keep.id);
      if (again) {
        again.focus();
        try {
          if (keep.start !== null && keep.start !== undefined) again.setSelectionRange(keep.start, keep.end);
        } catch {
          // not a text field
        }
      }
    }
    if (view.page.mounted) view.page.mounted(view);
  }
  if (!view.ready) {
    view.ready = true;
    const entry = { route: view.route.name, hash: view.hash, sinceNavigationMs: performance.now(), sinceRouteMs: performance.now() - view.started };
    window.__stratusReady.push(entry);
    document.body.dataset.ready = view.hash || '#/instances';
  }
  if (view.page.poll !== false) view.timer = setTimeout(() => tick(view), POLL_MS);
}

function tick(view) {
  if (view !== current) return;
  if (document.visibilityState !== 'visible') {
    view.stale = true;
    return;
  }
  refresh(view);
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && current && current.stale) {
    current.stale = false;
    refresh(current);
  }
});

/** A message shown above the page whose hash is given (the current one by default) until the next navigation. */
function setFlash(kind, html, hash = location.hash) {
  flash = { html: kind === 'error' ? html : `<div class="notice">${html}</div>`, hash };
}

/** Asks before a destructive action; Cancel has the focus, Escape cancels. */
function confirmDialog(message, label = 'Confirm') {
  const dialog = document.getElementById('confirm');
  const opener = document.activeElement;
  document.getElementById('confirm-title').textContent = `${label}?`;
  document.getElementById('confirm-text').textContent = message;
  document.getElementById('confirm-ok').textContent = label;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (opener && document.contains(opener)) opener.focus();
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}

// ---- chrome: identity, region picker, sign in/out -------------------------------------------

function updateChrome() {
  const signedIn = !!session;
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('region-box').hidden = !signedIn;
  document.getElementById('sign-out').hidden = !signedIn;
  document.getElementById('identity').textContent = signedIn ? session.arn || session.accessKeyId : '';
  if (signedIn) fillRegions();
}

function fillRegions() {
  const select = document.getElementById('region');
  const names = regions ?? FALLBACK_REGIONS;
  const all = names.includes(session.region) ? names : [session.region, ...names];
  const html = all.map((r) => `<option value="${esc(r)}"${r === session.region ? ' selected' : ''}>${esc(r)}</option>`).join('');
  if (select.innerHTML !== html) select.innerHTML = html;
  if (!regions && session.regions) regions = session.regions;
  if (!regions) {
    // Once per sign-in, after the first page has its data (the list is kept with the session).
    regions = FALLBACK_REGIONS;
    setTimeout(() => api('ec2', 'DescribeRegions', {})
      .then((root) => {
        regions = list(root, 'regionInfo').map((r) => text(r, 'regionName')).sort();
        if (session) {
          session.regions = regions;
          saveSession();
          fillRegions();
        }
      })
      .catch(() => {}), 1500);
  }
}

document.getElementById('region').addEventListener('change', (e) => {
  session.region = e.target.value;
  saveSession();
  cache.clear();
  flash = null;
  current = null;
  show();
});

document.getElementById('sign-out').addEventListener('click', () => {
  session = null;
  saveSession();
  cache.clear();
  regions = null;
  flash = null;
  location.hash = '#/instances';
  show();
});

function renderSignIn(error = '') {
  document.title = 'Sign in · Stratus console';
  const options = FALLBACK_REGIONS.map((r) => `<option value="${r}"${r === 'us-east-1' ? ' selected' : ''}>${r}</option>`).join('');
  main.innerHTML = `<form class="signin panel" data-form="sign-in" autocomplete="off">
    <h1>Sign in to Stratus</h1>
    <p class="muted">Use an account's access key (the <code>stratus</code> profile in <code>~/.aws/credentials</code>,
      or <code>stratus account create</code>) or an IAM user's. The keys stay in this tab's session storage;
      every call is signed here with Signature Version 4.</p>
    ${error}
    <label for="access-key-id">Access key ID</label>
    <input id="access-key-id" name="accessKeyId" required spellcheck="false" autocomplete="username">
    <label for="secret-access-key">Secret access key</label>
    <input id="secret-access-key" name="secretAccessKey" type="password" required autocomplete="current-password">
    <label for="session-token">Session token <span class="muted">(temporary credentials only)</span></label>
    <input id="session-token" name="sessionToken" spellcheck="false">
    <label for="signin-region">Region</label>
    <select id="signin-region" name="region">${options}</select>
    <p><button type="submit" class="primary" id="sign-in">Sign in</button></p>
  </form>`;
  document.body.dataset.ready = 'sign-in';
}

async function signIn(form) {
  const data = new FormData(form);
  const candidate = {
    accessKeyId: String(data.get('accessKeyId')).trim(),
    secretAccessKey: String(data.get('secretAccessKey')).trim(),
    sessionToken: String(data.get('sessionToken') || '').trim() || undefined,
    region: String(data.get('region')),
  };
  try {
    const root = await call(candidate, candidate.region, 'sts', 'GetCallerIdentity', {});
    candidate.arn = text(root, 'GetCallerIdentityResult/Arn');
    candidate.account = text(root, 'GetCallerIdentityResult/Account');
  } catch (e) {
    renderSignIn(errorBox(e, 'Sign-in failed: '));
    return;
  }
  session = candidate;
  saveSession();
  if (!location.hash || location.hash === '#/' || location.hash === '#') location.hash = '#/instances';
  else show();
}

// ---- pages -------------------------------------------------------------------------------

const INSTANCE_ACTIONS = {
  start: { op: 'StartInstances', verb: 'Start', confirm: false },
  stop: { op: 'StopInstances', verb: 'Stop', confirm: true },
  reboot: { op: 'RebootInstances', verb: 'Reboot', confirm: true },
  terminate: { op: 'TerminateInstances', verb: 'Terminate', confirm: true },
};

function instanceToolbar(ids, disabled) {
  return Object.entries(INSTANCE_ACTIONS)
    .map(([key, a]) => `<button type="button" data-action="instance-${key}" data-ids="${esc(ids.join(' '))}"${disabled ? ' disabled' : ''}${key === 'terminate' ? ' class="danger"' : ''}>${a.verb}</button>`)
    .join('');
}

async function runInstanceAction(key, ids) {
  const a = INSTANCE_ACTIONS[key];
  if (!ids.length) return;
  if (a.confirm && !(await confirmDialog(`${a.verb} ${ids.join(', ')}?`, a.verb))) return;
  try {
    await api('ec2', a.op, numbered('InstanceId', ids));
    setFlash('ok', `${esc(a.verb)} requested for ${esc(ids.join(', '))}.`);
  } catch (e) {
    setFlash('error', errorBox(e, `${a.verb} failed: `));
  }
  selected.clear();
  if (current) refresh(current);
}

function instancesOf(root) {
  return list(root, 'reservationSet').flatMap((r) => list(r, 'instancesSet'));
}

const PAGES = {};

PAGES.instances = {
  title: (r) => (r.arg ? `Instance ${r.arg}` : 'Instances'),
  async render(view) {
    if (view.route.arg) return renderInstance(view);
    const root = await fetchPage(view, 'instances', 'ec2', 'DescribeInstances', {},
      { filters: searchFilters(view, view.state.stateFilter ? [['instance-state-name', [view.state.stateFilter]]] : []) });
    const instances = instancesOf(root);
    const ids = instances.map((i) => text(i, 'instanceId'));
    for (const id of [...selected]) if (!ids.includes(id)) selected.delete(id);
    const rows = instances.map((i) => {
      const id = text(i, 'instanceId');
      const tags = tagsOf(i);
      return row([
        `<input type="checkbox" data-change="select" value="${esc(id)}" aria-label="Select ${esc(id)}"${selected.has(id) ? ' checked' : ''}>`,
        dash(tags.Name),
        link(`#/instances/${id}`, id),
        state(text(i, 'instanceState/name')),
        esc(text(i, 'instanceType')),
        esc(text(i, 'placement/availabilityZone')),
        dash(text(i, 'privateIpAddress')),
        dash(text(i, 'ipAddress')),
        dash(text(i, 'keyName')),
        time(text(i, 'launchTime')),
        tagList(tags, ['Name']),
      ], tags, { state: text(i, 'instanceState/name') });
    });
    const states = ['', 'pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];
    const stateSelect = `<label for="state-filter">State</label><select id="state-filter" data-change="state-filter">${states.map((st) =>
      `<option value="${st}"${st === view.state.stateFilter ? ' selected' : ''}>${st || 'All states'}</option>`).join('')}</select>`;
    return `<h1>Instances</h1>
      <div class="toolbar"><a class="button primary" href="#/launch">Launch instances</a>
        <span data-role="instance-actions">${instanceToolbar([...selected], selected.size === 0)}</span>
        <span class="spacer"></span><span class="muted">${instances.length} on this page · updates every ${POLL_MS / 1000} s</span></div>
      ${searchBox(view, stateSelect)}
      ${searchTable(view, ['', 'Name', 'Instance ID', 'State', 'Type', 'Availability Zone', 'Private IPv4', 'Public IPv4', 'Key pair', 'Launched', 'Tags'], rows, 'No instances in this region.')}
      ${pager(view, 'instances')}`;
  },
};

async function renderInstance(view) {
  const id = view.route.arg;
  const [described, output] = await Promise.allSettled([
    api('ec2', 'DescribeInstances', { 'InstanceId.1': id }),
    api('ec2', 'GetConsoleOutput', { InstanceId: id }),
  ]);
  if (described.status === 'rejected') throw described.reason;
  const i = instancesOf(described.value)[0];
  if (!i) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`, 400, null);
  const tags = tagsOf(i);
  const groups = list(i, 'groupSet').map((g) => link(`#/security-groups/${text(g, 'groupId')}`, `${text(g, 'groupId')} (${text(g, 'groupName')})`)).join(', ');
  const devices = list(i, 'blockDeviceMapping').map((b) => `${esc(text(b, 'deviceName'))} → ${esc(text(b, 'ebs/volumeId'))}`).join('<br>');
  const fields = [
    ['Instance ID', esc(id)], ['State', state(text(i, 'instanceState/name'))], ['Instance type', esc(text(i, 'instanceType'))],
    ['AMI', esc(text(i, 'imageId'))], ['Availability Zone', esc(text(i, 'placement/availabilityZone'))],
    ['Private IPv4', dash(text(i, 'privateIpAddress'))], ['Private DNS', dash(text(i, 'privateDnsName'))],
    ['Public IPv4', dash(text(i, 'ipAddress'))], ['Public DNS', dash(text(i, 'dnsName'))],
    ['Key pair', dash(text(i, 'keyName'))], ['VPC', dash(text(i, 'vpcId'))], ['Subnet', dash(text(i, 'subnetId'))],
    ['Security groups', groups || dash('')], ['Launched', time(text(i, 'launchTime'))],
    ['Architecture', dash(text(i, 'architecture'))], ['Root device', dash(text(i, 'rootDeviceName'))],
    ['Block devices', devices || dash('')], ['State reason', dash(text(i, 'stateReason/message'))],
  ];
  let consoleHtml;
  if (output.status === 'rejected') consoleHtml = errorBox(output.reason);
  else {
    const b64 = text(output.value, 'output');
    let decoded = '';
    try {
      decoded = b64 ? new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))) : '';
    } catch {
      decoded = b64;
    }
    const stamp = text(output.value, 'timestamp');
    consoleHtml = decoded
      ? `<p class="muted">As of ${time(stamp)}</p><pre class="console-output" id="console-output">${esc(decoded)}</pre>`
      : '<p class="muted" id="console-output-empty">No console output yet.</p>';
  }
  const tagRows = Object.entries(tags).map(([k, v]) => [esc(k), esc(v)]);
  const { hours, period } = chartWindow(view.route.query);
  const dims = [{ Name: 'InstanceId', Value: id }];
  const charts = await Promise.allSettled([
    metricChart({ id: 'chart-cpu', title: 'CPU utilization (percent)', hours, period,
      series: ['Average', 'Maximum'].map((stat) => ({ ns: 'AWS/EC2', name: 'CPUUtilization', dims, stat })) }),
    metricChart({ id: 'chart-network', title: 'Network (bytes)', hours, period,
      series: ['NetworkIn', 'NetworkOut'].map((name) => ({ ns: 'AWS/EC2', name, dims, stat: 'Average' })) }),
  ]);
  const monitoring = charts.map((c) => (c.status === 'rejected' ? errorBox(c.reason) : c.value)).join('');
  return `<h1>Instance ${esc(id)} ${tags.Name ? `<span class="muted">(${esc(tags.Name)})</span>` : ''}</h1>
    <div class="toolbar"><a href="#/instances">‹ All instances</a><span class="spacer"></span>${instanceToolbar([id], false)}${tagsButton(id, tags)}</div>
    <div class="panel"><dl class="grid">${fields.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('')}</dl></div>
    <h2>Tags</h2>${table(['Key', 'Value'], tagRows, 'No tags.')}
    <h2>Console output</h2>${consoleHtml}
    <h2>Monitoring</h2>${windowPicker(hours, period)}<div class="charts">${monitoring}</div>`;
}

async function cached(key, load) {
  const k = `${session.region}:${key}`;
  if (!cache.has(k)) cache.set(k, load().catch((e) => { cache.delete(k); throw e; }));
  return cache.get(k);
}

async function allInstanceTypes() {
  return cached('instance-types', async () => {
    const names = [];
    let token = null;
    for (let n = 0; n < 20; n++) {
      const root = await api('ec2', 'DescribeInstanceTypes', { MaxResults: 100, NextToken: token });
      for (const t of list(root, 'instanceTypeSet')) names.push(text(t, 'instanceType'));
      token = text(root, 'nextToken');
      if (!token) break;
    }
    return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  });
}

PAGES.launch = {
  title: () => 'Launch instances',
  poll: false,
  async render(view) {
    const [images, types, keys, subnets, groups] = await Promise.all([
      api('ec2', 'DescribeImages', { ...ec2Filter([['state', ['available']]]), MaxResults: 1000 }),
      allInstanceTypes(),
      api('ec2', 'DescribeKeyPairs', {}),
      api('ec2', 'DescribeSubnets', { MaxResults: 1000 }),
      api('ec2', 'DescribeSecurityGroups', { MaxResults: 1000 }),
    ]);
    const wantedAmi = view.route.query.get('ami');
    // x86_64 images first (the default instance type is x86_64), then by name.
    const imageList = list(images, 'imagesSet').sort((a, b) =>
      (text(a, 'architecture') === 'x86_64' ? 0 : 1) - (text(b, 'architecture') === 'x86_64' ? 0 : 1) || text(a, 'name').localeCompare(text(b, 'name')));
    const imageOptions = imageList.map((img) => {
      const id = text(img, 'imageId');
      return `<option value="${esc(id)}"${id === wantedAmi ? ' selected' : ''}>${esc(text(img, 'name') || id)} (${esc(id)}, ${esc(text(img, 'architecture'))})</option>`;
    });
    const preferred = types.includes('t3.micro') ? 't3.micro' : types[0];
    const typeOptions = types.map((t) => `<option value="${esc(t)}"${t === preferred ? ' selected' : ''}>${esc(t)}</option>`);
    const keyOptions = ['<option value="">Proceed without a key pair</option>',
      ...list(keys, 'keySet').map((k) => `<option value="${esc(text(k, 'keyName'))}">${esc(text(k, 'keyName'))}</option>`)];
    const subnetList = list(subnets, 'subnetSet').sort((a, b) => text(a, 'availabilityZone').localeCompare(text(b, 'availabilityZone')));
    const firstDefault = subnetList.find((s) => text(s, 'defaultForAz') === 'true') ?? subnetList[0];
    const subnetOptions = subnetList.map((s) => {
      const id = text(s, 'subnetId');
      const name = tagsOf(s).Name;
      return `<option value="${esc(id)}" data-vpc="${esc(text(s, 'vpcId'))}"${s === firstDefault ? ' selected' : ''}>${esc(id)}${name ? ` (${esc(name)})` : ''} · ${esc(text(s, 'availabilityZone'))} · ${esc(text(s, 'cidrBlock'))} · ${esc(text(s, 'vpcId'))}${text(s, 'defaultForAz') === 'true' ? ' · default' : ''}</option>`;
    });
    const vpc = firstDefault ? text(firstDefault, 'vpcId') : '';
    const groupChecks = list(groups, 'securityGroupInfo').map((g) => {
      const gid = text(g, 'groupId');
      const gvpc = text(g, 'vpcId');
      const on = gvpc === vpc;
      return `<label data-vpc="${esc(gvpc)}"${on ? '' : ' hidden'}><input type="checkbox" name="securityGroup" value="${esc(gid)}"${on && text(g, 'groupName') === 'default' ? ' checked' : ''}>${esc(gid)} (${esc(text(g, 'groupName'))}) <span class="muted">${esc(text(g, 'groupDescription'))}</span></label>`;
    });
    return `<h1>Launch instances</h1>
      <form class="wizard panel" data-form="launch" id="launch-form">
        <label for="launch-name">Name <span class="hint">(the instance's Name tag)</span></label>
        <input id="launch-name" name="name" maxlength="255">
        <label for="launch-ami">Amazon Machine Image (AMI)</label>
        <select id="launch-ami" name="imageId" required>${imageOptions.join('')}</select>
        <label for="launch-type">Instance type</label>
        <select id="launch-type" name="instanceType" required>${typeOptions.join('')}</select>
        <label for="launch-key">Key pair</label>
        <select id="launch-key" name="keyName">${keyOptions.join('')}</select>
        <label for="launch-subnet">Subnet</label>
        <select id="launch-subnet" name="subnetId" data-change="launch-subnet">${subnetOptions.join('')}</select>
        <label>Security groups <span class="hint">(of the subnet's VPC)</span></label>
        <div class="checks" id="launch-groups">${groupChecks.join('') || '<span class="muted">No security groups.</span>'}</div>
        <label for="launch-count">Number of instances</label>
        <input id="launch-count" name="count" type="number" min="1" max="100" value="1" required>
        <label for="launch-user-data">User data <span class="hint">(optional, e.g. a cloud-init script)</span></label>
        <textarea id="launch-user-data" name="userData" rows="4" spellcheck="false"></textarea>
        <p><button type="submit" class="primary" id="launch-submit">Launch instance</button> <a href="#/instances">Cancel</a></p>
      </form>`;
  },
};

async function launch(form) {
  const data = new FormData(form);
  const count = String(data.get('count') || '1');
  const params = {
    ImageId: data.get('imageId'),
    InstanceType: data.get('instanceType'),
    MinCount: count,
    MaxCount: count,
    KeyName: data.get('keyName'),
    SubnetId: data.get('subnetId'),
    ClientToken: clientToken(),
    ...numbered('SecurityGroupId', data.getAll('securityGroup').map(String)),
  };
  const name = String(data.get('name') || '').trim();
  if (name) {
    Object.assign(params, { 'TagSpecification.1.ResourceType': 'instance', 'TagSpecification.1.Tag.1.Key': 'Name', 'TagSpecification.1.Tag.1.Value': name });
  }
  const userData = String(data.get('userData') || '');
  if (userData) params.UserData = btoa(String.fromCharCode(...new TextEncoder().encode(userData)));
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const root = await api('ec2', 'RunInstances', params);
    const ids = list(root, 'instancesSet').map((i) => text(i, 'instanceId'));
    const target = ids.length === 1 ? `#/instances/${ids[0]}` : '#/instances';
    setFlash('ok', `Launched ${ids.map((id) => link(`#/instances/${id}`, id)).join(', ')}.`, target);
    location.hash = target;
  } catch (e) {
    button.disabled = false;
    form.querySelector('.error')?.remove();
    form.insertAdjacentHTML('afterbegin', errorBox(e, 'Launch failed: '));
  }
}

PAGES.images = {
  title: () => 'AMIs',
  async render(view) {
    const root = await fetchPage(view, 'images', 'ec2', 'DescribeImages', {}, { filters: searchFilters(view) });
    const rows = list(root, 'imagesSet').map((img) => {
      const id = text(img, 'imageId');
      return row([dash(text(img, 'name')), esc(id), state(text(img, 'imageState')), esc(text(img, 'imageOwnerAlias') || text(img, 'imageOwnerId')),
        esc(text(img, 'architecture')), esc(text(img, 'rootDeviceType')), esc(text(img, 'virtualizationType')),
        text(img, 'isPublic') === 'true' ? 'public' : 'private', time(text(img, 'creationDate')), link(`#/launch?ami=${id}`, 'Launch')], tagsOf(img));
    });
    return `<h1>AMIs</h1>${searchBox(view)}${searchTable(view, ['Name', 'AMI ID', 'State', 'Owner', 'Architecture', 'Root device', 'Virtualization', 'Visibility', 'Created', ''], rows, 'No images.')}${pager(view, 'images')}`;
  },
};

// ---- volumes and snapshots ------------------------------------------------------------------

const VOLUME_TYPES = ['gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1', 'standard'];

PAGES.volumes = {
  title: () => 'Volumes and snapshots',
  async render(view) {
    const [volumes, snapshots] = await Promise.all([
      fetchPage(view, 'volumes', 'ec2', 'DescribeVolumes', {}, { max: 500, filters: searchFilters(view) }),
      fetchPage(view, 'snapshots', 'ec2', 'DescribeSnapshots', { 'Owner.1': 'self' }, { filters: searchFilters(view) }),
    ]);
    const vrows = list(volumes, 'volumeSet').map((v) => {
      const id = text(v, 'volumeId');
      const tags = tagsOf(v);
      const status = text(v, 'status');
      const attachments = list(v, 'attachmentSet');
      return row([
        dash(tags.Name), esc(id), state(status), `${esc(text(v, 'size'))} GiB`, esc(text(v, 'volumeType')),
        esc(text(v, 'availabilityZone')),
        attachments.map((a) => `${link(`#/instances/${text(a, 'instanceId')}`, text(a, 'instanceId'))} ${esc(text(a, 'device'))} (${esc(text(a, 'status'))})`).join('<br>') || dash(''),
        dash(text(v, 'snapshotId')), text(v, 'encrypted') === 'true' ? 'yes' : 'no', time(text(v, 'createTime')),
        rowActions(
          status === 'available' ? btn('volume-attach', 'Attach', { id, az: text(v, 'availabilityZone') }, { aria: `Attach ${id}` }) : '',
          attachments.length ? btn('volume-detach', 'Detach', { id, instance: text(attachments[0], 'instanceId') }, { aria: `Detach ${id}` }) : '',
          btn('snapshot-create', 'Snapshot', { id }, { aria: `Create a snapshot of ${id}` }),
          tagsButton(id, tags),
          btn('volume-delete', 'Delete', { id }, { danger: true, aria: `Delete ${id}` })),
      ], tags);
    });
    const srows = list(snapshots, 'snapshotSet').map((sn) => {
      const id = text(sn, 'snapshotId');
      const tags = tagsOf(sn);
      return row([
        dash(tags.Name), esc(id), state(text(sn, 'status')), dash(text(sn, 'progress')), esc(text(sn, 'volumeId')),
        `${esc(text(sn, 'volumeSize'))} GiB`, dash(text(sn, 'description')), time(text(sn, 'startTime')),
        rowActions(tagsButton(id, tags), btn('snapshot-delete', 'Delete', { id }, { danger: true, aria: `Delete ${id}` })),
      ], tags);
    });
    return `<h1>Volumes and snapshots</h1>${searchBox(view)}
      <h2>Volumes</h2><div class="toolbar">${btn('volume-create', 'Create volume', {}, { primary: true })}</div>
      ${searchTable(view, ['Name', 'Volume ID', 'State', 'Size', 'Type', 'Availability Zone', 'Attached to', 'Snapshot', 'Encrypted', 'Created', 'Actions'], vrows, 'No volumes.')}${pager(view, 'volumes')}
      <h2>Snapshots</h2>${searchTable(view, ['Name', 'Snapshot ID', 'State', 'Progress', 'Volume', 'Size', 'Description', 'Started', 'Actions'], srows, 'No snapshots.')}${pager(view, 'snapshots')}`;
  },
};

async function zoneOptions() {
  const root = await api('ec2', 'DescribeAvailabilityZones', {});
  return list(root, 'availabilityZoneInfo').map((z) => text(z, 'zoneName')).sort().map((z) => [z, z]);
}

const ACTIONS = {};

ACTIONS['volume-create'] = () => openDialog(async () => {
  const zones = await zoneOptions();
  return {
    id: 'volume-create',
    title: 'Create volume',
    fields: [
      { name: 'AvailabilityZone', label: 'Availability Zone', type: 'select', options: zones },
      { name: 'Size', label: 'Size (GiB)', type: 'number', min: 1, value: 8, required: true },
      { name: 'VolumeType', label: 'Volume type', type: 'select', options: VOLUME_TYPES.map((t) => [t, t]) },
      { name: 'Iops', label: 'IOPS', type: 'number', hint: '(io1, io2; optional for gp3)', min: 100 },
      { name: 'SnapshotId', label: 'Snapshot ID', hint: '(optional)', placeholder: 'snap-…' },
      { name: 'Name', label: 'Name', hint: '(optional Name tag)' },
    ],
    submit: 'Create volume',
    run: (v) => api('ec2', 'CreateVolume', {
      AvailabilityZone: v.AvailabilityZone, Size: v.Size, VolumeType: v.VolumeType, Iops: v.Iops, SnapshotId: v.SnapshotId.trim(),
      ClientToken: clientToken(), ...nameSpec('volume', v.Name),
    }),
    done: (v, root) => `Created volume ${esc(text(root, 'volumeId'))}.`,
  };
});

ACTIONS['volume-attach'] = ({ id, az }) => openDialog(async () => {
  const root = await api('ec2', 'DescribeInstances', ec2Filter([['availability-zone', [az]], ['instance-state-name', ['pending', 'running', 'stopping', 'stopped']]]));
  const instances = instancesOf(root).map((i) => {
    const name = tagsOf(i).Name;
    return [text(i, 'instanceId'), `${text(i, 'instanceId')}${name ? ` (${name})` : ''} · ${text(i, 'instanceState/name')}`];
  });
  return {
    id: 'volume-attach',
    title: `Attach ${id}`,
    intro: `Instances in ${esc(az)}, the volume's Availability Zone.`,
    fields: [
      { name: 'InstanceId', label: 'Instance', type: 'select', options: instances.length ? instances : [['', 'No instances in this zone']] },
      { name: 'Device', label: 'Device name', value: '/dev/sdf', required: true, hint: '(/dev/sdf … /dev/sdp, or xvdf …)' },
    ],
    submit: 'Attach volume',
    run: (v) => api('ec2', 'AttachVolume', { VolumeId: id, InstanceId: v.InstanceId, Device: v.Device.trim() }),
    done: (v) => `Attaching ${esc(id)} to ${esc(v.InstanceId)} as ${esc(v.Device)}.`,
  };
});

ACTIONS['volume-detach'] = ({ id, instance }) => perform({
  confirm: `Detach volume ${id} from ${instance}? Unmount it in the instance first.`,
  verb: 'Detach',
  run: () => api('ec2', 'DetachVolume', { VolumeId: id }),
  done: `Detaching ${esc(id)}.`,
});

ACTIONS['volume-delete'] = ({ id }) => perform({
  confirm: `Delete volume ${id}? Its data is lost.`,
  verb: 'Delete',
  run: () => api('ec2', 'DeleteVolume', { VolumeId: id }),
  done: `Deleted volume ${esc(id)}.`,
});

ACTIONS['snapshot-create'] = ({ id }) => formDialog({
  id: 'snapshot-create',
  title: `Snapshot of ${id}`,
  fields: [{ name: 'Description', label: 'Description', maxlength: 255 }, { name: 'Name', label: 'Name', hint: '(optional Name tag)' }],
  submit: 'Create snapshot',
  run: (v) => api('ec2', 'CreateSnapshot', { VolumeId: id, Description: v.Description, ...nameSpec('snapshot', v.Name) }),
  done: (v, root) => `Creating snapshot ${esc(text(root, 'snapshotId'))} of ${esc(id)}.`,
});

ACTIONS['snapshot-delete'] = ({ id }) => perform({
  confirm: `Delete snapshot ${id}?`,
  verb: 'Delete',
  run: () => api('ec2', 'DeleteSnapshot', { SnapshotId: id }),
  done: `Deleted snapshot ${esc(id)}.`,
});

ACTIONS['edit-tags'] = ({ id, tags }) => editTags(id, JSON.parse(tags || '{}'));

function clientToken() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

// ---- key pairs ------------------------------------------------------------------------------

PAGES['key-pairs'] = {
  title: () => 'Key pairs',
  async render(view) {
    const root = await api('ec2', 'DescribeKeyPairs', ec2Filter(searchFilters(view)));
    const rows = list(root, 'keySet').map((k) => {
      const name = text(k, 'keyName');
      const tags = tagsOf(k);
      return row([esc(name), esc(text(k, 'keyPairId')), esc(text(k, 'keyType')),
        `<span class="mono">${esc(text(k, 'keyFingerprint'))}</span>`, time(text(k, 'createTime')), tagList(tags),
        rowActions(tagsButton(text(k, 'keyPairId'), tags), btn('keypair-delete', 'Delete', { id: name }, { danger: true, aria: `Delete key pair ${name}` }))], tags);
    });
    return `<h1>Key pairs</h1>
      <div class="toolbar">${btn('keypair-create', 'Create key pair', {}, { primary: true })}${btn('keypair-import', 'Import public key')}</div>
      ${searchBox(view)}${searchTable(view, ['Name', 'ID', 'Type', 'Fingerprint', 'Created', 'Tags', 'Actions'], rows, 'No key pairs in this region.')}`;
  },
};

ACTIONS['keypair-create'] = () => formDialog({
  id: 'keypair-create',
  title: 'Create key pair',
  intro: 'The private key is shown once, right after it is made: download it then. Stratus keeps only the public key.',
  fields: [
    { name: 'KeyName', label: 'Name', required: true, maxlength: 255 },
    { name: 'KeyType', label: 'Key type', type: 'select', options: [['rsa', 'RSA'], ['ed25519', 'ED25519']] },
    { name: 'KeyFormat', label: 'Private key file format', type: 'select', options: [['pem', '.pem (OpenSSH)'], ['ppk', '.ppk (PuTTY)']] },
  ],
  submit: 'Create key pair',
  run: (v) => api('ec2', 'CreateKeyPair', { KeyName: v.KeyName.trim(), KeyType: v.KeyType, KeyFormat: v.KeyFormat }),
  done: (v, root) => `Created key pair ${esc(text(root, 'keyName'))} (${esc(text(root, 'keyFingerprint'))}).`,
  show(v, root) {
    const material = text(root, 'keyMaterial');
    const file = `${text(root, 'keyName')}.${v.KeyFormat}`;
    const href = URL.createObjectURL(new Blob([material.endsWith('\n') ? material : `${material}\n`], { type: 'application/x-pem-file' }));
    return `<p>Key pair <strong>${esc(text(root, 'keyName'))}</strong> (${esc(text(root, 'keyPairId'))}) was created.
      This is the only time its private key is available.</p>
      <p><a class="button primary" id="private-key-download" data-blob href="${esc(href)}" download="${esc(file)}">Download ${esc(file)}</a></p>
      <label for="private-key-material">Private key</label>
      <textarea id="private-key-material" class="mono" rows="8" readonly>${esc(material)}</textarea>
      <p class="muted">Then: <code>chmod 400 ${esc(file)}</code> and <code>ssh -i ${esc(file)} …</code></p>`;
  },
});

ACTIONS['keypair-import'] = () => formDialog({
  id: 'keypair-import',
  title: 'Import public key',
  intro: 'An OpenSSH public key (ssh-rsa or ssh-ed25519 …), e.g. the contents of ~/.ssh/id_ed25519.pub.',
  fields: [
    { name: 'KeyName', label: 'Name', required: true, maxlength: 255 },
    { name: 'PublicKey', label: 'Public key', type: 'textarea', required: true, placeholder: 'ssh-ed25519 AAAA… user@host' },
  ],
  submit: 'Import key pair',
  run: (v) => api('ec2', 'ImportKeyPair', { KeyName: v.KeyName.trim(), PublicKeyMaterial: base64(v.PublicKey.trim()) }),
  done: (v, root) => `Imported key pair ${esc(text(root, 'keyName'))} (${esc(text(root, 'keyFingerprint'))}).`,
});

ACTIONS['keypair-delete'] = ({ id }) => perform({
  confirm: `Delete key pair ${id}? Instances launched with it keep their authorized key.`,
  verb: 'Delete',
  run: () => api('ec2', 'DeleteKeyPair', { KeyName: id }),
  done: `Deleted key pair ${esc(id)}.`,
});

function base64(textValue) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(textValue)));
}

// ---- security groups ------------------------------------------------------------------------

function portRange(from, to, proto) {
  if (proto === '-1') return 'All';
  if (from === '' || from === undefined) return 'All';
  if (proto === 'icmp' || proto === '1') return `type ${from}, code ${to}`;
  return from === to ? from : `${from}–${to}`;
}

const protocolName = (p) => ({ '-1': 'All', 6: 'tcp', 17: 'udp', 1: 'icmp' }[p] ?? p);

async function vpcOptions() {
  const root = await api('ec2', 'DescribeVpcs', {});
  return list(root, 'vpcSet').map((v) => {
    const name = tagsOf(v).Name;
    return [text(v, 'vpcId'), `${text(v, 'vpcId')}${name ? ` (${name})` : ''} · ${text(v, 'cidrBlock')}${text(v, 'isDefault') === 'true' ? ' · default' : ''}`, text(v, 'isDefault') === 'true'];
  }).sort((a, b) => Number(b[2]) - Number(a[2]));
}

PAGES['security-groups'] = {
  title: (r) => (r.arg ? `Security group ${r.arg}` : 'Security groups'),
  async render(view) {
    if (view.route.arg) return renderSecurityGroup(view);
    const root = await fetchPage(view, 'security-groups', 'ec2', 'DescribeSecurityGroups', {}, { filters: searchFilters(view) });
    const rows = list(root, 'securityGroupInfo').map((g) => {
      const id = text(g, 'groupId');
      const tags = tagsOf(g);
      return row([
        link(`#/security-groups/${id}`, id), esc(text(g, 'groupName')), esc(text(g, 'vpcId')),
        esc(text(g, 'groupDescription')), String(list(g, 'ipPermissions').length), String(list(g, 'ipPermissionsEgress').length), tagList(tags),
        rowActions(tagsButton(id, tags), text(g, 'groupName') === 'default' ? '' : btn('sg-delete', 'Delete', { id }, { danger: true, aria: `Delete ${id}` })),
      ], tags);
    });
    return `<h1>Security groups</h1><div class="toolbar">${btn('sg-create', 'Create security group', {}, { primary: true })}</div>
      ${searchBox(view)}${searchTable(view, ['Group ID', 'Name', 'VPC', 'Description', 'Inbound permissions', 'Outbound permissions', 'Tags', 'Actions'], rows, 'No security groups.')}${pager(view, 'security-groups')}`;
  },
};

async function renderSecurityGroup(view) {
  const id = view.route.arg;
  const [groups, rules] = await Promise.all([
    api('ec2', 'DescribeSecurityGroups', { 'GroupId.1': id }),
    api('ec2', 'DescribeSecurityGroupRules', { ...ec2Filter([['group-id', [id]]]), MaxResults: 1000 }),
  ]);
  const g = list(groups, 'securityGroupInfo')[0];
  const all = list(rules, 'securityGroupRuleSet');
  const ruleRow = (r) => {
    const proto = text(r, 'ipProtocol');
    const ruleId = text(r, 'securityGroupRuleId');
    const egress = text(r, 'isEgress') === 'true';
    const peer = text(r, 'cidrIpv4') || text(r, 'cidrIpv6') || text(r, 'prefixListId') || text(r, 'referencedGroupInfo/groupId');
    return row([esc(ruleId), esc(protocolName(proto)), esc(portRange(text(r, 'fromPort'), text(r, 'toPort'), proto)),
      peer.startsWith('sg-') ? link(`#/security-groups/${peer}`, peer) : esc(peer), dash(text(r, 'description')),
      rowActions(btn('rule-revoke', 'Delete', { id, rule: ruleId, egress: egress ? 'true' : 'false' }, { danger: true, aria: `Delete rule ${ruleId}` }))]);
  };
  const cols = ['Rule ID', 'Protocol', 'Ports', 'Source / destination', 'Description', 'Actions'];
  const tags = tagsOf(g);
  return `<h1>Security group ${esc(id)}</h1>
    <div class="toolbar"><a href="#/security-groups">‹ All security groups</a><span class="spacer"></span>${tagsButton(id, tags)}
      ${text(g, 'groupName') === 'default' ? '' : btn('sg-delete', 'Delete security group', { id, back: '1' }, { danger: true })}</div>
    <div class="panel"><dl class="grid">
      <div><dt>Name</dt><dd>${esc(text(g, 'groupName'))}</dd></div><div><dt>VPC</dt><dd>${esc(text(g, 'vpcId'))}</dd></div>
      <div><dt>Description</dt><dd>${esc(text(g, 'groupDescription'))}</dd></div><div><dt>Owner</dt><dd>${esc(text(g, 'ownerId'))}</dd></div>
      <div><dt>Tags</dt><dd>${tagList(tags)}</dd></div>
    </dl></div>
    ${searchBox(view)}
    <h2>Inbound rules</h2><div class="toolbar">${btn('rule-add', 'Add inbound rule', { id, egress: 'false' }, { primary: true })}</div>
    ${searchTable(view, cols, all.filter((r) => text(r, 'isEgress') !== 'true').map(ruleRow), 'No inbound rules.')}
    <h2>Outbound rules</h2><div class="toolbar">${btn('rule-add', 'Add outbound rule', { id, egress: 'true' }, { primary: true })}</div>
    ${searchTable(view, cols, all.filter((r) => text(r, 'isEgress') === 'true').map(ruleRow), 'No outbound rules.')}`;
}

ACTIONS['sg-create'] = () => openDialog(async () => ({
  id: 'sg-create',
  title: 'Create security group',
  fields: [
    { name: 'GroupName', label: 'Name', required: true, maxlength: 255 },
    { name: 'GroupDescription', label: 'Description', required: true, maxlength: 255 },
    { name: 'VpcId', label: 'VPC', type: 'select', options: (await vpcOptions()).map(([v, l]) => [v, l]) },
  ],
  submit: 'Create security group',
  run: (v) => api('ec2', 'CreateSecurityGroup', { GroupName: v.GroupName.trim(), GroupDescription: v.GroupDescription, VpcId: v.VpcId }),
  done: (v, root) => `Created security group ${link(`#/security-groups/${text(root, 'groupId')}`, text(root, 'groupId'))} (${esc(v.GroupName)}).`,
}));

ACTIONS['sg-delete'] = ({ id, back }) => perform({
  confirm: `Delete security group ${id}?`,
  verb: 'Delete',
  async run() {
    await api('ec2', 'DeleteSecurityGroup', { GroupId: id });
    if (back) {
      setFlash('ok', `Deleted security group ${esc(id)}.`, '#/security-groups');
      location.hash = '#/security-groups';
    }
  },
  done: `Deleted security group ${esc(id)}.`,
});

ACTIONS['rule-add'] = ({ id, egress }) => {
  const out = egress === 'true';
  formDialog({
    id: 'rule-add',
    title: `Add ${out ? 'outbound' : 'inbound'} rule to ${id}`,
    fields: [
      { name: 'protocol', label: 'Protocol', type: 'select', options: [['tcp', 'TCP'], ['udp', 'UDP'], ['icmp', 'ICMP'], ['icmpv6', 'ICMPv6'], ['-1', 'All traffic']] },
      { name: 'from', label: 'From port', type: 'number', hint: '(ICMP: type; -1 for all)', min: -1, max: 65535 },
      { name: 'to', label: 'To port', type: 'number', hint: '(ICMP: code; empty: the same as From)', min: -1, max: 65535 },
      { name: 'peer', label: out ? 'Destination' : 'Source', required: true, value: '0.0.0.0/0', hint: '(an IPv4 or IPv6 CIDR, a security group ID sg-…, or a prefix list ID pl-…)' },
      { name: 'description', label: 'Description', hint: '(optional)', maxlength: 255 },
    ],
    submit: 'Add rule',
    run: (v) => api('ec2', out ? 'AuthorizeSecurityGroupEgress' : 'AuthorizeSecurityGroupIngress', { GroupId: id, ...permissionParams(v) }),
    done: (v) => `Added ${out ? 'an outbound' : 'an inbound'} ${esc(v.protocol === '-1' ? 'all-traffic' : v.protocol)} rule for ${esc(v.peer)}.`,
  });
};

/** IpPermissions.1.* of one rule from the rule dialog. */
function permissionParams(v) {
  const p = { 'IpPermissions.1.IpProtocol': v.protocol };
  if (v.protocol !== '-1') {
    const from = v.from.trim();
    const to = v.to.trim() || from;
    if (from !== '') p['IpPermissions.1.FromPort'] = from;
    if (to !== '') p['IpPermissions.1.ToPort'] = to;
  }
  const peer = v.peer.trim();
  const description = v.description.trim();
  let base;
  if (peer.startsWith('sg-')) {
    base = 'IpPermissions.1.Groups.1';
    p[`${base}.GroupId`] = peer;
  } else if (peer.startsWith('pl-')) {
    base = 'IpPermissions.1.PrefixListIds.1';
    p[`${base}.PrefixListId`] = peer;
  } else if (peer.includes(':')) {
    base = 'IpPermissions.1.Ipv6Ranges.1';
    p[`${base}.CidrIpv6`] = peer;
  } else {
    base = 'IpPermissions.1.IpRanges.1';
    p[`${base}.CidrIp`] = peer;
  }
  if (description) p[`${base}.Description`] = description;
  return p;
}

ACTIONS['rule-revoke'] = ({ id, rule, egress }) => perform({
  confirm: `Delete rule ${rule} of ${id}?`,
  verb: 'Delete rule',
  run: () => api('ec2', egress === 'true' ? 'RevokeSecurityGroupEgress' : 'RevokeSecurityGroupIngress', { GroupId: id, 'SecurityGroupRuleId.1': rule }),
  done: `Deleted rule ${esc(rule)}.`,
});

// ---- Elastic IPs -----------------------------------------------------------------------------

PAGES.addresses = {
  title: () => 'Elastic IP addresses',
  async render(view) {
    const root = await api('ec2', 'DescribeAddresses', ec2Filter(searchFilters(view)));
    const rows = list(root, 'addressesSet').map((a) => {
      const ip = text(a, 'publicIp');
      const alloc = text(a, 'allocationId');
      const assoc = text(a, 'associationId');
      const tags = tagsOf(a);
      return row([esc(ip), esc(alloc),
        text(a, 'instanceId') ? link(`#/instances/${text(a, 'instanceId')}`, text(a, 'instanceId')) : dash(''),
        dash(text(a, 'privateIpAddress')), dash(text(a, 'networkInterfaceId')), dash(assoc),
        esc(text(a, 'domain')), dash(text(a, 'networkBorderGroup')), tagList(tags),
        rowActions(
          assoc ? btn('address-disassociate', 'Disassociate', { id: assoc, ip }, { aria: `Disassociate ${ip}` })
            : btn('address-associate', 'Associate', { id: alloc, ip }, { aria: `Associate ${ip}` }),
          tagsButton(alloc, tags),
          btn('address-release', 'Release', { id: alloc, ip }, { danger: true, aria: `Release ${ip}` })),
      ], tags);
    });
    return `<h1>Elastic IP addresses</h1><div class="toolbar">${btn('address-allocate', 'Allocate Elastic IP address', {}, { primary: true })}</div>
      ${searchBox(view)}${searchTable(view, ['Public IPv4', 'Allocation ID', 'Instance', 'Private IPv4', 'Network interface', 'Association ID', 'Domain', 'Border group', 'Tags', 'Actions'], rows, 'No Elastic IP addresses in this region.')}`;
  },
};

ACTIONS['address-allocate'] = () => formDialog({
  id: 'address-allocate',
  title: 'Allocate Elastic IP address',
  intro: 'An address from the region\'s pool, kept for the account until it is released.',
  fields: [{ name: 'Name', label: 'Name', hint: '(optional Name tag)' }],
  submit: 'Allocate',
  run: (v) => api('ec2', 'AllocateAddress', { Domain: 'vpc', ...nameSpec('elastic-ip', v.Name) }),
  done: (v, root) => `Allocated ${esc(text(root, 'publicIp'))} (${esc(text(root, 'allocationId'))}).`,
});

ACTIONS['address-associate'] = ({ id, ip }) => openDialog(async () => {
  const root = await api('ec2', 'DescribeInstances', ec2Filter([['instance-state-name', ['pending', 'running', 'stopping', 'stopped']]]));
  const instances = instancesOf(root).map((i) => {
    const name = tagsOf(i).Name;
    return [text(i, 'instanceId'), `${text(i, 'instanceId')}${name ? ` (${name})` : ''} · ${text(i, 'instanceState/name')} · ${text(i, 'privateIpAddress')}`];
  });
  return {
    id: 'address-associate',
    title: `Associate ${ip}`,
    fields: [
      { name: 'InstanceId', label: 'Instance', type: 'select', options: instances.length ? instances : [['', 'No instances']] },
      { name: 'AllowReassociation', label: 'If the address is associated elsewhere', type: 'select', options: [['false', 'Refuse'], ['true', 'Move it here']] },
    ],
    submit: 'Associate',
    run: (v) => api('ec2', 'AssociateAddress', { AllocationId: id, InstanceId: v.InstanceId, AllowReassociation: v.AllowReassociation }),
    done: (v) => `Associated ${esc(ip)} with ${esc(v.InstanceId)}.`,
  };
});

ACTIONS['address-disassociate'] = ({ id, ip }) => perform({
  confirm: `Disassociate ${ip} from its instance?`,
  verb: 'Disassociate',
  run: () => api('ec2', 'DisassociateAddress', { AssociationId: id }),
  done: `Disassociated ${esc(ip)}.`,
});

ACTIONS['address-release'] = ({ id, ip }) => perform({
  confirm: `Release ${ip} (${id})? The address goes back to the pool.`,
  verb: 'Release',
  run: () => api('ec2', 'ReleaseAddress', { AllocationId: id }),
  done: `Released ${esc(ip)}.`,
});

// ---- VPCs and subnets --------------------------------------------------------------------------

PAGES.vpcs = {
  title: () => 'VPCs and subnets',
  async render(view) {
    const [vpcs, subnets] = await Promise.all([
      fetchPage(view, 'vpcs', 'ec2', 'DescribeVpcs', {}, { filters: searchFilters(view) }),
      fetchPage(view, 'subnets', 'ec2', 'DescribeSubnets', {}, { filters: searchFilters(view) }),
    ]);
    const vrows = list(vpcs, 'vpcSet').map((v) => {
      const id = text(v, 'vpcId');
      const tags = tagsOf(v);
      return row([dash(tags.Name), esc(id), state(text(v, 'state')), esc(text(v, 'cidrBlock')),
        text(v, 'isDefault') === 'true' ? 'yes' : 'no', dash(text(v, 'dhcpOptionsId')), esc(text(v, 'instanceTenancy')),
        rowActions(tagsButton(id, tags), btn('vpc-delete', 'Delete', { id }, { danger: true, aria: `Delete ${id}` }))], tags);
    });
    const srows = list(subnets, 'subnetSet').map((sn) => {
      const id = text(sn, 'subnetId');
      const tags = tagsOf(sn);
      return row([dash(tags.Name), esc(id), state(text(sn, 'state')), esc(text(sn, 'vpcId')),
        esc(text(sn, 'cidrBlock')), esc(text(sn, 'availabilityZone')), esc(text(sn, 'availableIpAddressCount')),
        text(sn, 'defaultForAz') === 'true' ? 'yes' : 'no', text(sn, 'mapPublicIpOnLaunch') === 'true' ? 'yes' : 'no',
        rowActions(tagsButton(id, tags), btn('subnet-delete', 'Delete', { id }, { danger: true, aria: `Delete ${id}` }))], tags);
    });
    return `<h1>VPCs and subnets</h1>${searchBox(view)}
      <h2>VPCs</h2><div class="toolbar">${btn('vpc-create', 'Create VPC', {}, { primary: true })}</div>
      ${searchTable(view, ['Name', 'VPC ID', 'State', 'IPv4 CIDR', 'Default', 'DHCP options', 'Tenancy', 'Actions'], vrows, 'No VPCs.')}${pager(view, 'vpcs')}
      <h2>Subnets</h2><div class="toolbar">${btn('subnet-create', 'Create subnet', {}, { primary: true })}</div>
      ${searchTable(view, ['Name', 'Subnet ID', 'State', 'VPC', 'IPv4 CIDR', 'Availability Zone', 'Available IPs', 'Default for AZ', 'Public IP on launch', 'Actions'], srows, 'No subnets.')}${pager(view, 'subnets')}`;
  },
};

ACTIONS['vpc-create'] = () => formDialog({
  id: 'vpc-create',
  title: 'Create VPC',
  fields: [
    { name: 'Name', label: 'Name', hint: '(optional Name tag)' },
    { name: 'CidrBlock', label: 'IPv4 CIDR block', required: true, value: '10.0.0.0/16', hint: '(/16 to /28)' },
    { name: 'InstanceTenancy', label: 'Tenancy', type: 'select', options: [['default', 'Default'], ['dedicated', 'Dedicated']] },
  ],
  submit: 'Create VPC',
  run: (v) => api('ec2', 'CreateVpc', { CidrBlock: v.CidrBlock.trim(), InstanceTenancy: v.InstanceTenancy, ...nameSpec('vpc', v.Name) }),
  done: (v, root) => `Created VPC ${esc(text(root, 'vpc/vpcId'))}.`,
});

ACTIONS['subnet-create'] = () => openDialog(async () => {
  const [vpcs, zones] = await Promise.all([vpcOptions(), zoneOptions()]);
  return {
    id: 'subnet-create',
    title: 'Create subnet',
    fields: [
      { name: 'VpcId', label: 'VPC', type: 'select', options: vpcs.map(([v, l]) => [v, l]) },
      { name: 'Name', label: 'Name', hint: '(optional Name tag)' },
      { name: 'AvailabilityZone', label: 'Availability Zone', type: 'select', options: zones },
      { name: 'CidrBlock', label: 'IPv4 CIDR block', required: true, hint: '(inside the VPC\'s, e.g. 10.0.1.0/24)' },
    ],
    submit: 'Create subnet',
    run: (v) => api('ec2', 'CreateSubnet', { VpcId: v.VpcId, AvailabilityZone: v.AvailabilityZone, CidrBlock: v.CidrBlock.trim(), ...nameSpec('subnet', v.Name) }),
    done: (v, root) => `Created subnet ${esc(text(root, 'subnet/subnetId'))}.`,
  };
});

ACTIONS['vpc-delete'] = ({ id }) => perform({
  confirm: `Delete VPC ${id}? Its subnets, gateways and other resources must be deleted first.`,
  verb: 'Delete',
  run: () => api('ec2', 'DeleteVpc', { VpcId: id }),
  done: `Deleted VPC ${esc(id)}.`,
});

ACTIONS['subnet-delete'] = ({ id }) => perform({
  confirm: `Delete subnet ${id}?`,
  verb: 'Delete',
  run: () => api('ec2', 'DeleteSubnet', { SubnetId: id }),
  done: `Deleted subnet ${esc(id)}.`,
});

const LB_PAGE = { sizeParam: 'PageSize', tokenParam: 'Marker', nextPath: 'DescribeLoadBalancersResult/NextMarker', max: 400 };

PAGES['load-balancers'] = {
  title: (r) => (r.arg ? `Load balancer ${r.arg}` : 'Load balancers'),
  async render(view) {
    if (view.route.arg) return renderLoadBalancer(view.route.arg);
    const root = await fetchPage(view, 'load-balancers', 'elbv2', 'DescribeLoadBalancers', {}, LB_PAGE);
    const rows = list(root, 'DescribeLoadBalancersResult/LoadBalancers').map((lb) => row([
      link(`#/load-balancers/${encodeURIComponent(text(lb, 'LoadBalancerName'))}`, text(lb, 'LoadBalancerName')),
      `<span class="mono">${esc(text(lb, 'DNSName'))}</span>`, state(text(lb, 'State/Code')), esc(text(lb, 'Type')), esc(text(lb, 'Scheme')),
      esc(text(lb, 'VpcId')), list(lb, 'AvailabilityZones').map((z) => esc(text(z, 'ZoneName'))).join(', '), time(text(lb, 'CreatedTime')),
    ]));
    return `<h1>Load balancers</h1>${searchBox(view)}${searchTable(view, ['Name', 'DNS name', 'State', 'Type', 'Scheme', 'VPC', 'Availability Zones', 'Created'], rows, 'No load balancers in this region.')}${pager(view, 'load-balancers')}`;
  },
};

async function renderLoadBalancer(name) {
  const lbs = await api('elbv2', 'DescribeLoadBalancers', { 'Names.member.1': name });
  const lb = list(lbs, 'DescribeLoadBalancersResult/LoadBalancers')[0];
  const arn = text(lb, 'LoadBalancerArn');
  const [listeners, groups] = await Promise.all([
    api('elbv2', 'DescribeListeners', { LoadBalancerArn: arn }),
    api('elbv2', 'DescribeTargetGroups', { LoadBalancerArn: arn }),
  ]);
  const groupList = list(groups, 'DescribeTargetGroupsResult/TargetGroups');
  const groupName = Object.fromEntries(groupList.map((g) => [text(g, 'TargetGroupArn'), text(g, 'TargetGroupName')]));
  const health = await Promise.all(groupList.map((g) => api('elbv2', 'DescribeTargetHealth', { TargetGroupArn: text(g, 'TargetGroupArn') }).catch((e) => e)));
  const lrows = list(listeners, 'DescribeListenersResult/Listeners').map((l) => [esc(text(l, 'Protocol')), esc(text(l, 'Port')),
    list(l, 'DefaultActions').map((a) => {
      const tg = text(a, 'TargetGroupArn');
      return `${esc(text(a, 'Type'))}${tg ? ` → ${esc(groupName[tg] ?? tg)}` : ''}${text(a, 'FixedResponseConfig/StatusCode') ? ` ${esc(text(a, 'FixedResponseConfig/StatusCode'))}` : ''}`;
    }).join('<br>'), `<span class="mono">${esc(text(l, 'ListenerArn'))}</span>`]);
  const groupSections = groupList.map((g, idx) => {
    const h = health[idx];
    const body = h instanceof Error ? errorBox(h) : table(['Target', 'Port', 'Zone', 'Health', 'Reason', 'Description'],
      list(h, 'DescribeTargetHealthResult/TargetHealthDescriptions').map((d) => {
        const target = text(d, 'Target/Id');
        return [target.startsWith('i-') ? link(`#/instances/${target}`, target) : esc(target), esc(text(d, 'Target/Port')), dash(text(d, 'Target/AvailabilityZone')),
          state(text(d, 'TargetHealth/State')), dash(text(d, 'TargetHealth/Reason')), dash(text(d, 'TargetHealth/Description'))];
      }), 'No registered targets.');
    return `<h2>Target group ${esc(text(g, 'TargetGroupName'))} <span class="muted">(${esc(text(g, 'Protocol'))}:${esc(text(g, 'Port'))}, health check ${esc(text(g, 'HealthCheckProtocol'))} ${esc(text(g, 'HealthCheckPath'))})</span></h2>${body}`;
  });
  return `<h1>Load balancer ${esc(name)}</h1>
    <div class="toolbar"><a href="#/load-balancers">‹ All load balancers</a></div>
    <div class="panel"><dl class="grid">
      <div><dt>DNS name</dt><dd class="mono">${esc(text(lb, 'DNSName'))}</dd></div><div><dt>State</dt><dd>${state(text(lb, 'State/Code'))}</dd></div>
      <div><dt>Type</dt><dd>${esc(text(lb, 'Type'))}</dd></div><div><dt>Scheme</dt><dd>${esc(text(lb, 'Scheme'))}</dd></div>
      <div><dt>VPC</dt><dd>${esc(text(lb, 'VpcId'))}</dd></div><div><dt>ARN</dt><dd class="mono">${esc(arn)}</dd></div>
    </dl></div>
    <h2>Listeners</h2>${table(['Protocol', 'Port', 'Default action', 'ARN'], lrows, 'No listeners.')}
    ${groupSections.join('') || '<h2>Target groups</h2><p class="muted">No target groups are attached.</p>'}`;
}

PAGES['auto-scaling'] = {
  title: () => 'Auto Scaling groups',
  async render(view) {
    const root = await fetchPage(view, 'auto-scaling', 'autoscaling', 'DescribeAutoScalingGroups', {},
      { sizeParam: 'MaxRecords', max: 100, nextPath: 'DescribeAutoScalingGroupsResult/NextToken' });
    const rows = list(root, 'DescribeAutoScalingGroupsResult/AutoScalingGroups').map((g) => {
      const instances = list(g, 'Instances');
      const name = text(g, 'AutoScalingGroupName');
      return row([esc(name),
        dash(text(g, 'LaunchTemplate/LaunchTemplateName') || text(g, 'MixedInstancesPolicy/LaunchTemplate/LaunchTemplateSpecification/LaunchTemplateName') || text(g, 'LaunchConfigurationName')),
        esc(text(g, 'MinSize')), esc(text(g, 'DesiredCapacity')), esc(text(g, 'MaxSize')),
        instances.map((i) => `${link(`#/instances/${text(i, 'InstanceId')}`, text(i, 'InstanceId'))} ${state(text(i, 'LifecycleState'))} ${esc(text(i, 'HealthStatus'))}`).join('<br>') || dash(''),
        list(g, 'AvailabilityZones').map((z) => esc(z.textContent)).join(', '), esc(text(g, 'HealthCheckType')),
        list(g, 'TargetGroupARNs').length ? String(list(g, 'TargetGroupARNs').length) : dash(''), dash(text(g, 'Status')), time(text(g, 'CreatedTime')),
        rowActions(btn('asg-desired', 'Set desired capacity', { id: name, min: text(g, 'MinSize'), max: text(g, 'MaxSize'), desired: text(g, 'DesiredCapacity') },
          { aria: `Set the desired capacity of ${name}` }))], tagsOf(g, 'Tags'));
    });
    return `<h1>Auto Scaling groups</h1>${searchBox(view)}${searchTable(view, ['Name', 'Launch template / configuration', 'Min', 'Desired', 'Max', 'Instances', 'Availability Zones', 'Health check', 'Target groups', 'Status', 'Created', 'Actions'], rows, 'No Auto Scaling groups in this region.')}${pager(view, 'auto-scaling')}`;
  },
};

ACTIONS['asg-desired'] = ({ id, min, max, desired }) => formDialog({
  id: 'asg-desired',
  title: `Desired capacity of ${id}`,
  intro: `Between the group's minimum (${esc(min)}) and maximum (${esc(max)}).`,
  fields: [
    { name: 'DesiredCapacity', label: 'Desired capacity', type: 'number', value: desired, required: true, min: 0 },
    { name: 'HonorCooldown', label: 'Cooldown', type: 'select', options: [['false', 'Change now'], ['true', 'Wait for the cooldown period']] },
  ],
  submit: 'Set desired capacity',
  run: (v) => api('autoscaling', 'SetDesiredCapacity', { AutoScalingGroupName: id, DesiredCapacity: v.DesiredCapacity, HonorCooldown: v.HonorCooldown }),
  done: (v) => `Desired capacity of ${esc(id)} set to ${esc(v.DesiredCapacity)}.`,
});

// ---- CloudWatch: alarms, metrics and charts --------------------------------------------------

const CHART_HOURS = [1, 3, 12, 24, 72, 168];
const PERIODS = [60, 300, 900, 3600, 21600, 86400];
const STATS = ['Average', 'Sum', 'Maximum', 'Minimum', 'SampleCount'];
const MAX_SERIES = 8;

const hoursLabel = (h) => (h % 24 === 0 && h >= 24 ? `${h / 24} day${h > 24 ? 's' : ''}` : `${h} hour${h > 1 ? 's' : ''}`);
const periodLabel = (p) => (p >= 3600 ? `${p / 3600} hour${p > 3600 ? 's' : ''}` : p >= 60 ? `${p / 60} minute${p > 60 ? 's' : ''}` : `${p} s`);

/** The chart's range and period from a route's query (a period the range can hold, with at most 1440 points a series). */
function chartWindow(q) {
  const hours = CHART_HOURS.includes(Number(q.get('hours'))) ? Number(q.get('hours')) : 3;
  let period = PERIODS.includes(Number(q.get('period'))) ? Number(q.get('period')) : hours <= 3 ? 60 : hours <= 24 ? 300 : 3600;
  while ((hours * 3600) / period > 1440) period = PERIODS[PERIODS.indexOf(period) + 1];
  return { hours, period };
}

/** The range and period pickers; a change rewrites the page's query string. */
function windowPicker(hours, period) {
  const ranges = CHART_HOURS.map((h) => `<option value="${h}"${h === hours ? ' selected' : ''}>${hoursLabel(h)}</option>`).join('');
  const periods = PERIODS.map((p) => `<option value="${p}"${p === period ? ' selected' : ''}>${periodLabel(p)}</option>`).join('');
  return `<div class="toolbar chart-window"><label for="chart-hours">Range</label><select id="chart-hours" data-change="chart-query" data-param="hours">${ranges}</select>
    <label for="chart-period">Period</label><select id="chart-period" data-change="chart-query" data-param="period">${periods}</select></div>`;
}

/** The CloudWatch page's chart: metrics (ns, metric, dims) × statistics, in the query string. */
function chartSpec(q) {
  let metrics = [];
  try {
    metrics = JSON.parse(q.get('m') || '[]');
  } catch {
    metrics = [];
  }
  if (q.get('metric')) metrics.push({ ns: q.get('ns'), metric: q.get('metric'), dims: JSON.parse(q.get('dims') || '[]') });
  const stats = (q.get('stats') || q.get('stat') || 'Average').split(',').filter((s) => STATS.includes(s));
  return { metrics: metrics.slice(0, MAX_SERIES), stats: stats.length ? stats : ['Average'] };
}

function cloudwatchHash(metrics, stats, q) {
  const p = new URLSearchParams();
  if (metrics.length) p.set('m', JSON.stringify(metrics));
  p.set('stats', stats.join(','));
  for (const k of ['hours', 'period']) if (q && q.get(k)) p.set(k, q.get(k));
  return `#/cloudwatch?${p}`;
}

function metricHash(ns, name, dims) {
  return cloudwatchHash([{ ns, metric: name, dims }], ['Average']);
}

PAGES.cloudwatch = {
  title: () => 'CloudWatch alarms and metrics',
  async render(view) {
    const q = view.route.query;
    const { hours, period } = chartWindow(q);
    const spec = chartSpec(q);
    const series = spec.metrics.flatMap((m) => spec.stats.map((stat) => ({ ns: m.ns, name: m.metric, dims: m.dims ?? [], stat }))).slice(0, MAX_SERIES);
    const [alarms, metrics, chart] = await Promise.allSettled([
      fetchPage(view, 'alarms', 'monitoring', 'DescribeAlarms', {}, { sizeParam: 'MaxRecords', max: 100, nextPath: 'DescribeAlarmsResult/NextToken' }),
      fetchPage(view, 'metrics', 'monitoring', 'ListMetrics', {}, { sizeParam: null, nextPath: 'ListMetricsResult/NextToken' }),
      series.length ? metricChart({ id: 'metric-chart', title: 'Chart', series, hours, period }) : Promise.resolve(''),
    ]);
    const alarmHtml = alarms.status === 'rejected' ? errorBox(alarms.reason) : searchTable(view, ['Name', 'State', 'Metric', 'Condition', 'Period', 'Actions', 'State updated', ''],
      list(alarms.value, 'DescribeAlarmsResult/MetricAlarms').map((a) => {
        const dims = list(a, 'Dimensions').map((d) => ({ Name: text(d, 'Name'), Value: text(d, 'Value') }));
        const name = text(a, 'AlarmName');
        return row([esc(name), state(text(a, 'StateValue')),
          link(metricHash(text(a, 'Namespace'), text(a, 'MetricName'), dims), `${text(a, 'Namespace')} ${text(a, 'MetricName')}`),
          `${esc(text(a, 'Statistic') || text(a, 'ExtendedStatistic'))} ${esc(text(a, 'ComparisonOperator'))} ${esc(text(a, 'Threshold'))} for ${esc(text(a, 'EvaluationPeriods'))} period(s)`,
          `${esc(text(a, 'Period'))} s`, text(a, 'ActionsEnabled') === 'true' ? String(list(a, 'AlarmActions').length) : 'disabled', time(text(a, 'StateUpdatedTimestamp')),
          rowActions(btn('alarm-delete', 'Delete', { id: name }, { danger: true, aria: `Delete alarm ${name}` }))]);
      }), 'No alarms in this region.');
    const onChart = (m) => spec.metrics.some((c) => c.ns === m.ns && c.metric === m.metric && JSON.stringify(c.dims ?? []) === JSON.stringify(m.dims));
    const metricHtml = metrics.status === 'rejected' ? errorBox(metrics.reason) : searchTable(view, ['Namespace', 'Metric', 'Dimensions', ''],
      list(metrics.value, 'ListMetricsResult/Metrics').map((m) => {
        const dims = list(m, 'Dimensions').map((d) => ({ Name: text(d, 'Name'), Value: text(d, 'Value') }));
        const me = { ns: text(m, 'Namespace'), metric: text(m, 'MetricName'), dims };
        const add = onChart(me) ? '<span class="muted">on the chart</span>'
          : spec.metrics.length && spec.metrics.length < MAX_SERIES ? ` · ${link(cloudwatchHash([...spec.metrics, me], spec.stats, q), 'Add to chart')}` : '';
        return row([esc(me.ns), esc(me.metric), dims.map((d) => `<span class="tag">${esc(d.Name)}=${esc(d.Value)}</span>`).join('') || dash(''),
          `${link(cloudwatchHash([me], spec.stats, q), 'Chart')}${add}`]);
      }), 'No metrics in this region yet.');
    let chartHtml = '<p class="muted">Pick a metric below (or an alarm\'s metric) to chart it; "Add to chart" puts several on one chart.</p>';
    if (series.length) {
      const statBoxes = STATS.map((st) => `<label class="inline"><input type="checkbox" data-change="chart-stat" value="${st}"${spec.stats.includes(st) ? ' checked' : ''}> ${st}</label>`).join('');
      const removers = spec.metrics.length > 1 ? spec.metrics.map((m, i) => link(cloudwatchHash(spec.metrics.filter((_, j) => j !== i), spec.stats, q), `Remove ${m.metric}`)).join(' · ') : '';
      chartHtml = `${windowPicker(hours, period)}<fieldset class="stats"><legend>Statistics</legend>${statBoxes}</fieldset>
        ${removers ? `<p>${removers}</p>` : ''}${chart.status === 'rejected' ? errorBox(chart.reason) : chart.value}`;
    }
    return `<h1>CloudWatch</h1>${searchBox(view)}
      <h2>Alarms</h2>${alarmHtml}${alarms.status === 'fulfilled' ? pager(view, 'alarms') : ''}
      <h2>Chart</h2>${chartHtml}
      <h2>Metrics</h2>${metricHtml}${metrics.status === 'fulfilled' ? pager(view, 'metrics') : ''}`;
  },
};

ACTIONS['alarm-delete'] = ({ id }) => perform({
  confirm: `Delete alarm ${id}?`,
  verb: 'Delete',
  run: () => api('monitoring', 'DeleteAlarms', { 'AlarmNames.member.1': id }),
  done: `Deleted alarm ${esc(id)}.`,
});

/** One chart of several series (metric × statistic) from one GetMetricData call. */
async function metricChart({ id, title, series, hours, period }) {
  const end = new Date();
  const start = new Date(end.getTime() - hours * 3600 * 1000);
  const params = { StartTime: start.toISOString(), EndTime: end.toISOString(), ScanBy: 'TimestampAscending' };
  series.forEach((s, i) => {
    const q = `MetricDataQueries.member.${i + 1}`;
    params[`${q}.Id`] = `m${i + 1}`;
    params[`${q}.MetricStat.Metric.Namespace`] = s.ns;
    params[`${q}.MetricStat.Metric.MetricName`] = s.name;
    params[`${q}.MetricStat.Period`] = period;
    params[`${q}.MetricStat.Stat`] = s.stat;
    (s.dims ?? []).forEach((d, j) => {
      params[`${q}.MetricStat.Metric.Dimensions.member.${j + 1}.Name`] = d.Name;
      params[`${q}.MetricStat.Metric.Dimensions.member.${j + 1}.Value`] = d.Value;
    });
  });
  const root = await api('monitoring', 'GetMetricData', params);
  const results = Object.fromEntries(list(root, 'GetMetricDataResult/MetricDataResults').map((r) => [text(r, 'Id'), r]));
  const lines = series.map((s, i) => {
    const result = results[`m${i + 1}`];
    const times = list(result, 'Timestamps').map((t) => Date.parse(t.textContent));
    const values = list(result, 'Values').map((v) => Number(v.textContent));
    const dimText = (s.dims ?? []).map((d) => `${d.Name}=${d.Value}`).join(', ');
    return {
      label: `${s.name} ${s.stat}`, detail: `${s.ns}${dimText ? ` (${dimText})` : ''}`,
      points: times.map((t, k) => [t, values[k]]).sort((a, b) => a[0] - b[0]),
    };
  });
  const legend = lines.map((l, i) => `<li><span class="swatch s${i}"></span>${esc(l.label)} <span class="muted">${esc(l.detail)} · ${l.points.length} point(s)</span></li>`).join('');
  return `<figure class="panel chart-panel" id="${esc(id)}-panel"><figcaption><strong>${esc(title)}</strong> <span class="muted">${periodLabel(period)} period, last ${hoursLabel(hours)}, UTC</span></figcaption>
    <ul class="legend">${legend}</ul>${svgChart(id, lines, start.getTime(), end.getTime(), hours, title)}</figure>`;
}

function svgChart(id, lines, t0, t1, hours, title) {
  const W = 760, H = 240, L = 56, R = 12, T = 12, B = 28;
  const all = lines.flatMap((l) => l.points);
  const count = all.length;
  if (!count) return `<p class="muted chart-empty" id="${esc(id)}-empty">No data points in the last ${hoursLabel(hours)}.</p>`;
  let lo = Math.min(...all.map((p) => p[1]));
  let hi = Math.max(...all.map((p) => p[1]));
  if (lo > 0) lo = 0;
  if (hi === lo) hi = lo + 1;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const fmt = (v) => (Math.abs(v) >= 100000 ? v.toExponential(2) : Number(v.toPrecision(4)).toString());
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = lo + f * (hi - lo);
    return `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
  }).join('');
  const ticks = [0, 1, 2, 3, 4].map((k) => {
    const t = t0 + (k / 4) * (t1 - t0);
    const iso = new Date(t).toISOString();
    const label = hours > 24 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
    const anchor = k === 0 ? 'start' : k === 4 ? 'end' : 'middle';
    return `<text x="${x(t)}" y="${H - 8}" text-anchor="${anchor}">${label}</text>`;
  }).join('');
  const paths = lines.map((l, i) => {
    if (!l.points.length) return '';
    const pts = l.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
    const dots = l.points.length <= 60 ? l.points.map((p) => `<circle class="dot s${i}" r="2.5" cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}"><title>${esc(l.label)} ${new Date(p[0]).toISOString()}: ${p[1]}</title></circle>`).join('') : '';
    return `<polyline class="line s${i}" points="${pts}"><title>${esc(l.label)}</title></polyline>${dots}`;
  }).join('');
  return `<svg class="chart" id="${esc(id)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}: ${esc(lines.map((l) => l.label).join(', '))}">
    ${grid}<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>
    ${ticks}${paths}</svg>
    <p class="muted">${count} data point(s), times in UTC.</p>`;
}

// ---- events (delegated: the pages are re-rendered as HTML) ----------------------------------

document.addEventListener('click', (e) => {
  const el = e.target.closest('[data-action]');
  if (!el || !current) return;
  const action = el.dataset.action;
  if (action === 'page-next' || action === 'page-prev') {
    const pg = current.state.paging[el.dataset.table];
    if (!pg) return;
    if (action === 'page-next' && pg.next) {
      pg.tokens[pg.index + 1] = pg.next;
      pg.tokens.length = pg.index + 2;
      pg.index += 1;
    } else if (action === 'page-prev' && pg.index > 0) {
      pg.index -= 1;
    }
    refresh(current);
  } else if (action.startsWith('instance-')) {
    runInstanceAction(action.slice('instance-'.length), el.dataset.ids.split(' ').filter(Boolean));
  } else if (ACTIONS[action]) {
    ACTIONS[action]({ ...el.dataset });
  }
});

document.getElementById('form-dialog-cancel').addEventListener('click', () => document.getElementById('form-dialog').close());

let searchTimer = null;
document.addEventListener('input', (e) => {
  const el = e.target.closest('[data-search]');
  if (!el || !current) return;
  const view = current;
  view.state.search = el.value;
  searches.set(view.route.name, el.value);
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    if (view === current) refresh(view);
  }, 150);
});

document.addEventListener('change', (e) => {
  const el = e.target.closest('[data-change]');
  if (!el || !current) return;
  const kind = el.dataset.change;
  if (kind === 'page-size') {
    sessionStorage.setItem(PAGE_SIZE_KEY, el.value);
    for (const pg of Object.values(current.state.paging)) Object.assign(pg, { tokens: [null], index: 0, next: null });
    refresh(current);
  } else if (kind === 'select') {
    if (el.checked) selected.add(el.value);
    else selected.delete(el.value);
    const holder = document.querySelector('[data-role="instance-actions"]');
    if (holder) holder.innerHTML = instanceToolbar([...selected], selected.size === 0);
  } else if (kind === 'state-filter') {
    current.state.stateFilter = el.value;
    searches.set(`${current.route.name}:state`, el.value);
    refresh(current);
  } else if (kind === 'chart-query') {
    const { route } = current;
    const q = new URLSearchParams(route.query);
    q.set(el.dataset.param, el.value);
    if (el.dataset.param === 'hours') q.delete('period');
    location.hash = `#/${route.name}${route.arg ? `/${encodeURIComponent(route.arg)}` : ''}?${q}`;
  } else if (kind === 'chart-stat') {
    const stats = [...document.querySelectorAll('[data-change="chart-stat"]:checked')].map((b) => b.value);
    if (!stats.length) {
      el.checked = true;
      return;
    }
    location.hash = cloudwatchHash(chartSpec(current.route.query).metrics, stats, current.route.query);
  } else if (kind === 'launch-subnet') {
    const vpc = el.selectedOptions[0]?.dataset.vpc;
    for (const label of document.querySelectorAll('#launch-groups label')) {
      const on = label.dataset.vpc === vpc;
      label.hidden = !on;
      const box = label.querySelector('input');
      if (!on) box.checked = false;
    }
  }
});

document.addEventListener('submit', (e) => {
  const form = e.target.closest('form[data-form]');
  if (!form) return;
  e.preventDefault();
  if (form.dataset.form === 'sign-in') signIn(form);
  else if (form.dataset.form === 'launch') launch(form);
  else if (form.dataset.form === 'dialog') submitDialog(form);
});

window.addEventListener('hashchange', show);
show();
