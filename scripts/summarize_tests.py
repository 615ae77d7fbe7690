#!/usr/bin/env python3
"""Prints one closing line, 'N passed, N failed, N skipped', over every test result file
(.trx from dotnet test, JUnit XML from pytest) in a directory."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

directory = sys.argv[1]
passed = failed = skipped = 0
for path in glob.glob(os.path.join(directory, "*.trx")):
    counters = ET.parse(path).getroot().find(".//{*}ResultSummary/{*}Counters")
    if counters is not None:
        passed += int(counters.get("passed", 0))
        failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
        skipped += int(counters.get("notExecuted", 0))
for path in glob.glob(os.path.join(directory, "*.xml")):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        total = int(suite.get("tests", 0))
        f = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        s = int(suite.get("skipped", 0))
        passed += total - f - s
        failed += f
        skipped += s
print(f"{passed} passed, {failed} failed, {skipped} skipped")
