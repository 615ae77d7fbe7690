#!/usr/bin/env python3
"""Random EC2 requests, serialized by botocore's real EC2 serializer.

usage: python3 botocore_requests.py --model spec/ec2/service-2.json --seed N [--count K]
       [--operation NAME ...] > requests.jsonl

For every operation of the model, K times, a random input value is generated
(see rt_model.Generator) and serialized with
botocore.serialize.create_serializer('ec2') and the OperationModel of botocore's
own copy of the EC2 model; the dict body is then encoded by botocore's HTTP
layer (AWSRequest.prepare -> urlencode), so the body is byte-for-byte what
botocore sends.  One JSON line per case:

  {"operation": "DescribeVpcs", "params": <canonical JSON of the input>,
   "body": "Action=DescribeVpcs&Version=2016-11-15&..."}

Exit status: 0 on success, 2 on usage or internal error.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rt_model  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    ap.add_argument('--model', required=True, help='path of spec/ec2/service-2.json')
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--count', type=int, default=2, help='cases per operation (default 2)')
    ap.add_argument('--operation', action='append', help='only this operation (repeatable)')
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.count < 1:
        print('--count must be >= 1', file=sys.stderr)
        return 2

    import botocore
    import botocore.session
    from botocore.awsrequest import create_request_object, prepare_request_dict
    from botocore.serialize import create_serializer

    model = rt_model.load_model(args.model)
    shapes = model['shapes']
    source = model['metadata'].get('stratusSource', '')
    if source and f'botocore {botocore.__version__} ' not in source + ' ':
        print(f'warning: the model was taken from {source!r}, botocore here is {botocore.__version__}',
              file=sys.stderr)
    service = botocore.session.get_session().get_service_model('ec2')
    serializer = create_serializer('ec2', include_validation=True)
    gen = rt_model.Generator(model)

    operations = args.operation or list(model['operations'])
    botocore_ops = set(service.operation_names)
    missing = [op for op in operations if op not in model['operations'] or op not in botocore_ops]
    if missing:
        print(f'operations unknown to the model or to botocore: {missing}', file=sys.stderr)
        return 2

    out = sys.stdout
    for op in operations:
        op_model = service.operation_model(op)
        in_shape = model['operations'][op].get('input', {}).get('shape')
        for i in range(args.count):
            rng = rt_model.Rng(rt_model.case_seed(args.seed, op, i))
            params = gen.input_value(op, rng)
            canon = rt_model.canonical(shapes, in_shape, params) if in_shape else {}
            request_dict = serializer.serialize_to_request(params, op_model)
            prepare_request_dict(request_dict, endpoint_url='https://ec2.us-east-1.amazonaws.com')
            prepared = create_request_object(request_dict).prepare()
            body = prepared.body
            if isinstance(body, bytes):
                body = body.decode('utf-8')
            out.write(json.dumps({'operation': op, 'params': canon, 'body': body},
                                 ensure_ascii=False))
            out.write('\n')
    return 0


if __name__ == '__main__':
    sys.stdout.reconfigure(encoding='utf-8', newline='\n')
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(2)
    except Exception as e:  # internal error
        import traceback
        traceback.print_exc()
        print(f'internal error: {e}', file=sys.stderr)
        sys.exit(2)
