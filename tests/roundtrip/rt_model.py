"""Shared helpers for the EC2 wire-format round-trip scripts (python side).

- A tiny deterministic PRNG (mulberry32) and per-case seeding (FNV-1a), mirrored
  bit-for-bit by js/sdk_roundtrip.mjs, so the botocore and JS generators produce
  the same ``params`` for the same ``--seed``.
- A random value generator that walks a shape of the EC2 service model.
- Conversion of python values (as botocore takes / returns them) to the
  canonical JSON form, and a shape-aware comparison of canonical values.

Keep the generator in lock-step with js/sdk_roundtrip.mjs: every random draw
must happen in the same order in both.
"""

import base64
import datetime
import json
import math
import re

MASK32 = 0xFFFFFFFF
MAX_DEPTH = 6          # structures nested deeper than this get required members only
P_OPTIONAL = 0.6       # probability of including an optional member
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
TIMESTAMP_SPAN_MS = 4102444800000  # 1970-01-01 .. 2100-01-01
INT_DEFAULT = (-2147483648, 2147483647)
LONG_DEFAULT = (-(2 ** 52 - 1), 2 ** 52 - 1)   # keeps every long exact in JS numbers
DOUBLE_DEFAULT_K = (-1000000000, 1000000000)    # doubles are k/1000
ALNUM = [chr(c) for c in range(ord('a'), ord('z') + 1)] + \
        [chr(c) for c in range(ord('A'), ord('Z') + 1)] + \
        [chr(c) for c in range(ord('0'), ord('9') + 1)]
AWKWARD = [' ', '&', '=', '+', '%', '/', '?', '#', '<', '>', '"', "'", '\u00e9', '\u65e5', '\u672c',
           '\n', ';', ':', ',', '~', '*', '\\', '-', '_', '.', '!', '@', '$', '(', ')', '[', ']',
           '{', '}', '|', '^', '`']
ASTRAL = '\U0001F600'  # only used where the string shape has no max length

# Client-level customisations that would otherwise rewrite the input:
# the JS SDK (and botocore's client, via a before-call handler) presign a
# CopySnapshot request whenever PresignedUrl is absent, so we always supply it.
FORCED_MEMBERS = {'CopySnapshot': ('PresignedUrl',)}


def fnv1a32(text):
    h = 0x811C9DC5
    for b in text.encode('utf-8'):
        h ^= b
        h = (h * 0x01000193) & MASK32
    return h


def case_seed(seed, operation, index):
    return fnv1a32(f'{seed}:{operation}:{index}')


class Rng:
    """mulberry32, identical to the JS implementation."""

    def __init__(self, seed):
        self.s = seed & MASK32

    def u32(self):
        self.s = (self.s + 0x6D2B79F5) & MASK32
        t = self.s
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK32
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK32)) & MASK32
        return (t ^ (t >> 14)) & MASK32

    def chance(self, p):
        return self.u32() / 4294967296.0 < p

    def below(self, n):
        return self.u32() % n

    def big53(self):
        hi = self.u32() & 0x1FFFFF
        lo = self.u32()
        return hi * 4294967296 + lo

    def range_int(self, lo, hi):
        span = hi - lo + 1
        if span <= 4294967296:
            return lo + self.below(span)
        return lo + self.big53() % span

    def pick(self, items):
        return items[self.below(len(items))]


def load_model(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


class Generator:
    """Random values for shapes of a (raw JSON) service model.

    Values are python values of the kind botocore's serializer takes:
    dict / list / str / int / float / bool / datetime / bytes.
    """

    def __init__(self, model, required_only=False, output_mode=False):
        # output_mode (used by make_responses.py only): allow empty lists and
        # empty structures, which an XML response can carry unambiguously.
        self.shapes = model['shapes']
        self.operations = model['operations']
        self.required_only = required_only
        self.output_mode = output_mode

    def output_value(self, operation, rng):
        op = self.operations[operation]
        if 'output' not in op:
            return {}
        return self.value(op['output']['shape'], rng, 0)

    def input_value(self, operation, rng):
        op = self.operations[operation]
        if 'input' not in op:
            return {}
        forced = FORCED_MEMBERS.get(operation, ())
        return self.value(op['input']['shape'], rng, 0, forced)

    def value(self, shape_name, rng, depth, forced=()):
        if depth > 40:
            raise RuntimeError(f'required members recurse without end at {shape_name}')
        shape = self.shapes[shape_name]
        t = shape['type']
        if t == 'structure':
            out = {}
            required = set(shape.get('required', ()))
            for name, member in shape['members'].items():
                must = name in required or member.get('idempotencyToken') or name in forced
                if not must:
                    if self.required_only or depth >= MAX_DEPTH:
                        continue
                    if not rng.chance(P_OPTIONAL):
                        continue
                out[name] = self.value(member['shape'], rng, depth + 1)
            if not out and depth > 0 and not self.output_mode:
                # On the EC2 query wire an empty nested structure cannot be told from
                # an absent one, so requests never contain one: add one member,
                # preferring a scalar once past MAX_DEPTH.
                names = list(shape['members'])
                if depth >= MAX_DEPTH:
                    scalars = [n for n in names
                               if self.shapes[shape['members'][n]['shape']]['type']
                               not in ('structure', 'list')]
                    if scalars:
                        names = scalars
                name = rng.pick(names)
                out[name] = self.value(shape['members'][name]['shape'], rng, depth + 1)
            return out
        if t == 'list':
            lo = max(1, shape.get('min', 0))
            hi = min(3, shape.get('max', 3))
            if hi < lo:
                hi = lo
            n = rng.range_int(lo, hi)
            if self.output_mode and shape.get('min', 0) == 0 and rng.chance(0.1):
                n = 0
            return [self.value(shape['member']['shape'], rng, depth) for _ in range(n)]
        if t == 'map':
            lo = max(1, shape.get('min', 0))
            hi = min(3, shape.get('max', 3))
            if hi < lo:
                hi = lo
            n = rng.range_int(lo, hi)
            out = {}
            for _ in range(n):
                key = self.value(shape['key']['shape'], rng, depth)
                out[key] = self.value(shape['value']['shape'], rng, depth)
            return out
        if t == 'string':
            return self.string(shape, rng)
        if t in ('integer', 'long'):
            dlo, dhi = INT_DEFAULT if t == 'integer' else LONG_DEFAULT
            lo = shape.get('min', dlo)
            hi = shape.get('max', dhi)
            mode = rng.below(4)
            if mode == 0:
                specials = [v for v in (lo, hi, 0, 1, -1) if lo <= v <= hi]
                return rng.pick(specials)
            if mode == 1:
                slo, shi = max(lo, -100), min(hi, 100)
                if slo <= shi:
                    return rng.range_int(slo, shi)
            return rng.range_int(lo, hi)
        if t in ('double', 'float'):
            klo, khi = DOUBLE_DEFAULT_K
            if 'min' in shape:
                klo = math.ceil(shape['min'] * 1000 - 1e-9)
            if 'max' in shape:
                khi = math.floor(shape['max'] * 1000 + 1e-9)
            if rng.below(4) == 0:
                k = rng.pick([v for v in (klo, khi, 0, 500) if klo <= v <= khi])
            else:
                k = rng.range_int(klo, khi)
            return k / 1000
        if t == 'boolean':
            return rng.chance(0.5)
        if t == 'timestamp':
            ms = rng.big53() % TIMESTAMP_SPAN_MS
            if rng.below(5) == 0:
                ms -= ms % 1000
            return EPOCH + datetime.timedelta(milliseconds=ms)
        if t == 'blob':
            lo = max(1, shape.get('min', 1))
            hi = max(lo, min(16, shape.get('max', 16)))
            n = rng.range_int(lo, hi)
            return bytes(rng.u32() & 0xFF for _ in range(n))
        raise RuntimeError(f'unsupported shape type {t} ({shape_name})')

    def string(self, shape, rng):
        if 'enum' in shape:
            return rng.pick(shape['enum'])
        min_len = shape.get('min', 0)
        max_len = shape.get('max')
        if min_len == 0 and rng.chance(0.03):
            return ''
        lo = max(min_len, 1)
        hi = lo + 15 if max_len is None else min(max_len, lo + 15)
        if hi < lo:
            hi = lo
        length = rng.range_int(lo, hi)
        awkward = AWKWARD + [ASTRAL] if max_len is None else AWKWARD
        chars = []
        for _ in range(length):
            if rng.below(100) < 50:
                chars.append(rng.pick(ALNUM))
            else:
                chars.append(rng.pick(awkward))
        if all(c in (' ', '\n') for c in chars):
            chars[-1] = 'x'
        return ''.join(chars)


# ---------------------------------------------------------------- canonical form

def format_timestamp(value):
    if isinstance(value, (int, float)):
        value = EPOCH + datetime.timedelta(seconds=value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    value = value.astimezone(datetime.timezone.utc)
    return (f'{value.year:04d}-{value.month:02d}-{value.day:02d}T'
            f'{value.hour:02d}:{value.minute:02d}:{value.second:02d}.'
            f'{value.microsecond // 1000:03d}Z')


def canonical(shapes, shape_name, value):
    """Canonical JSON value of a python value of the given shape."""
    shape = shapes[shape_name]
    t = shape['type']
    if t == 'structure':
        members = shape['members']
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            if k not in members:
                raise KeyError(f'{shape_name} has no member {k}')
            out[k] = canonical(shapes, members[k]['shape'], v)
        return out
    if t == 'list':
        return [canonical(shapes, shape['member']['shape'], v) for v in value]
    if t == 'map':
        return {k: canonical(shapes, shape['value']['shape'], v) for k, v in value.items() if v is not None}
    if t == 'timestamp':
        return format_timestamp(value)
    if t == 'blob':
        if isinstance(value, str):
            value = value.encode('utf-8')
        return base64.b64encode(bytes(value)).decode('ascii')
    if t in ('integer', 'long'):
        return int(value)
    if t in ('double', 'float'):
        return float(value)
    if t == 'boolean':
        return bool(value)
    return value


# ---------------------------------------------------------------- comparison

ABSENT = None  # canonical values never contain null, so null marks "absent"


def _short(v, limit=400):
    text = json.dumps(v, ensure_ascii=False)
    if len(text) <= limit:
        return v
    return text[:limit] + '...'


def _kind_ok(t, v):
    if t in ('structure', 'map'):
        return isinstance(v, dict)
    if t == 'list':
        return isinstance(v, list)
    if t in ('integer', 'long'):
        return isinstance(v, int) and not isinstance(v, bool)
    if t in ('double', 'float'):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == 'boolean':
        return isinstance(v, bool)
    return isinstance(v, str)


def compare(shapes, shape_name, expected, actual, path, out):
    """Append (path, expected, actual) for every difference to out."""
    shape = shapes[shape_name]
    t = shape['type']
    if expected is ABSENT or actual is ABSENT or not _kind_ok(t, expected) or not _kind_ok(t, actual):
        if expected != actual or type(expected) is not type(actual):
            out.append((path, _short(expected), _short(actual)))
        return
    if t == 'structure':
        members = shape['members']
        for k in list(expected.keys()) + [k for k in actual.keys() if k not in expected]:
            sub = f'{path}.{k}' if path else k
            if k not in members:
                out.append((sub, _short(expected.get(k)), _short(actual.get(k))))
                continue
            compare(shapes, members[k]['shape'], expected.get(k), actual.get(k), sub, out)
        return
    if t == 'map':
        for k in list(expected.keys()) + [k for k in actual.keys() if k not in expected]:
            compare(shapes, shape['value']['shape'], expected.get(k), actual.get(k), f'{path}[{k!r}]', out)
        return
    if t == 'list':
        if len(expected) != len(actual):
            out.append((path, _short(expected), _short(actual)))
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(shapes, shape['member']['shape'], e, a, f'{path}[{i}]', out)
        return
    if t in ('double', 'float'):
        e, a = float(expected), float(actual)
        if e == a or abs(e - a) <= 1e-6 * max(abs(e), abs(a)):
            return
        out.append((path, expected, actual))
        return
    if expected != actual:
        out.append((path, _short(expected), _short(actual)))


# ---------------------------------------------------------------- reference EC2 query decoder

class DecodeError(Exception):
    pass


def serialized_name(member_name, member):
    """Name of a structure member in an EC2 query request (botocore EC2Serializer rules)."""
    if 'queryName' in member:
        return member['queryName']
    if 'locationName' in member:
        name = member['locationName']
        return name[0].upper() + name[1:]
    return member_name


def _canonical_wire_timestamp(text):
    m = re.fullmatch(r'(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z', text)
    if not m:
        raise DecodeError(f'bad timestamp {text!r}')
    frac = (m.group(7) or '').ljust(3, '0')
    if frac[3:].strip('0'):
        raise DecodeError(f'timestamp finer than milliseconds {text!r}')
    return f'{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}:{m.group(6)}.{frac[:3]}Z'


def decode_ec2_query(model, operation, body):
    """Decode an EC2 query form body into the canonical JSON of the operation's input.

    A test-only reference for what the server's parser must do; raises DecodeError
    on anything unexpected (unknown or left-over keys, bad scalars)."""
    from urllib.parse import unquote_plus
    shapes = model['shapes']
    pairs = {}
    for part in body.split('&') if body else []:
        key, sep, value = part.partition('=')
        if not sep:
            raise DecodeError(f'no "=" in {part!r}')
        key, value = unquote_plus(key), unquote_plus(value)
        if key in pairs:
            raise DecodeError(f'duplicate key {key}')
        pairs[key] = value
    if pairs.pop('Action', None) != operation:
        raise DecodeError('Action missing or wrong')
    if pairs.pop('Version', None) != model['metadata']['apiVersion']:
        raise DecodeError('Version missing or wrong')
    prefixes = set()
    for key in pairs:
        parts = key.split('.')
        for i in range(1, len(parts) + 1):
            prefixes.add('.'.join(parts[:i]))
    used = set()

    def scalar(t, key):
        text = pairs[key]
        used.add(key)
        if t == 'string':
            return text
        if t in ('integer', 'long'):
            if not re.fullmatch(r'-?\d+', text):
                raise DecodeError(f'{key}: bad integer {text!r}')
            return int(text)
        if t in ('double', 'float'):
            return float(text)
        if t == 'boolean':
            if text not in ('true', 'false'):
                raise DecodeError(f'{key}: bad boolean {text!r}')
            return text == 'true'
        if t == 'timestamp':
            return _canonical_wire_timestamp(text)
        if t == 'blob':
            return base64.b64encode(base64.b64decode(text, validate=True)).decode('ascii')
        raise DecodeError(f'{key}: unsupported type {t}')

    def decode(shape_name, prefix):
        shape = shapes[shape_name]
        t = shape['type']
        if t == 'structure':
            out = {}
            for name, member in shape['members'].items():
                key = serialized_name(name, member)
                sub = f'{prefix}.{key}' if prefix else key
                if sub in prefixes:
                    out[name] = decode(member['shape'], sub)
            return out
        if t == 'list':
            out = []
            i = 1
            while f'{prefix}.{i}' in prefixes:
                out.append(decode(shape['member']['shape'], f'{prefix}.{i}'))
                i += 1
            return out
        if prefix not in pairs:
            raise DecodeError(f'{prefix}: scalar expected, found only nested keys')
        return scalar(t, prefix)

    op = model['operations'][operation]
    result = decode(op['input']['shape'], '') if 'input' in op else {}
    left = set(pairs) - used
    if left:
        raise DecodeError(f'keys not in the input shape: {sorted(left)[:5]}')
    return result


def from_canonical(shapes, shape_name, value):
    """Python value (as botocore's serializer takes it) of a canonical JSON value."""
    shape = shapes[shape_name]
    t = shape['type']
    if t == 'structure':
        return {k: from_canonical(shapes, shape['members'][k]['shape'], v) for k, v in value.items()}
    if t == 'list':
        return [from_canonical(shapes, shape['member']['shape'], v) for v in value]
    if t == 'map':
        return {k: from_canonical(shapes, shape['value']['shape'], v) for k, v in value.items()}
    if t == 'timestamp':
        return datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
    if t == 'blob':
        return base64.b64decode(value, validate=True)
    if t in ('double', 'float'):
        return float(value)
    return value
