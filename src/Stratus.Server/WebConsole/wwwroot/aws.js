// The console's AWS client: Signature Version 4 in the browser and the query protocols
// (EC2's and the Query protocol of ELBv2, CloudWatch, Auto Scaling and STS), answered in XML.
// Every call goes to the same endpoint and through the same checks as the CLI's and the SDKs'.

export const SERVICES = {
  ec2: { signingName: 'ec2', version: '2016-11-15' },
  elbv2: { signingName: 'elasticloadbalancing', version: '2015-12-01' },
  monitoring: { signingName: 'monitoring', version: '2010-08-01' },
  autoscaling: { signingName: 'autoscaling', version: '2011-01-01' },
  sts: { signingName: 'sts', version: '2011-06-15' },
};

/** An error as the API returned it (Code and Message), or a network failure. */
export class ApiError extends Error {
  constructor(code, message, status, requestId) {
    super(message);
    this.code = code;
    this.status = status;
    this.requestId = requestId;
  }
}

const utf8 = new TextEncoder();

function toHex(bytes) {
  let out = '';
  for (const b of new Uint8Array(bytes)) out += b.toString(16).padStart(2, '0');
  return out;
}

// ---- SHA-256 and HMAC: Web Crypto where the page is a secure context (https, 127.0.0.1,
// localhost), otherwise this small implementation (FIPS 180-4) so plain-http hosts work too.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

function sha256Plain(data) {
  const bitLength = data.length * 8;
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  h.forEach((v, i) => outView.setUint32(i * 4, v));
  return out;
}

function hmacPlain(key, data) {
  let k = key.length > 64 ? sha256Plain(key) : key;
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sha256Plain(inner), 64);
  return sha256Plain(outer);
}

const subtle = globalThis.crypto && globalThis.crypto.subtle;

async function sha256Hex(text) {
  const bytes = utf8.encode(text);
  return toHex(subtle ? await subtle.digest('SHA-256', bytes) : sha256Plain(bytes));
}

async function hmac(key, text) {
  const keyBytes = typeof key === 'string' ? utf8.encode(key) : key;
  const data = utf8.encode(text);
  if (!subtle) return hmacPlain(keyBytes, data);
  const cryptoKey = await subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', cryptoKey, data));
}

/** Percent-encoding as SigV4 and the query protocols expect (RFC 3986 unreserved kept). */
export function awsEncode(value) {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * The SigV4 headers of a form-encoded POST to "/" of this page's host.
 * credentials: { accessKeyId, secretAccessKey, sessionToken? }.
 */
export async function signRequest(credentials, region, signingName, body, now = new Date()) {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: location.host,
    'x-amz-date': amzDate,
  };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n]).trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, await sha256Hex(body)].join('\n');
  const scope = `${day}/${region}/${signingName}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256Hex(canonicalRequest)].join('\n');
  let key = await hmac('AWS4' + credentials.secretAccessKey, day);
  for (const part of [region, signingName, 'aws4_request']) key = await hmac(key, part);
  const signature = toHex(await hmac(key, stringToSign));
  const out = {
    'Content-Type': headers['content-type'],
    'X-Amz-Date': amzDate,
    Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
  if (credentials.sessionToken) out['X-Amz-Security-Token'] = credentials.sessionToken;
  return out;
}

/** Calls one operation; resolves to the response's root element, rejects with an ApiError. */
export async function call(credentials, region, service, action, params = {}) {
  const svc = SERVICES[service];
  const fields = [['Action', action], ['Version', svc.version]];
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') fields.push([k, String(v)]);
  }
  const body = fields.map(([k, v]) => `${awsEncode(k)}=${awsEncode(v)}`).join('&');
  const headers = await signRequest(credentials, region, svc.signingName, body);
  let response;
  try {
    response = await fetch('/', { method: 'POST', headers, body, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError('NetworkError', `The Stratus endpoint did not answer (${e.message}).`, 0, null);
  }
  const text = await response.text();
  const requestId = response.headers.get('x-amzn-RequestId');
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const root = doc.documentElement;
  if (!response.ok) {
    const code = root ? firstText(root, 'Code') : '';
    const message = root ? firstText(root, 'Message') : '';
    throw new ApiError(code || `HTTP ${response.status}`, message || text.slice(0, 300), response.status, requestId);
  }
  if (!root || root.localName === 'parsererror' || doc.getElementsByTagName('parsererror').length > 0) {
    throw new ApiError('InvalidResponse', `${action} answered something that is not XML.`, response.status, requestId);
  }
  return root;
}

// ---- Reading XML responses (namespaces ignored; EC2's "item" and Query's "member" lists alike).

function firstText(root, name) {
  const found = root.getElementsByTagNameNS('*', name)[0] ?? root.getElementsByTagName(name)[0];
  return found ? found.textContent : '';
}

/** The direct children of el named name. */
export function kids(el, name) {
  return el ? [...el.children].filter((c) => c.localName === name) : [];
}

/** The element at a slash-separated path of child names below el, or null. */
export function at(el, path) {
  let cur = el;
  for (const part of path.split('/')) {
    if (!part) continue;
    cur = kids(cur, part)[0];
    if (!cur) return null;
  }
  return cur ?? null;
}

/** The text at path below el ('' when absent). */
export function text(el, path) {
  const node = path ? at(el, path) : el;
  return node ? node.textContent : '';
}

/** The entries of the list element at path (its "item" or "member" children). */
export function list(el, path) {
  const node = at(el, path);
  return node ? [...node.children] : [];
}

/** EC2 tags (tagSet) or Query tags (Tags/member) as { key: value }. */
export function tagsOf(el, path = 'tagSet') {
  const tags = {};
  for (const t of list(el, path)) tags[text(t, 'key') || text(t, 'Key')] = text(t, 'value') || text(t, 'Value');
  return tags;
}
