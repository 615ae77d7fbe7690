#!/usr/bin/env python3
"""Check EC2 response documents with botocore's real EC2 response parser.

usage: python3 botocore_responses.py [--model spec/ec2/service-2.json] < responses.jsonl > report.json

Each input line: {"operation": "DescribeVpcs", "xml": "<DescribeVpcsResponse ...>...",
"expected": <canonical JSON of the output shape>}.  The XML is parsed by
botocore.parsers.create_parser('ec2') with the output shape of botocore's own
EC2 model, ResponseMetadata is dropped, the result is converted to canonical
JSON and compared with "expected" (doubles with relative tolerance 1e-6).

Report (stdout):
  {"checked": N, "failed": <lines with a difference>,
   "failures": [{"operation", "path", "expected", "actual"}, ...],   # at most 5 per operation
   "failure_counts": {"Operation": <differences>, ...}}
"actual"/"expected" null means the member is absent on that side.
Exit 0 even when there are failures; 2 on usage or internal error.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rt_model  # noqa: E402

FAILURES_PER_OPERATION = 5
DEFAULT_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                             'spec', 'ec2', 'service-2.json')


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default=DEFAULT_MODEL)
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0

    import botocore.session
    from botocore.parsers import create_parser

    model = rt_model.load_model(args.model)
    shapes = model['shapes']
    service = botocore.session.get_session().get_service_model('ec2')
    botocore_ops = set(service.operation_names)
    parser = create_parser('ec2')

    report = {'checked': 0, 'failed': 0, 'failures': [], 'failure_counts': {}}
    counts = report['failure_counts']
    stdin = sys.stdin.buffer
    for lineno, raw in enumerate(stdin, 1):
        line = raw.decode('utf-8').strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
            op = entry['operation']
            xml = entry['xml']
        except (ValueError, KeyError, TypeError) as e:
            print(f'line {lineno}: bad input line: {e}', file=sys.stderr)
            return 2
        expected = entry.get('expected', {})
        report['checked'] += 1
        diffs = []
        if op not in model['operations'] or op not in botocore_ops:
            diffs.append(('$', 'a known operation', op))
        else:
            out_shape_name = model['operations'][op].get('output', {}).get('shape')
            out_shape = service.operation_model(op).output_shape
            try:
                parsed = parser.parse({'body': xml.encode('utf-8'), 'headers': {}, 'status_code': 200},
                                      out_shape)
                parsed.pop('ResponseMetadata', None)
                actual = rt_model.canonical(shapes, out_shape_name, parsed) if out_shape_name else parsed
            except Exception as e:  # parse failures are findings, not internal errors
                diffs.append(('$', 'a parsed response', f'{type(e).__name__}: {e}'))
            else:
                if out_shape_name:
                    rt_model.compare(shapes, out_shape_name, expected, actual, '', diffs)
                elif expected != actual:
                    diffs.append(('', expected, actual))
        if diffs:
            report['failed'] += 1
            have = counts.get(op, 0)
            for path, exp, act in diffs[:max(0, FAILURES_PER_OPERATION - have)]:
                report['failures'].append({'operation': op, 'path': path, 'expected': exp, 'actual': act})
            counts[op] = have + len(diffs)
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    sys.stdout.reconfigure(encoding='utf-8', newline='\n')
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as e:
        import traceback
        traceback.print_exc()
        print(f'internal error: {e}', file=sys.stderr)
        sys.exit(2)
