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

/** The last calls' durations (window.__stratusCalls), for measuring the pages. */
window.__stratusCalls = [];

async function api(service, action, params) {
  const started = performance.now();
  try {
    return await call(session, session.region, service, action, params);
  } finally {
    window.__stratusCalls.push({ action, ms: performance.now() - started });
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

// ---- paging (NextToken / Marker) ---------------------------------------------------------

async function fetchPage(view, id, service, action, params, opts = {}) {
  const pg = (view.state.paging[id] ??= { tokens: [null], index: 0, next: null });
  const p = { ...params };
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
  const view = { route, page, hash: location.hash, state: { paging: {} }, lastHtml: null, timer: null, started: performance.now(), ready: false };
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
  try {
    html = await view.page.render(view);
  } catch (e) {
    html = `<h1>${esc(view.page.title(view.route))}</h1>${errorBox(e)}`;
  }
  if (view !== current || seq !== view.seq) return;
  const full = (flash ? `<div class="flash">${flash.html}</div>` : '') + html;
  if (full !== view.lastHtml) {
    main.innerHTML = full;
    view.lastHtml = full;
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

function confirmDialog(message, label = 'Confirm') {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = message;
  document.getElementById('confirm-ok').textContent = label;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
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
    const root = await fetchPage(view, 'instances', 'ec2', 'DescribeInstances', {});
    const instances = instancesOf(root);
    const ids = instances.map((i) => text(i, 'instanceId'));
    for (const id of [...selected]) if (!ids.includes(id)) selected.delete(id);
    const rows = instances.map((i) => {
      const id = text(i, 'instanceId');
      const tags = tagsOf(i);
      return [
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
      ];
    });
    return `<h1>Instances</h1>
      <div class="toolbar"><a class="button primary" href="#/launch">Launch instances</a>
        <span data-role="instance-actions">${instanceToolbar([...selected], selected.size === 0)}</span>
        <span class="spacer"></span><span class="muted">${instances.length} on this page · updates every ${POLL_MS / 1000} s</span></div>
      ${table(['', 'Name', 'Instance ID', 'State', 'Type', 'Availability Zone', 'Private IPv4', 'Public IPv4', 'Key pair', 'Launched', 'Tags'], rows, 'No instances in this region.')}
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
  return `<h1>Instance ${esc(id)} ${tags.Name ? `<span class="muted">(${esc(tags.Name)})</span>` : ''}</h1>
    <div class="toolbar"><a href="#/instances">‹ All instances</a><span class="spacer"></span>${instanceToolbar([id], false)}</div>
    <div class="panel"><dl class="grid">${fields.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('')}</dl></div>
    <h2>Tags</h2>${table(['Key', 'Value'], tagRows, 'No tags.')}
    <h2>Console output</h2>${consoleHtml}`;
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
    ClientToken: crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`,
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
    const root = await fetchPage(view, 'images', 'ec2', 'DescribeImages', {});
    const rows = list(root, 'imagesSet').map((img) => {
      const id = text(img, 'imageId');
      return [dash(text(img, 'name')), esc(id), state(text(img, 'imageState')), esc(text(img, 'imageOwnerAlias') || text(img, 'imageOwnerId')),
        esc(text(img, 'architecture')), esc(text(img, 'rootDeviceType')), esc(text(img, 'virtualizationType')),
        text(img, 'isPublic') === 'true' ? 'public' : 'private', time(text(img, 'creationDate')), link(`#/launch?ami=${id}`, 'Launch')];
    });
    return `<h1>AMIs</h1>${table(['Name', 'AMI ID', 'State', 'Owner', 'Architecture', 'Root device', 'Virtualization', 'Visibility', 'Created', ''], rows, 'No images.')}${pager(view, 'images')}`;
  },
};

PAGES.volumes = {
  title: () => 'Volumes and snapshots',
  async render(view) {
    const [volumes, snapshots] = await Promise.all([
      fetchPage(view, 'volumes', 'ec2', 'DescribeVolumes', {}, { max: 500 }),
      fetchPage(view, 'snapshots', 'ec2', 'DescribeSnapshots', { 'Owner.1': 'self' }),
    ]);
    const vrows = list(volumes, 'volumeSet').map((v) => [
      dash(tagsOf(v).Name), esc(text(v, 'volumeId')), state(text(v, 'status')), `${esc(text(v, 'size'))} GiB`, esc(text(v, 'volumeType')),
      esc(text(v, 'availabilityZone')),
      list(v, 'attachmentSet').map((a) => `${link(`#/instances/${text(a, 'instanceId')}`, text(a, 'instanceId'))} ${esc(text(a, 'device'))} (${esc(text(a, 'status'))})`).join('<br>') || dash(''),
      dash(text(v, 'snapshotId')), text(v, 'encrypted') === 'true' ? 'yes' : 'no', time(text(v, 'createTime')),
    ]);
    const srows = list(snapshots, 'snapshotSet').map((s) => [
      dash(tagsOf(s).Name), esc(text(s, 'snapshotId')), state(text(s, 'status')), dash(text(s, 'progress')), esc(text(s, 'volumeId')),
      `${esc(text(s, 'volumeSize'))} GiB`, dash(text(s, 'description')), time(text(s, 'startTime')),
    ]);
    return `<h1>Volumes and snapshots</h1>
      <h2>Volumes</h2>${table(['Name', 'Volume ID', 'State', 'Size', 'Type', 'Availability Zone', 'Attached to', 'Snapshot', 'Encrypted', 'Created'], vrows, 'No volumes.')}${pager(view, 'volumes')}
      <h2>Snapshots</h2>${table(['Name', 'Snapshot ID', 'State', 'Progress', 'Volume', 'Size', 'Description', 'Started'], srows, 'No snapshots.')}${pager(view, 'snapshots')}`;
  },
};

PAGES['key-pairs'] = {
  title: () => 'Key pairs',
  async render() {
    const root = await api('ec2', 'DescribeKeyPairs', {});
    const rows = list(root, 'keySet').map((k) => [esc(text(k, 'keyName')), esc(text(k, 'keyPairId')), esc(text(k, 'keyType')),
      `<span class="mono">${esc(text(k, 'keyFingerprint'))}</span>`, time(text(k, 'createTime')), tagList(tagsOf(k))]);
    return `<h1>Key pairs</h1>${table(['Name', 'ID', 'Type', 'Fingerprint', 'Created', 'Tags'], rows, 'No key pairs in this region.')}`;
  },
};

function portRange(from, to, proto) {
  if (proto === '-1') return 'All';
  if (from === '' || from === undefined) return 'All';
  if (proto === 'icmp' || proto === '1') return `type ${from}, code ${to}`;
  return from === to ? from : `${from}–${to}`;
}

const protocolName = (p) => ({ '-1': 'All', 6: 'tcp', 17: 'udp', 1: 'icmp' }[p] ?? p);

PAGES['security-groups'] = {
  title: (r) => (r.arg ? `Security group ${r.arg}` : 'Security groups'),
  async render(view) {
    if (view.route.arg) return renderSecurityGroup(view.route.arg);
    const root = await fetchPage(view, 'security-groups', 'ec2', 'DescribeSecurityGroups', {});
    const rows = list(root, 'securityGroupInfo').map((g) => [
      link(`#/security-groups/${text(g, 'groupId')}`, text(g, 'groupId')), esc(text(g, 'groupName')), esc(text(g, 'vpcId')),
      esc(text(g, 'groupDescription')), String(list(g, 'ipPermissions').length), String(list(g, 'ipPermissionsEgress').length), tagList(tagsOf(g)),
    ]);
    return `<h1>Security groups</h1>${table(['Group ID', 'Name', 'VPC', 'Description', 'Inbound permissions', 'Outbound permissions', 'Tags'], rows, 'No security groups.')}${pager(view, 'security-groups')}`;
  },
};

async function renderSecurityGroup(id) {
  const [groups, rules] = await Promise.all([
    api('ec2', 'DescribeSecurityGroups', { 'GroupId.1': id }),
    api('ec2', 'DescribeSecurityGroupRules', { ...ec2Filter([['group-id', [id]]]), MaxResults: 1000 }),
  ]);
  const g = list(groups, 'securityGroupInfo')[0];
  const all = list(rules, 'securityGroupRuleSet');
  const row = (r) => {
    const proto = text(r, 'ipProtocol');
    const peer = text(r, 'cidrIpv4') || text(r, 'cidrIpv6') || text(r, 'prefixListId') || text(r, 'referencedGroupInfo/groupId');
    return [esc(text(r, 'securityGroupRuleId')), esc(protocolName(proto)), esc(portRange(text(r, 'fromPort'), text(r, 'toPort'), proto)),
      peer.startsWith('sg-') ? link(`#/security-groups/${peer}`, peer) : esc(peer), dash(text(r, 'description'))];
  };
  const cols = ['Rule ID', 'Protocol', 'Ports', 'Source / destination', 'Description'];
  return `<h1>Security group ${esc(id)}</h1>
    <div class="toolbar"><a href="#/security-groups">‹ All security groups</a></div>
    <div class="panel"><dl class="grid">
      <div><dt>Name</dt><dd>${esc(text(g, 'groupName'))}</dd></div><div><dt>VPC</dt><dd>${esc(text(g, 'vpcId'))}</dd></div>
      <div><dt>Description</dt><dd>${esc(text(g, 'groupDescription'))}</dd></div><div><dt>Owner</dt><dd>${esc(text(g, 'ownerId'))}</dd></div>
    </dl></div>
    <h2>Inbound rules</h2>${table(cols, all.filter((r) => text(r, 'isEgress') !== 'true').map(row), 'No inbound rules.')}
    <h2>Outbound rules</h2>${table(cols, all.filter((r) => text(r, 'isEgress') === 'true').map(row), 'No outbound rules.')}`;
}

PAGES.addresses = {
  title: () => 'Elastic IP addresses',
  async render() {
    const root = await api('ec2', 'DescribeAddresses', {});
    const rows = list(root, 'addressesSet').map((a) => [esc(text(a, 'publicIp')), esc(text(a, 'allocationId')),
      text(a, 'instanceId') ? link(`#/instances/${text(a, 'instanceId')}`, text(a, 'instanceId')) : dash(''),
      dash(text(a, 'privateIpAddress')), dash(text(a, 'networkInterfaceId')), dash(text(a, 'associationId')),
      esc(text(a, 'domain')), dash(text(a, 'networkBorderGroup')), tagList(tagsOf(a))]);
    return `<h1>Elastic IP addresses</h1>${table(['Public IPv4', 'Allocation ID', 'Instance', 'Private IPv4', 'Network interface', 'Association ID', 'Domain', 'Border group', 'Tags'], rows, 'No Elastic IP addresses in this region.')}`;
  },
};

PAGES.vpcs = {
  title: () => 'VPCs and subnets',
  async render(view) {
    const [vpcs, subnets] = await Promise.all([
      fetchPage(view, 'vpcs', 'ec2', 'DescribeVpcs', {}),
      fetchPage(view, 'subnets', 'ec2', 'DescribeSubnets', {}),
    ]);
    const vrows = list(vpcs, 'vpcSet').map((v) => [dash(tagsOf(v).Name), esc(text(v, 'vpcId')), state(text(v, 'state')), esc(text(v, 'cidrBlock')),
      text(v, 'isDefault') === 'true' ? 'yes' : 'no', dash(text(v, 'dhcpOptionsId')), esc(text(v, 'instanceTenancy'))]);
    const srows = list(subnets, 'subnetSet').map((s) => [dash(tagsOf(s).Name), esc(text(s, 'subnetId')), state(text(s, 'state')), esc(text(s, 'vpcId')),
      esc(text(s, 'cidrBlock')), esc(text(s, 'availabilityZone')), esc(text(s, 'availableIpAddressCount')),
      text(s, 'defaultForAz') === 'true' ? 'yes' : 'no', text(s, 'mapPublicIpOnLaunch') === 'true' ? 'yes' : 'no']);
    return `<h1>VPCs and subnets</h1>
      <h2>VPCs</h2>${table(['Name', 'VPC ID', 'State', 'IPv4 CIDR', 'Default', 'DHCP options', 'Tenancy'], vrows, 'No VPCs.')}${pager(view, 'vpcs')}
      <h2>Subnets</h2>${table(['Name', 'Subnet ID', 'State', 'VPC', 'IPv4 CIDR', 'Availability Zone', 'Available IPs', 'Default for AZ', 'Public IP on launch'], srows, 'No subnets.')}${pager(view, 'subnets')}`;
  },
};

const LB_PAGE = { sizeParam: 'PageSize', tokenParam: 'Marker', nextPath: 'DescribeLoadBalancersResult/NextMarker', max: 400 };

PAGES['load-balancers'] = {
  title: (r) => (r.arg ? `Load balancer ${r.arg}` : 'Load balancers'),
  async render(view) {
    if (view.route.arg) return renderLoadBalancer(view.route.arg);
    const root = await fetchPage(view, 'load-balancers', 'elbv2', 'DescribeLoadBalancers', {}, LB_PAGE);
    const rows = list(root, 'DescribeLoadBalancersResult/LoadBalancers').map((lb) => [
      link(`#/load-balancers/${encodeURIComponent(text(lb, 'LoadBalancerName'))}`, text(lb, 'LoadBalancerName')),
      `<span class="mono">${esc(text(lb, 'DNSName'))}</span>`, state(text(lb, 'State/Code')), esc(text(lb, 'Type')), esc(text(lb, 'Scheme')),
      esc(text(lb, 'VpcId')), list(lb, 'AvailabilityZones').map((z) => esc(text(z, 'ZoneName'))).join(', '), time(text(lb, 'CreatedTime')),
    ]);
    return `<h1>Load balancers</h1>${table(['Name', 'DNS name', 'State', 'Type', 'Scheme', 'VPC', 'Availability Zones', 'Created'], rows, 'No load balancers in this region.')}${pager(view, 'load-balancers')}`;
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
      return [esc(text(g, 'AutoScalingGroupName')),
        dash(text(g, 'LaunchTemplate/LaunchTemplateName') || text(g, 'MixedInstancesPolicy/LaunchTemplate/LaunchTemplateSpecification/LaunchTemplateName') || text(g, 'LaunchConfigurationName')),
        esc(text(g, 'MinSize')), esc(text(g, 'DesiredCapacity')), esc(text(g, 'MaxSize')),
        instances.map((i) => `${link(`#/instances/${text(i, 'InstanceId')}`, text(i, 'InstanceId'))} ${state(text(i, 'LifecycleState'))} ${esc(text(i, 'HealthStatus'))}`).join('<br>') || dash(''),
        list(g, 'AvailabilityZones').map((z) => esc(z.textContent)).join(', '), esc(text(g, 'HealthCheckType')),
        list(g, 'TargetGroupARNs').length ? String(list(g, 'TargetGroupARNs').length) : dash(''), dash(text(g, 'Status')), time(text(g, 'CreatedTime'))];
    });
    return `<h1>Auto Scaling groups</h1>${table(['Name', 'Launch template / configuration', 'Min', 'Desired', 'Max', 'Instances', 'Availability Zones', 'Health check', 'Target groups', 'Status', 'Created'], rows, 'No Auto Scaling groups in this region.')}${pager(view, 'auto-scaling')}`;
  },
};

// ---- CloudWatch: alarms, metrics and a chart ------------------------------------------------

const CHART_HOURS = [1, 3, 12, 24];
const STATS = ['Average', 'Sum', 'Maximum', 'Minimum', 'SampleCount'];

function metricHash(ns, name, dims, stat = 'Average', hours = 3) {
  const q = new URLSearchParams({ ns, metric: name, dims: JSON.stringify(dims), stat, hours: String(hours) });
  return `#/cloudwatch?${q}`;
}

PAGES.cloudwatch = {
  title: () => 'CloudWatch alarms and metrics',
  async render(view) {
    const q = view.route.query;
    const hours = CHART_HOURS.includes(Number(q.get('hours'))) ? Number(q.get('hours')) : 3;
    const chosen = q.get('metric') ? { ns: q.get('ns'), name: q.get('metric'), dims: JSON.parse(q.get('dims') || '[]'), stat: q.get('stat') || 'Average', hours } : null;
    const [alarms, metrics, chart] = await Promise.allSettled([
      fetchPage(view, 'alarms', 'monitoring', 'DescribeAlarms', {}, { sizeParam: 'MaxRecords', max: 100, nextPath: 'DescribeAlarmsResult/NextToken' }),
      fetchPage(view, 'metrics', 'monitoring', 'ListMetrics', {}, { sizeParam: null, nextPath: 'ListMetricsResult/NextToken' }),
      chosen ? metricChart(chosen) : Promise.resolve(''),
    ]);
    const alarmHtml = alarms.status === 'rejected' ? errorBox(alarms.reason) : table(['Name', 'State', 'Metric', 'Condition', 'Period', 'Actions', 'State updated'],
      list(alarms.value, 'DescribeAlarmsResult/MetricAlarms').map((a) => {
        const dims = list(a, 'Dimensions').map((d) => ({ Name: text(d, 'Name'), Value: text(d, 'Value') }));
        return [esc(text(a, 'AlarmName')), state(text(a, 'StateValue')),
          link(metricHash(text(a, 'Namespace'), text(a, 'MetricName'), dims), `${text(a, 'Namespace')} ${text(a, 'MetricName')}`),
          `${esc(text(a, 'Statistic') || text(a, 'ExtendedStatistic'))} ${esc(text(a, 'ComparisonOperator'))} ${esc(text(a, 'Threshold'))} for ${esc(text(a, 'EvaluationPeriods'))} period(s)`,
          `${esc(text(a, 'Period'))} s`, text(a, 'ActionsEnabled') === 'true' ? String(list(a, 'AlarmActions').length) : 'disabled', time(text(a, 'StateUpdatedTimestamp'))];
      }), 'No alarms in this region.');
    const metricHtml = metrics.status === 'rejected' ? errorBox(metrics.reason) : table(['Namespace', 'Metric', 'Dimensions', ''],
      list(metrics.value, 'ListMetricsResult/Metrics').map((m) => {
        const dims = list(m, 'Dimensions').map((d) => ({ Name: text(d, 'Name'), Value: text(d, 'Value') }));
        return [esc(text(m, 'Namespace')), esc(text(m, 'MetricName')), dims.map((d) => `<span class="tag">${esc(d.Name)}=${esc(d.Value)}</span>`).join('') || dash(''),
          link(metricHash(text(m, 'Namespace'), text(m, 'MetricName'), dims), 'Chart')];
      }), 'No metrics in this region yet.');
    const chartHtml = !chosen ? '<p class="muted">Pick a metric below (or an alarm\'s metric) to chart it.</p>'
      : chart.status === 'rejected' ? errorBox(chart.reason) : chart.value;
    return `<h1>CloudWatch</h1>
      <h2>Alarms</h2>${alarmHtml}${alarms.status === 'fulfilled' ? pager(view, 'alarms') : ''}
      <h2>Chart</h2>${chartHtml}
      <h2>Metrics</h2>${metricHtml}${metrics.status === 'fulfilled' ? pager(view, 'metrics') : ''}`;
  },
};

async function metricChart({ ns, name, dims, stat, hours }) {
  const end = new Date();
  const start = new Date(end.getTime() - hours * 3600 * 1000);
  const period = hours <= 3 ? 60 : 300;
  const params = {
    'MetricDataQueries.member.1.Id': 'm1',
    'MetricDataQueries.member.1.MetricStat.Metric.Namespace': ns,
    'MetricDataQueries.member.1.MetricStat.Metric.MetricName': name,
    'MetricDataQueries.member.1.MetricStat.Period': period,
    'MetricDataQueries.member.1.MetricStat.Stat': stat,
    StartTime: start.toISOString(),
    EndTime: end.toISOString(),
    ScanBy: 'TimestampAscending',
  };
  dims.forEach((d, i) => {
    params[`MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.${i + 1}.Name`] = d.Name;
    params[`MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.${i + 1}.Value`] = d.Value;
  });
  const root = await api('monitoring', 'GetMetricData', params);
  const result = list(root, 'GetMetricDataResult/MetricDataResults')[0];
  const times = list(result, 'Timestamps').map((t) => Date.parse(t.textContent));
  const values = list(result, 'Values').map((v) => Number(v.textContent));
  const points = times.map((t, i) => [t, values[i]]).sort((a, b) => a[0] - b[0]);
  const title = `${esc(ns)} ${esc(name)} (${esc(stat)}, ${period / 60} minute${period > 60 ? 's' : ''})${dims.map((d) => ` <span class="tag">${esc(d.Name)}=${esc(d.Value)}</span>`).join('')}`;
  const choice = (label, href, on) => (on ? `<strong>${esc(label)}</strong>` : link(href, label));
  const ranges = CHART_HOURS.map((h) => choice(`${h} h`, metricHash(ns, name, dims, stat, h), h === hours)).join(' · ');
  const stats = STATS.map((s) => choice(s, metricHash(ns, name, dims, s, hours), s === stat)).join(' · ');
  return `<div class="panel"><p>${title}</p><p class="muted">Range: ${ranges} &nbsp; Statistic: ${stats}</p>${svgChart(points, start.getTime(), end.getTime(), hours)}</div>`;
}

function svgChart(points, t0, t1, hours) {
  const W = 760, H = 240, L = 56, R = 12, T = 12, B = 28;
  if (!points.length) return `<p class="muted" id="metric-chart-empty">No data points in the last ${hours} hour(s).</p>`;
  let lo = Math.min(...points.map((p) => p[1]));
  let hi = Math.max(...points.map((p) => p[1]));
  if (lo > 0) lo = 0;
  if (hi === lo) hi = lo + 1;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const fmt = (v) => (Math.abs(v) >= 1000 ? v.toExponential(2) : Number(v.toPrecision(4)).toString());
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = lo + f * (hi - lo);
    return `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
  }).join('');
  const ticks = [0, 1, 2, 3, 4].map((k) => {
    const t = t0 + (k / 4) * (t1 - t0);
    const label = new Date(t).toISOString().slice(11, 16);
    const anchor = k === 0 ? 'start' : k === 4 ? 'end' : 'middle';
    return `<text x="${x(t)}" y="${H - 8}" text-anchor="${anchor}">${label}</text>`;
  }).join('');
  const line = points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
  const dots = points.length <= 60 ? points.map((p) => `<circle class="dot" r="2.5" cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}"><title>${new Date(p[0]).toISOString()}: ${p[1]}</title></circle>`).join('') : '';
  return `<svg class="chart" id="metric-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="metric chart">
    ${grid}<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>
    ${ticks}<polyline class="line" points="${line}"/>${dots}</svg>
    <p class="muted">${points.length} data point(s), times in UTC.</p>`;
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
  }
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
});

window.addEventListener('hashchange', show);
show();
