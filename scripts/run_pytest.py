#!/usr/bin/env python3
"""Run pytest with the python that has boto3 and the aws CLI.

pytest may come from Debian's python3-pytest (PyPI is not always reachable); its directory is
appended to sys.path, after the interpreter's own site-packages, so boto3/botocore/urllib3 are
always the interpreter's.
"""
import sys

DEBIAN = "/usr/lib/python3/dist-packages"

try:
    import pytest
except ImportError:
    sys.path.append(DEBIAN)
    import pytest

# pytest-xdist (`-n`) may come from Debian's python3-pytest-xdist even when pytest does not; its
# local workers inherit this sys.path.
if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in sys.argv[1:]):
    try:
        import xdist  # noqa: F401
    except ImportError:
        if DEBIAN not in sys.path:
            sys.path.append(DEBIAN)
        try:
            import xdist  # noqa: F401
        except ImportError:
            sys.exit("error: parallel workers (-n) need pytest-xdist: apt-get install python3-pytest-xdist python3-execnet")

sys.exit(pytest.main(sys.argv[1:]))
