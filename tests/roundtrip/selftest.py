#!/usr/bin/env python3
"""Self-test of the round-trip scripts (no C# involved).

usage: python3 tests/roundtrip/selftest.py [--seed N] [--count K] [--skip-js]

Checks, over every operation of spec/ec2/service-2.json:
 1. botocore_requests.py is deterministic for a seed;
 2. `sdk_roundtrip.mjs requests` generates the very same params for that seed;
 3. every body (botocore's and the JS SDK's) decodes, with the reference decoder
    rt_model.decode_ec2_query, back to exactly its params;
 4. feeding the params back into botocore's serializer gives the same body;
 5. make_responses.py documents pass both response checkers with zero failures,
    and with --corrupt every line is reported by both.
Prints 'N passed, N failed' and exits 1 if anything failed.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
MODEL = os.path.join(ROOT, 'spec', 'ec2', 'service-2.json')
JS_DIR = os.path.join(HERE, 'js')
sys.path.insert(0, HERE)

import rt_model  # noqa: E402


def run(cmd, stdin=None, cwd=None):
    t0 = time.time()
    p = subprocess.run(cmd, input=stdin, capture_output=True, cwd=cwd)
    if p.returncode != 0:
        raise RuntimeError(f'{cmd} exited {p.returncode}: {p.stderr.decode(errors="replace")[-2000:]}')
    return p.stdout, time.time() - t0


def lines(data):
    return [json.loads(x) for x in data.decode('utf-8').splitlines() if x.strip()]


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=12345)
    ap.add_argument('--count', type=int, default=2)
    ap.add_argument('--skip-js', action='store_true')
    args = ap.parse_args(argv)
    passed = failed = 0

    def check(name, ok, detail=''):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f'ok   {name}')
        else:
            failed += 1
            print(f'FAIL {name} {detail}')

    model = rt_model.load_model(MODEL)
    shapes = model['shapes']
    n_ops = len(model['operations'])
    py_cmd = [sys.executable, os.path.join(HERE, 'botocore_requests.py'), '--model', MODEL,
              '--seed', str(args.seed), '--count', str(args.count)]
    py1, t_py = run(py_cmd)
    py2, _ = run(py_cmd)
    print(f'botocore_requests.py: {t_py:.1f}s')
    check('botocore requests deterministic', py1 == py2)
    py = lines(py1)
    check('botocore requests cover every operation', len(py) == n_ops * args.count
          and len({x['operation'] for x in py}) == n_ops, f'{len(py)} lines')

    sources = [('botocore', py)]
    if not args.skip_js:
        js_raw, t_js = run(['node', 'sdk_roundtrip.mjs', 'requests', '--model', MODEL,
                            '--seed', str(args.seed), '--count', str(args.count)], cwd=JS_DIR)
        print(f'sdk_roundtrip.mjs requests: {t_js:.1f}s')
        js = lines(js_raw)
        sources.append(('js', js))
        same = [a['operation'] == b['operation'] and a['params'] == b['params'] for a, b in zip(py, js)]
        bad = [py[i]['operation'] for i, ok in enumerate(same) if not ok]
        check('JS params equal botocore params for the seed', len(js) == len(py) and not bad, bad[:5])

    for name, rows in sources:
        problems = []
        for row in rows:
            try:
                decoded = rt_model.decode_ec2_query(model, row['operation'], row['body'])
            except rt_model.DecodeError as e:
                problems.append((row['operation'], str(e)))
                continue
            in_shape = model['operations'][row['operation']].get('input', {}).get('shape')
            diffs = []
            if in_shape:
                rt_model.compare(shapes, in_shape, row['params'], decoded, '', diffs)
            if diffs:
                problems.append((row['operation'], diffs[:3]))
        check(f'{name} bodies decode to their params', not problems, problems[:5])

    import botocore.session
    from botocore.awsrequest import create_request_object, prepare_request_dict
    from botocore.serialize import create_serializer
    service = botocore.session.get_session().get_service_model('ec2')
    serializer = create_serializer('ec2')
    mismatch = []
    for row in py:
        op = row['operation']
        in_shape = model['operations'][op]['input']['shape']
        params = rt_model.from_canonical(shapes, in_shape, row['params'])
        req = serializer.serialize_to_request(params, service.operation_model(op))
        prepare_request_dict(req, endpoint_url='https://ec2.us-east-1.amazonaws.com')
        if create_request_object(req).prepare().body != row['body']:
            mismatch.append(op)
    check('params fed back into botocore give the same body', not mismatch, mismatch[:5])

    for corrupt in (False, True):
        cmd = [sys.executable, os.path.join(HERE, 'make_responses.py'), '--model', MODEL,
               '--seed', str(args.seed), '--count', str(args.count)] + (['--corrupt'] if corrupt else [])
        responses, _ = run(cmd)
        n = len(responses.splitlines())
        checkers = [('botocore', [sys.executable, os.path.join(HERE, 'botocore_responses.py')], None)]
        if not args.skip_js:
            checkers.append(('js', ['node', 'sdk_roundtrip.mjs', 'responses'], JS_DIR))
        for name, cmd, cwd in checkers:
            out, t = run(cmd, stdin=responses, cwd=cwd)
            report = json.loads(out)
            print(f'{name} responses: {t:.1f}s')
            if corrupt:
                check(f'{name} reports every corrupted response', report['checked'] == n
                      and report['failed'] == n, f"checked {report['checked']} failed {report['failed']}")
            else:
                check(f'{name} accepts every generated response', report['checked'] == n
                      and report['failed'] == 0 and not report.get('skipped'), report['failures'][:3])

    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
