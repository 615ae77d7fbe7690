#!/usr/bin/env python3
"""Test-only generator of EC2 response documents, for checking the response checkers.

usage: python3 make_responses.py --model spec/ec2/service-2.json --seed N [--count K]
       [--operation NAME ...] [--corrupt] > responses.jsonl

For every operation (K times) a random value of the output shape is generated
(rt_model.Generator in output mode: empty lists and empty structures allowed)
and written as an EC2 response document by walking the shape the way EC2 does:
root <OperationNameResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
with a <requestId>, each member as an element named by its locationName (or
the member name), each list as a wrapper element holding one element per item,
named by the list member's locationName (default "member").  Output lines have
the input format of botocore_responses.py and `sdk_roundtrip.mjs responses`:

  {"operation": "...", "xml": "<?xml ...?><XResponse ...>...</XResponse>", "expected": {...}}

--corrupt changes one value of each "expected" (or adds an unknown member when
there is none), so every line must then be reported as a failure.
Also handy for eyeballing what the C# serializer should produce.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rt_model  # noqa: E402

XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/'


def escape(text):
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('\r', '&#13;'))


def scalar_text(t, value):
    if t == 'boolean':
        return 'true' if value else 'false'
    if t in ('integer', 'long'):
        return str(int(value))
    if t in ('double', 'float'):
        return repr(float(value))
    return escape(value)  # string, timestamp and blob are already wire text in canonical form


def write_xml(shapes, shape_name, value, name, out):
    shape = shapes[shape_name]
    t = shape['type']
    out.append(f'<{name}>')
    if t == 'structure':
        for member_name, member in shape['members'].items():
            if member_name in value:
                write_xml(shapes, member['shape'], value[member_name],
                          member.get('locationName', member_name), out)
    elif t == 'list':
        item = shape['member'].get('locationName', 'member')
        for v in value:
            write_xml(shapes, shape['member']['shape'], v, item, out)
    else:
        out.append(scalar_text(t, value))
    out.append(f'</{name}>')


def response_xml(model, operation, expected, request_id):
    shapes = model['shapes']
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<{operation}Response xmlns="{XMLNS}">', f'<requestId>{request_id}</requestId>']
    op = model['operations'][operation]
    if 'output' in op:
        shape = shapes[op['output']['shape']]
        for member_name, member in shape['members'].items():
            if member_name in expected:
                write_xml(shapes, member['shape'], expected[member_name],
                          member.get('locationName', member_name), out)
    out.append(f'</{operation}Response>')
    return ''.join(out)


def corrupt(shapes, shape_name, value, rng):
    """Change one leaf of a canonical value in place; False when it has no leaf."""
    leaves = []

    def walk(sname, v, parent, key):
        t = shapes[sname]['type']
        if t == 'structure':
            for k, mv in v.items():
                walk(shapes[sname]['members'][k]['shape'], mv, v, k)
        elif t == 'list':
            for i, mv in enumerate(v):
                walk(shapes[sname]['member']['shape'], mv, v, i)
        else:
            leaves.append((t, parent, key))

    walk(shape_name, value, None, None)
    if not leaves:
        return False
    t, parent, key = leaves[rng.below(len(leaves))]
    v = parent[key]
    if t == 'boolean':
        parent[key] = not v
    elif t in ('integer', 'long'):
        parent[key] = v + 1
    elif t in ('double', 'float'):
        parent[key] = v * 2 + 1
    elif t == 'timestamp':
        parent[key] = ('2' if v[0] != '2' else '1') + v[1:]
    elif t == 'blob':
        parent[key] = 'AAAA' if v != 'AAAA' else 'AQID'
    else:
        parent[key] = v + 'x'
    return True


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--count', type=int, default=2)
    ap.add_argument('--operation', action='append')
    ap.add_argument('--corrupt', action='store_true')
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    model = rt_model.load_model(args.model)
    shapes = model['shapes']
    gen = rt_model.Generator(model, output_mode=True)
    operations = args.operation or list(model['operations'])
    for op in operations:
        if op not in model['operations']:
            print(f'unknown operation {op}', file=sys.stderr)
            return 2
    for op in operations:
        out_shape = model['operations'][op].get('output', {}).get('shape')
        for i in range(args.count):
            rng = rt_model.Rng(rt_model.case_seed(args.seed, 'response:' + op, i))
            value = gen.output_value(op, rng)
            expected = rt_model.canonical(shapes, out_shape, value) if out_shape else {}
            xml = response_xml(model, op, expected, f'req-{args.seed}-{i}')
            if args.corrupt:
                if not (out_shape and corrupt(shapes, out_shape, expected, rng)):
                    expected['NoSuchMember'] = 'corrupt'
            sys.stdout.write(json.dumps({'operation': op, 'xml': xml, 'expected': expected},
                                        ensure_ascii=False) + '\n')
    return 0


if __name__ == '__main__':
    sys.stdout.reconfigure(encoding='utf-8', newline='\n')
    sys.exit(main(sys.argv[1:]))
