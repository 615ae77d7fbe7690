#!/usr/bin/env python3
"""Run pytest with the python that has boto3 and the aws CLI.

pytest may come from Debian's python3-pytest (PyPI is not always reachable); its directory is
appended to sys.path, after the interpreter's own site-packages, so boto3/botocore/urllib3 are
always the interpreter's.
"""
import importlib.util
import sys

DEBIAN = "/usr/lib/python3/dist-packages"

try:
    import pytest
except ImportError:
    sys.path.append(DEBIAN)
    import pytest

# pytest-xdist (`-n`) may come from Debian's python3-pytest-xdist even when pytest does not; its
# local workers inherit this sys.path.
# (found, not imported: pytest imports its plugins itself so it can rewrite their asserts)
if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in sys.argv[1:]):
    if importlib.util.find_spec("xdist") is None and DEBIAN not in sys.path:
        sys.path.append(DEBIAN)
    if importlib.util.find_spec("xdist") is None or importlib.util.find_spec("execnet") is None:
        sys.exit("error: parallel workers (-n) need pytest-xdist: apt-get install python3-pytest-xdist python3-execnet")

sys.exit(pytest.main(sys.argv[1:]))
