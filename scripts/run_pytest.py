#!/usr/bin/env python3
"""Run pytest with the python that has boto3 and the aws CLI.

pytest may come from Debian's python3-pytest (PyPI is not always reachable); its directory is
appended to sys.path, after the interpreter's own site-packages, so boto3/botocore/urllib3 are
always the interpreter's.
"""
import sys

try:
    import pytest
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import pytest

sys.exit(pytest.main(sys.argv[1:]))
