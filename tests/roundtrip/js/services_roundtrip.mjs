#!/usr/bin/env node
// Round trips of any service model in any of its protocols through the AWS SDK for JavaScript v3,
// with no network.
//
//   node services_roundtrip.mjs requests --service sts --protocol query --model PATH --seed N [--count K]
//       one JSON line per case: {"operation","params","body" (base64),"headers","path"}.
//   node services_roundtrip.mjs responses --service sts --protocol query --model PATH < responses.jsonl
//       each input line {"operation","status","headers","body" (base64), "expected" | "error"};
//       the SDK parses it as the operation's response (or error); report as sdk_roundtrip.mjs.
//
// The client's protocol is forced with its `protocol` setting (the schema-based serde of the SDK),
// so CloudWatch can be driven in query, json (query-compatible) and rpc-v2-cbor. Exit 0 on
// success (also when the report lists failures), 2 on usage or internal error.

import { readFileSync } from "node:fs";
import {
  AwsQueryProtocol, AwsJson1_0Protocol, AwsJson1_1Protocol, AwsSmithyRpcV2CborProtocol,
} from "@aws-sdk/core/protocols";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const FAILURES_PER_OPERATION = 5;
const FORCED_MEMBERS = {};
const CLIENTS = {
  sts: ["@aws-sdk/client-sts", "STSClient"],
  "service-quotas": ["@aws-sdk/client-service-quotas", "ServiceQuotasClient"],
  iam: ["@aws-sdk/client-iam", "IAMClient"],
  autoscaling: ["@aws-sdk/client-auto-scaling", "AutoScalingClient"],
  elbv2: ["@aws-sdk/client-elastic-load-balancing-v2", "ElasticLoadBalancingV2Client"],
  cloudwatch: ["@aws-sdk/client-cloudwatch", "CloudWatchClient"],
};

// ------------------------------------------------------------------ PRNG (mirrors rt_model.py)

const MAX_DEPTH = 6;
const P_OPTIONAL = 0.6;
const TIMESTAMP_SPAN_MS = 4102444800000;
const INT_DEFAULT = [-2147483648, 2147483647];
const LONG_DEFAULT = [-(2 ** 52 - 1), 2 ** 52 - 1];
const DOUBLE_DEFAULT_K = [-1000000000, 1000000000];
const ALNUM = [];
for (let c = 97; c <= 122; c++) ALNUM.push(String.fromCharCode(c));
for (let c = 65; c <= 90; c++) ALNUM.push(String.fromCharCode(c));
for (let c = 48; c <= 57; c++) ALNUM.push(String.fromCharCode(c));
const AWKWARD = [" ", "&", "=", "+", "%", "/", "?", "#", "<", ">", '"', "'", "\u00e9", "\u65e5", "\u672c",
  "\n", ";", ":", ",", "~", "*", "\\", "-", "_", ".", "!", "@", "$", "(", ")", "[", "]",
  "{", "}", "|", "^", "`"];
const ASTRAL = "\u{1F600}";

function fnv1a32(text) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const caseSeed = (seed, operation, index) => fnv1a32(`${seed}:${operation}:${index}`);

class Rng {
  constructor(seed) { this.s = seed >>> 0; }
  u32() {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  chance(p) { return this.u32() / 4294967296 < p; }
  below(n) { return this.u32() % n; }
  big53() {
    const hi = this.u32() & 0x1fffff;
    const lo = this.u32();
    return hi * 4294967296 + lo;
  }
  rangeInt(lo, hi) {
    const span = hi - lo + 1;
    if (span <= 4294967296) return lo + this.below(span);
    return lo + (this.big53() % span);
  }
  pick(items) { return items[this.below(items.length)]; }
}

// ------------------------------------------------------------------ generator (mirrors rt_model.Generator)

class Generator {
  constructor(model, { requiredOnly = false } = {}) {
    this.shapes = model.shapes;
    this.operations = model.operations;
    this.requiredOnly = requiredOnly;
  }

  inputValue(operation, rng) {
    const op = this.operations[operation];
    if (!op.input) return {};
    return this.value(op.input.shape, rng, 0, FORCED_MEMBERS[operation] ?? []);
  }

  value(shapeName, rng, depth, forced = []) {
    if (depth > 40) throw new Error(`required members recurse without end at ${shapeName}`);
    const shape = this.shapes[shapeName];
    const t = shape.type;
    if (t === "structure") {
      const out = {};
      const required = new Set(shape.required ?? []);
      for (const [name, member] of Object.entries(shape.members)) {
        const must = required.has(name) || member.idempotencyToken || forced.includes(name);
        if (!must) {
          if (this.requiredOnly || depth >= MAX_DEPTH) continue;
          if (!rng.chance(P_OPTIONAL)) continue;
        }
        out[name] = this.value(member.shape, rng, depth + 1);
      }
      if (Object.keys(out).length === 0 && depth > 0) {
        // An empty nested structure is invisible on the EC2 query wire: add one member,
        // preferring a scalar once past MAX_DEPTH (same rule as rt_model.py).
        let names = Object.keys(shape.members);
        if (depth >= MAX_DEPTH) {
          const scalars = names.filter((n) => !["structure", "list"].includes(this.shapes[shape.members[n].shape].type));
          if (scalars.length) names = scalars;
        }
        const name = rng.pick(names);
        out[name] = this.value(shape.members[name].shape, rng, depth + 1);
      }
      return out;
    }
    if (t === "list") {
      const lo = Math.max(1, shape.min ?? 0);
      let hi = Math.min(3, shape.max ?? 3);
      if (hi < lo) hi = lo;
      const n = rng.rangeInt(lo, hi);
      const out = [];
      for (let i = 0; i < n; i++) out.push(this.value(shape.member.shape, rng, depth));
      return out;
    }
    if (t === "map") {
      const lo = Math.max(1, shape.min ?? 0);
      let hi = Math.min(3, shape.max ?? 3);
      if (hi < lo) hi = lo;
      const n = rng.rangeInt(lo, hi);
      const out = {};
      for (let i = 0; i < n; i++) {
        const key = this.value(shape.key.shape, rng, depth);
        out[key] = this.value(shape.value.shape, rng, depth);
      }
      return out;
    }
    if (t === "string") return this.string(shape, rng);
    if (t === "integer" || t === "long") {
      const [dlo, dhi] = t === "integer" ? INT_DEFAULT : LONG_DEFAULT;
      const lo = shape.min ?? dlo;
      const hi = shape.max ?? dhi;
      const mode = rng.below(4);
      if (mode === 0) return rng.pick([lo, hi, 0, 1, -1].filter((v) => lo <= v && v <= hi));
      if (mode === 1) {
        const slo = Math.max(lo, -100), shi = Math.min(hi, 100);
        if (slo <= shi) return rng.rangeInt(slo, shi);
      }
      return rng.rangeInt(lo, hi);
    }
    if (t === "double" || t === "float") {
      let [klo, khi] = DOUBLE_DEFAULT_K;
      if (shape.min !== undefined) klo = Math.ceil(shape.min * 1000 - 1e-9);
      if (shape.max !== undefined) khi = Math.floor(shape.max * 1000 + 1e-9);
      let k;
      if (rng.below(4) === 0) k = rng.pick([klo, khi, 0, 500].filter((v) => klo <= v && v <= khi));
      else k = rng.rangeInt(klo, khi);
      return k / 1000;
    }
    if (t === "boolean") return rng.chance(0.5);
    if (t === "timestamp") {
      let ms = rng.big53() % TIMESTAMP_SPAN_MS;
      if (rng.below(5) === 0) ms -= ms % 1000;
      return new Date(ms);
    }
    if (t === "blob") {
      const lo = Math.max(1, shape.min ?? 1);
      const hi = Math.max(lo, Math.min(16, shape.max ?? 16));
      const n = rng.rangeInt(lo, hi);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = rng.u32() & 0xff;
      return bytes;
    }
    throw new Error(`unsupported shape type ${t} (${shapeName})`);
  }

  string(shape, rng) {
    if (shape.enum) return rng.pick(shape.enum);
    const minLen = shape.min ?? 0;
    const maxLen = shape.max;
    if (minLen === 0 && rng.chance(0.03)) return "";
    const lo = Math.max(minLen, 1);
    let hi = maxLen === undefined ? lo + 15 : Math.min(maxLen, lo + 15);
    if (hi < lo) hi = lo;
    const length = rng.rangeInt(lo, hi);
    const awkward = maxLen === undefined ? [...AWKWARD, ASTRAL] : AWKWARD;
    const chars = [];
    for (let i = 0; i < length; i++) {
      if (rng.below(100) < 50) chars.push(rng.pick(ALNUM));
      else chars.push(rng.pick(awkward));
    }
    if (chars.every((c) => c === " " || c === "\n")) chars[chars.length - 1] = "x";
    return chars.join("");
  }
}

// ------------------------------------------------------------------ canonical form

function formatTimestamp(d) {
  return d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ, always 3 fractional digits
}

// Canonical JSON of a JS SDK value (input we built, or output the SDK parsed).
function canonical(shapes, shapeName, value) {
  const shape = shapes[shapeName];
  switch (shape.type) {
    case "structure": {
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || v === null) continue;
        if (!(k in shape.members)) throw new Error(`${shapeName} has no member ${k}`);
        out[k] = canonical(shapes, shape.members[k].shape, v);
      }
      return out;
    }
    case "list":
      return value.map((v) => canonical(shapes, shape.member.shape, v));
    case "map": {
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined && v !== null) out[k] = canonical(shapes, shape.value.shape, v);
      }
      return out;
    }
    case "timestamp":
      return value instanceof Date ? formatTimestamp(value) : value;
    case "blob":
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
      if (typeof value === "string") return Buffer.from(value, "utf8").toString("base64");
      return value;
    default:
      return value;
  }
}

// ------------------------------------------------------------------ comparison (mirrors rt_model.compare)

function short(v, limit = 400) {
  const text = JSON.stringify(v);
  if (text === undefined || text.length <= limit) return v;
  return text.slice(0, limit) + "...";
}

function kindOk(t, v) {
  switch (t) {
    case "structure": case "map": return v !== null && typeof v === "object" && !Array.isArray(v);
    case "list": return Array.isArray(v);
    case "integer": case "long": return typeof v === "number" && Number.isInteger(v);
    case "double": case "float": return typeof v === "number";
    case "boolean": return typeof v === "boolean";
    default: return typeof v === "string";
  }
}

function compare(shapes, shapeName, expected, actual, p, out) {
  const shape = shapes[shapeName];
  const t = shape.type;
  const absent = (v) => v === undefined || v === null;
  if (absent(expected) || absent(actual) || !kindOk(t, expected) || !kindOk(t, actual)) {
    if (absent(expected) && absent(actual)) return;
    if (typeof expected === typeof actual && JSON.stringify(expected) === JSON.stringify(actual)) return;
    out.push([p, short(expected ?? null), short(actual ?? null)]);
    return;
  }
  if (t === "structure") {
    const keys = [...Object.keys(expected), ...Object.keys(actual).filter((k) => !(k in expected))];
    for (const k of keys) {
      const sub = p ? `${p}.${k}` : k;
      if (!(k in shape.members)) {
        out.push([sub, short(expected[k] ?? null), short(actual[k] ?? null)]);
        continue;
      }
      compare(shapes, shape.members[k].shape, expected[k], actual[k], sub, out);
    }
    return;
  }
  if (t === "map") {
    const keys = [...Object.keys(expected), ...Object.keys(actual).filter((k) => !(k in expected))];
    for (const k of keys) compare(shapes, shape.value.shape, expected[k], actual[k], `${p}[${JSON.stringify(k)}]`, out);
    return;
  }
  if (t === "list") {
    if (expected.length !== actual.length) {
      out.push([p, short(expected), short(actual)]);
      return;
    }
    for (let i = 0; i < expected.length; i++) {
      compare(shapes, shape.member.shape, expected[i], actual[i], `${p}[${i}]`, out);
    }
    return;
  }
  if (t === "double" || t === "float") {
    if (expected === actual || Math.abs(expected - actual) <= 1e-6 * Math.max(Math.abs(expected), Math.abs(actual))) return;
    out.push([p, expected, actual]);
    return;
  }
  if (expected !== actual) {
    const quirk = typeof expected === "string" ? knownQuirk(expected, actual) : undefined;
    out.push(quirk ? [p, short(expected), short(actual), quirk] : [p, short(expected), short(actual)]);
  }
}

// Differences that come from the SDK's own XML reader (@aws-sdk/xml-builder), whatever the
// server does: failures carrying one get a "quirk" field so the caller can tell them apart.
function knownQuirk(expected, actual) {
  if (actual === "" && expected.trim() === "" && expected.includes("\n")) {
    return "the JS SDK reads text that is only whitespace and contains a newline as an empty string";
  }
  const viaCharCode = [...expected].map((c) => String.fromCharCode(c.codePointAt(0))).join("");
  if (viaCharCode !== expected && viaCharCode === actual) {
    return "the JS SDK decodes numeric character references above U+FFFF wrongly; write such characters as raw UTF-8";
  }
  return undefined;
}

// ------------------------------------------------------------------ SDK plumbing

function protocolFor(model, protocol) {
  const meta = model.metadata;
  if (protocol === meta.protocol && (meta.protocols ?? [meta.protocol]).length === 1) return undefined; // the client's own
  switch (protocol) {
    case "query": return AwsQueryProtocol;
    case "json": return meta.jsonVersion === "1.1" ? AwsJson1_1Protocol : AwsJson1_0Protocol;
    case "smithy-rpc-v2-cbor": return AwsSmithyRpcV2CborProtocol;
    default: throw new UsageError(`unsupported protocol ${protocol}`);
  }
}

async function makeClient(service, model, protocol) {
  const [pkg, clientName] = CLIENTS[service] ?? [];
  if (!pkg) throw new UsageError(`unknown service ${service}`);
  const mod = await import(pkg);
  const state = { request: undefined, respond: null };
  const requestHandler = {
    async handle(request) {
      const body = request.body === undefined ? new Uint8Array() : typeof request.body === "string"
        ? new Uint8Array(Buffer.from(request.body, "utf8")) : new Uint8Array(request.body);
      const headers = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
      const query = request.query && Object.keys(request.query).length
        ? "?" + new URLSearchParams(request.query).toString() : "";
      state.request = { body: Buffer.from(body).toString("base64"), headers, path: request.path + query };
      const r = state.respond();
      return { response: { statusCode: r.status, reason: "", headers: r.headers, body: new Uint8Array(Buffer.from(r.body, "base64")) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() { return {}; },
  };
  const config = {
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    requestHandler,
    maxAttempts: 1,
  };
  const forced = protocolFor(model, protocol);
  if (forced) config.protocol = forced;
  const client = new mod[clientName](config);
  // Request compression (CloudWatch PutMetricData) would gzip bodies above its threshold.
  return { client, state, mod };
}

function commandClass(mod, operation) {
  const cls = mod[`${operation}Command`];
  return typeof cls === "function" ? cls : null;
}

function minimalResponse(model, protocol, operation) {
  const meta = model.metadata;
  if (protocol === "query") {
    const out = model.operations[operation].output;
    const wrapper = out?.resultWrapper;
    const xml = `<${operation}Response xmlns="${meta.xmlNamespace}">${wrapper ? `<${wrapper}/>` : ""}<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${operation}Response>`;
    return { status: 200, headers: { "content-type": "text/xml" }, body: Buffer.from(xml).toString("base64") };
  }
  if (protocol === "json") {
    return { status: 200, headers: { "content-type": `application/x-amz-json-${meta.jsonVersion ?? "1.0"}` }, body: Buffer.from("{}").toString("base64") };
  }
  return { status: 200, headers: { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" }, body: Buffer.from([0xa0]).toString("base64") };
}

// ------------------------------------------------------------------ modes

class UsageError extends Error {}

function parseArgs(argv) {
  const args = { mode: argv[0], seed: 1, count: 2, model: undefined, service: undefined, protocol: undefined, operations: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--model") args.model = next();
    else if (a === "--service") args.service = next();
    else if (a === "--protocol") args.protocol = next();
    else if (a === "--seed") args.seed = Number(next());
    else if (a === "--count") args.count = Number(next());
    else if (a === "--operation") args.operations.push(next());
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (args.mode !== "requests" && args.mode !== "responses") throw new UsageError("mode must be 'requests' or 'responses'");
  if (!args.model || !args.service || !args.protocol) throw new UsageError("--model, --service and --protocol are required");
  return args;
}

async function runRequests(args, model) {
  const gen = new Generator(model);
  const { client, state, mod } = await makeClient(args.service, model, args.protocol);
  const operations = args.operations.length ? args.operations : Object.keys(model.operations);
  const lines = [];
  for (const op of operations) {
    const Cmd = commandClass(mod, op);
    if (!Cmd) {
      lines.push(JSON.stringify({ operation: op, skipped: `the JS SDK has no ${op}Command` }));
      continue;
    }
    const inShape = model.operations[op].input?.shape;
    for (let i = 0; i < args.count; i++) {
      const rng = new Rng(caseSeed(args.seed, op, i));
      const input = gen.inputValue(op, rng);
      const params = inShape ? canonical(model.shapes, inShape, input) : {};
      state.request = undefined;
      state.respond = () => minimalResponse(model, args.protocol, op);
      try {
        await client.send(new Cmd(input));
        if (state.request === undefined) throw new Error("no request reached the request handler");
      } catch (e) {
        lines.push(JSON.stringify({ operation: op, skipped: `the JS SDK failed to send case ${i}: ${e.name ?? "Error"}: ${e.message}`, params }));
        continue;
      }
      lines.push(JSON.stringify({ operation: op, params, ...state.request }));
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
}

async function runResponses(args, model) {
  const text = readFileSync(0, "utf8");
  const gen = new Generator(model, { requiredOnly: true });
  const { client, state, mod } = await makeClient(args.service, model, args.protocol);
  const report = { checked: 0, failed: 0, failures: [], skipped: [] };
  const perOp = new Map();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line);
    const op = entry.operation;
    const Cmd = commandClass(mod, op);
    if (!Cmd) {
      report.skipped.push({ operation: op, reason: `the JS SDK has no ${op}Command` });
      continue;
    }
    report.checked++;
    const diffs = [];
    const outShape = model.operations[op].output?.shape;
    const input = gen.inputValue(op, new Rng(caseSeed(0, op, 0)));
    state.respond = () => ({ status: entry.status ?? 200, headers: entry.headers ?? {}, body: entry.body });
    let output;
    let error;
    try {
      output = await client.send(new Cmd(input));
    } catch (e) {
      error = e;
    }
    if (entry.error) {
      if (!error) diffs.push(["$", "an error", "a successful response"]);
      else {
        const code = error.Code ?? error.name;
        if (code !== entry.error.code && error.name !== entry.error.type) diffs.push(["Error.Code", entry.error.code, `${error.Code} / ${error.name}`]);
        if (error.message !== entry.error.message) diffs.push(["Error.Message", entry.error.message, error.message]);
      }
    } else if (error) {
      diffs.push(["$", "a parsed response", `${error.name ?? "Error"}: ${error.message}`]);
    } else {
      delete output.$metadata;
      const actual = outShape ? canonical(model.shapes, outShape, output) : output;
      if (outShape) compare(model.shapes, outShape, entry.expected ?? {}, actual, "", diffs);
      else if (Object.keys(actual).length) diffs.push(["", {}, short(actual)]);
    }
    if (diffs.length) {
      report.failed++;
      const have = perOp.get(op) ?? 0;
      for (const [p, expected, actual, quirk] of diffs.slice(0, Math.max(0, FAILURES_PER_OPERATION - have))) {
        report.failures.push(quirk ? { operation: op, path: p, expected, actual, quirk } : { operation: op, path: p, expected, actual });
      }
      perOp.set(op, have + diffs.length);
    }
  }
  report.failure_counts = Object.fromEntries(perOp);
  process.stdout.write(JSON.stringify(report, null, 1) + "\n");
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  const model = JSON.parse(readFileSync(args.model, "utf8"));
  if (args.mode === "requests") await runRequests(args, model);
  else await runResponses(args, model);
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (e) => {
    process.stderr.write(e instanceof UsageError ? `${e.message}\n` : `internal error: ${e.stack ?? e}\n`);
    process.exitCode = 2;
  },
);
