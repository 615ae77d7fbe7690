#!/usr/bin/env python3
"""Round trips of any service model in any of its protocols through botocore.

usage:
  python3 botocore_services.py requests --model spec/sts/service-2.json --protocol query --seed N [--count K]
      one JSON line per case: {"operation", "params", "body": <base64 of the bytes botocore sends>,
      "headers": {...}, "path": "/"}; params is the canonical JSON of the input (README.md).
  python3 botocore_services.py responses --model PATH --protocol P < responses.jsonl > report.json
      each input line {"operation", "status", "headers", "body": <base64>, and "expected"
      (canonical output) or "error": {"code", "type", "message"}}; botocore's parser for the
      protocol parses it as the operation's response; report as botocore_responses.py, plus
      error cases compared by code and message.

The protocol is forced by overriding metadata.protocol in a loaded copy of the model (as botocore
picks its serializer and parser from it), so CloudWatch can be driven in query, json and
smithy-rpc-v2-cbor. Exit 0 on success (also when the report lists failures), 2 on usage or
internal error.
"""

import argparse
import base64
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rt_model  # noqa: E402

FAILURES_PER_OPERATION = 5


def service_model(model, protocol):
    from botocore.model import ServiceModel
    raw = copy.deepcopy(model)
    raw['metadata']['protocol'] = protocol
    raw['metadata']['protocols'] = [protocol]
    return ServiceModel(raw, service_name=raw['metadata']['endpointPrefix'])


def whole_seconds(value):
    """botocore writes epoch-seconds timestamps (json, cbor) as whole seconds: send what it can."""
    import datetime
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0)
    if isinstance(value, dict):
        return {k: whole_seconds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_seconds(v) for v in value]
    return value


def run_requests(args, model):
    from botocore.awsrequest import create_request_object, prepare_request_dict
    from botocore.serialize import create_serializer
    service = service_model(model, args.protocol)
    serializer = create_serializer(args.protocol, include_validation=True)
    gen = rt_model.Generator(model)
    shapes = model['shapes']
    out = sys.stdout
    for op in args.operation or list(model['operations']):
        op_model = service.operation_model(op)
        in_shape = model['operations'][op].get('input', {}).get('shape')
        for i in range(args.count):
            rng = rt_model.Rng(rt_model.case_seed(args.seed, op, i))
            params = gen.input_value(op, rng)
            if args.protocol != 'query':
                params = whole_seconds(params)
            canon = rt_model.canonical(shapes, in_shape, params) if in_shape else {}
            request_dict = serializer.serialize_to_request(params, op_model)
            prepare_request_dict(request_dict, endpoint_url='https://example.us-east-1.amazonaws.com')
            prepared = create_request_object(request_dict).prepare()
            body = prepared.body or b''
            if isinstance(body, str):
                body = body.encode('utf-8')
            headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()}
            path = prepared.url.split('amazonaws.com', 1)[1] or '/'
            out.write(json.dumps({'operation': op, 'params': canon, 'body': base64.b64encode(body).decode('ascii'),
                                  'headers': headers, 'path': path}, ensure_ascii=False) + '\n')
    return 0


def run_responses(args, model):
    from botocore.parsers import create_parser
    service = service_model(model, args.protocol)
    parser = create_parser(args.protocol)
    shapes = model['shapes']
    report = {'checked': 0, 'failed': 0, 'failures': [], 'failure_counts': {}}
    counts = report['failure_counts']
    for raw in sys.stdin.buffer:
        line = raw.decode('utf-8').strip()
        if not line:
            continue
        entry = json.loads(line)
        op = entry['operation']
        report['checked'] += 1
        diffs = []
        op_model = service.operation_model(op)
        response = {'body': base64.b64decode(entry['body']), 'headers': entry.get('headers', {}),
                    'status_code': entry.get('status', 200)}
        try:
            parsed = parser.parse(response, op_model.output_shape)
        except Exception as e:  # parse failures are findings
            diffs.append(('$', 'a parsed response', f'{type(e).__name__}: {e}'))
        else:
            if 'error' in entry:
                err = parsed.get('Error', {})
                want = entry['error']
                if err.get('Code') != want['code']:
                    diffs.append(('Error.Code', want['code'], err.get('Code')))
                if err.get('Message') != want['message']:
                    diffs.append(('Error.Message', want['message'], err.get('Message')))
            else:
                parsed.pop('ResponseMetadata', None)
                out_shape = model['operations'][op].get('output', {}).get('shape')
                if out_shape:
                    actual = rt_model.canonical(shapes, out_shape, parsed)
                    rt_model.compare(shapes, out_shape, entry.get('expected', {}), actual, '', diffs)
                elif parsed:
                    diffs.append(('', {}, parsed))
        if diffs:
            report['failed'] += 1
            have = counts.get(op, 0)
            for path, exp, act in diffs[:max(0, FAILURES_PER_OPERATION - have)]:
                report['failures'].append({'operation': op, 'path': path, 'expected': exp, 'actual': act})
            counts[op] = have + len(diffs)
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1, default=str) + '\n')
    return 0


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=('requests', 'responses'))
    ap.add_argument('--model', required=True)
    ap.add_argument('--protocol', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=2)
    ap.add_argument('--operation', action='append')
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    model = rt_model.load_model(args.model)
    if args.protocol not in model['metadata'].get('protocols', [model['metadata']['protocol']]):
        print(f"{args.model} does not speak {args.protocol}", file=sys.stderr)
        return 2
    return run_requests(args, model) if args.mode == 'requests' else run_responses(args, model)


if __name__ == '__main__':
    sys.stdout.reconfigure(encoding='utf-8', newline='\n')
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as e:  # internal error
        import traceback
        traceback.print_exc()
        print(f'internal error: {e}', file=sys.stderr)
        sys.exit(2)
