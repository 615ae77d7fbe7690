#!/usr/bin/env python3
"""Produce Stratus's trimmed copies of AWS service models from botocore's published models.

Keeps metadata, operations (name, http, input, output, errors) and shapes; strips documentation
and examples. Applies spec/patches.json (JSON merge patches per service) afterwards. Also
extracts, from the stripped documentation, the filter names each Describe operation documents
(spec/<service>/filters.json) so resources can declare and check their filters against AWS's list.

Each service also has spec/<service>/readonly.json, a reviewed classification of its operations
into "readOnly" (change no state: served from a read snapshot) and "mutating"; the generator
compiles it into OperationInfo.IsReadOnly and this script checks it covers the model exactly.

Usage: python3 spec/trim_model.py            # rewrites spec/<service>/service-2.json
       python3 spec/trim_model.py --check    # exits 1 if the checked-in copies differ
"""
import argparse
import gzip
import json
import os
import re
import sys

import botocore

# spec directory (botocore's data directory name) -> API version
SERVICES = {
    "ec2": "2016-11-15",
    "sts": "2011-06-15",
    "service-quotas": "2019-06-24",
    "iam": "2010-05-08",
    "autoscaling": "2011-01-01",
    "elbv2": "2015-12-01",
    "cloudwatch": "2010-08-01",
    "logs": "2014-03-28",
}
# Services whose Describe operations document filter names (spec/<service>/filters.json).
FILTER_SERVICES = {"ec2"}
DROP_KEYS = {"documentation", "documentationUrl", "examples", "deprecatedMessage", "deprecatedSince"}
HERE = os.path.dirname(os.path.abspath(__file__))


def load_botocore(service, version):
    base = os.path.join(os.path.dirname(botocore.__file__), "data", service, version, "service-2.json")
    if os.path.exists(base):
        with open(base, encoding="utf-8") as f:
            return json.load(f)
    with gzip.open(base + ".gz", "rt", encoding="utf-8") as f:
        return json.load(f)


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target


# A filter is documented as "<code>name</code> - ..."; tag filters as "<code>tag</code>:&lt;key&gt; - ...".
FILTER_RE = re.compile(r"<code>([a-z0-9:.\-_*]+)</code>(?::&lt;key&gt;)?\s*(?:</p>)?\s*-")


LIST_RE = re.compile(r"<(/?)ul>")


def top_level_filters(doc):
    """Filter names of the documentation's outer list; lists nested in an item describe a filter's values."""
    found, depth, events = [], 0, []
    events += [(m.start(), "close" if m.group(1) else "open", None) for m in LIST_RE.finditer(doc)]
    events += [(m.start(), "name", m.group(1)) for m in FILTER_RE.finditer(doc)]
    for _, kind, name in sorted(events, key=lambda e: e[0]):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif depth <= 1:
            found.append(name)
    return found


def extract_filters(model):
    """Filter names documented on each operation's Filters member."""
    result = {}
    for name, op in sorted(model["operations"].items()):
        shape = model["shapes"].get(op.get("input", {}).get("shape", ""), {})
        for member_name, member in shape.get("members", {}).items():
            if member_name not in ("Filters", "Filter"):
                continue
            doc = member.get("documentation", "")
            names = sorted(set(top_level_filters(doc)))
            if names:
                result[name] = names
    return result


def build(service, version, patches):
    original = load_botocore(service, version)
    filters = extract_filters(original)
    model = strip({k: original[k] for k in ("version", "metadata", "operations", "shapes") if k in original})
    model = merge_patch(model, patches.get(service, {}))
    model["metadata"]["stratusSource"] = f"botocore {botocore.__version__} data/{service}/{version}/service-2.json"
    return model, filters


def check_read_only(service, model):
    """spec/<service>/readonly.json is a reviewed list (botocore has no such trait): every name
    must be an operation of the model, and every operation must be classified."""
    path = os.path.join(HERE, service, "readonly.json")
    if not os.path.exists(path):
        print(f"{path} is missing: list the operations that change no state", file=sys.stderr)
        return False
    with open(path, encoding="utf-8") as f:
        listed = json.load(f)
    ok = True
    read_only, mutating = set(listed.get("readOnly", [])), set(listed.get("mutating", []))
    for name in sorted((read_only | mutating) - set(model["operations"])):
        print(f"{path}: {name} is not an operation of {service}", file=sys.stderr)
        ok = False
    for name in sorted(set(model["operations"]) - read_only - mutating):
        print(f"{path}: {name} is neither readOnly nor mutating", file=sys.stderr)
        ok = False
    for name in sorted(read_only & mutating):
        print(f"{path}: {name} is listed as both readOnly and mutating", file=sys.stderr)
        ok = False
    return ok


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with open(os.path.join(HERE, "patches.json"), encoding="utf-8") as f:
        patches = json.load(f)
    patches.pop("//", None)
    stale = False
    for service, version in SERVICES.items():
        model, filters = build(service, version, patches)
        out_dir = os.path.join(HERE, service)
        os.makedirs(out_dir, exist_ok=True)
        outputs = [("service-2.json", dump(model))]
        if service in FILTER_SERVICES:
            outputs.append(("filters.json", dump(filters)))
        if not check_read_only(service, model):
            stale = True
        for file_name, content in outputs:
            path = os.path.join(out_dir, file_name)
            if args.check:
                with open(path, encoding="utf-8") as f:
                    current = f.read()
                recorded = json.loads(open(os.path.join(out_dir, "service-2.json"), encoding="utf-8").read())["metadata"].get("stratusSource", "")
                if not recorded.startswith(f"botocore {botocore.__version__} "):
                    print(f"{path}: made from {recorded!r}; this machine has botocore {botocore.__version__}, so it cannot be re-derived here (not checked)")
                    continue
                if current != content:
                        print(f"{path} is stale; run spec/trim_model.py", file=sys.stderr)
                        stale = True
            else:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(content)
                print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
