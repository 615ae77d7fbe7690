#!/usr/bin/env node
// EC2 wire-format round trips through the AWS SDK for JavaScript v3, with no network.
//
//   node sdk_roundtrip.mjs requests --model ../../../spec/ec2/service-2.json --seed N [--count K] [--operation NAME]...
//       one JSON line per case: {"operation","params","body"}; params is the canonical JSON
//       of the input handed to the SDK, body the form body the SDK sent.
//   node sdk_roundtrip.mjs responses [--model PATH] < responses.jsonl > report.json
//       each input line {"operation","xml","expected"}; the SDK parses xml as the response
//       of the operation; report {"checked","failed","failures":[...],"skipped":[...]}.
//
// The random generator mirrors ../rt_model.py draw for draw (same PRNG, same order), so
// for the same --seed both clients get the same params. Exit 0 on success (also when the
// report lists failures), 2 on usage or internal error.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as EC2 from "@aws-sdk/client-ec2";

// node 20 is supported by this SDK version; silence its advance notice about node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_MODEL = path.resolve(HERE, "../../../spec/ec2/service-2.json");
const XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const FAILURES_PER_OPERATION = 5;

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
// CopySnapshot: the SDK's presign middleware rewrites the input when PresignedUrl is absent.
const FORCED_MEMBERS = { CopySnapshot: ["PresignedUrl"] };

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
    case "structure": return v !== null && typeof v === "object" && !Array.isArray(v);
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

function makeClient() {
  const state = { body: undefined, respond: null };
  const requestHandler = {
    async handle(request) {
      state.body = typeof request.body === "string" ? request.body
        : request.body === undefined ? "" : Buffer.from(request.body).toString("utf8");
      const xml = state.respond();
      return {
        response: {
          statusCode: 200,
          reason: "OK",
          headers: { "content-type": "text/xml;charset=UTF-8" },
          body: new Uint8Array(Buffer.from(xml, "utf8")),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() { return {}; },
  };
  const client = new EC2.EC2Client({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    requestHandler,
    maxAttempts: 1,
  });
  return { client, state };
}

function commandClass(operation) {
  const cls = EC2[`${operation}Command`];
  return typeof cls === "function" ? cls : null;
}

const minimalXml = (operation) =>
  `<${operation}Response xmlns="${XMLNS}"><requestId>r</requestId></${operation}Response>`;

// ------------------------------------------------------------------ modes

function parseArgs(argv) {
  const args = { mode: argv[0], seed: undefined, count: 2, model: DEFAULT_MODEL, operations: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--model") args.model = next();
    else if (a === "--seed") args.seed = Number(next());
    else if (a === "--count") args.count = Number(next());
    else if (a === "--operation") args.operations.push(next());
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (args.mode !== "requests" && args.mode !== "responses") throw new UsageError("mode must be 'requests' or 'responses'");
  if (args.mode === "requests") {
    if (!Number.isInteger(args.seed)) throw new UsageError("--seed N (an integer) is required");
    if (!Number.isInteger(args.count) || args.count < 1) throw new UsageError("--count must be an integer >= 1");
  }
  return args;
}

class UsageError extends Error {}

function write(stream, text) {
  return new Promise((resolve, reject) => {
    const onError = (e) => reject(e);
    stream.once("error", onError);
    const done = () => { stream.off("error", onError); resolve(); };
    if (stream.write(text)) done();
    else stream.once("drain", done);
  });
}

// A line {"operation", "skipped": reason} stands for an operation the JS SDK itself cannot
// send (none today); it is listed, never dropped silently.
async function runRequests(args, model) {
  const gen = new Generator(model);
  const { client, state } = makeClient();
  const operations = args.operations.length ? args.operations : Object.keys(model.operations);
  for (const op of operations) {
    if (!model.operations[op]) throw new UsageError(`unknown operation ${op}`);
  }
  let buffer = "";
  for (const op of operations) {
    const Cmd = commandClass(op);
    if (!Cmd) {
      buffer += JSON.stringify({ operation: op, skipped: `the JS SDK has no ${op}Command` }) + "\n";
      continue;
    }
    const inShape = model.operations[op].input?.shape;
    for (let i = 0; i < args.count; i++) {
      const rng = new Rng(caseSeed(args.seed, op, i));
      const input = gen.inputValue(op, rng);
      const params = inShape ? canonical(model.shapes, inShape, input) : {};
      state.body = undefined;
      state.respond = () => minimalXml(op);
      try {
        await client.send(new Cmd(input));
        if (state.body === undefined) throw new Error("no request reached the request handler");
      } catch (e) {
        buffer += JSON.stringify({ operation: op, skipped: `the JS SDK failed to send case ${i}: ${e.name ?? "Error"}: ${e.message}`, params }) + "\n";
        continue;
      }
      buffer += JSON.stringify({ operation: op, params, body: state.body }) + "\n";
      if (buffer.length > 1 << 20) {
        await write(process.stdout, buffer);
        buffer = "";
      }
    }
  }
  await write(process.stdout, buffer);
}

async function runResponses(args, model) {
  const text = readFileSync(0, "utf8");
  const gen = new Generator(model, { requiredOnly: true });
  const { client, state } = makeClient();
  const report = { checked: 0, failed: 0, failures: [], skipped: [] };
  const perOp = new Map();
  const skippedOps = new Set();
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (!line) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch (e) {
      throw new UsageError(`line ${n + 1}: not JSON: ${e.message}`);
    }
    const op = entry.operation;
    report.checked++;
    const diffs = [];
    const Cmd = commandClass(op);
    if (!model.operations[op] || !Cmd) {
      if (!model.operations[op]) diffs.push(["$", "a known operation", op]);
      else {
        if (!skippedOps.has(op)) report.skipped.push({ operation: op, reason: `the JS SDK has no ${op}Command` });
        skippedOps.add(op);
        report.checked--;
        continue;
      }
    } else {
      const outShape = model.operations[op].output?.shape;
      const input = gen.inputValue(op, new Rng(caseSeed(0, op, 0)));
      state.respond = () => entry.xml;
      let actual;
      try {
        const output = await client.send(new Cmd(input));
        delete output.$metadata;
        actual = outShape ? canonical(model.shapes, outShape, output) : output;
      } catch (e) {
        diffs.push(["$", "a parsed response", `${e.name ?? "Error"}: ${e.message}`]);
      }
      if (actual !== undefined) {
        if (outShape) compare(model.shapes, outShape, entry.expected ?? {}, actual, "", diffs);
        else if (JSON.stringify(entry.expected ?? {}) !== JSON.stringify(actual)) diffs.push(["", short(entry.expected ?? {}), short(actual)]);
      }
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
  await write(process.stdout, JSON.stringify(report, null, 1) + "\n");
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\nusage: node sdk_roundtrip.mjs requests --model PATH --seed N [--count K]\n` +
      `       node sdk_roundtrip.mjs responses [--model PATH] < responses.jsonl > report.json\n`);
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
