#!/usr/bin/env python3
"""Summarises every test result file (.trx from dotnet test, JUnit XML from pytest) in a directory:
the time of each .NET test run, the time of each e2e module (slowest first; with parallel workers
these add up to more than the wall-clock time), and one closing line, 'N passed, N failed, N skipped'."""
import datetime as dt
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def module_of(testcase: ET.Element) -> str:
    """The test file of a JUnit test case: its classname is the dotted path (tests.e2e.test_x[.Class])."""
    classname = testcase.get("classname") or ""
    parts = classname.split(".")
    for part in parts:
        if part.startswith("test_"):
            return part + ".py"
    return testcase.get("file") or classname or "?"


def trx_seconds(root: ET.Element) -> float | None:
    times = root.find("{*}Times")
    if times is None or not times.get("start") or not times.get("finish"):
        return None
    # 2026-12-06T14:18:45.1234567+00:00: seven fractional digits, more than datetime reads
    parse = lambda s: dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", s.replace("Z", "+00:00")))  # noqa: E731
    try:
        return (parse(times.get("finish")) - parse(times.get("start"))).total_seconds()
    except ValueError:
        return None


def main(directory: str) -> None:
    passed = failed = skipped = 0
    runs: list[tuple[float, str]] = []
    for path in sorted(glob.glob(os.path.join(directory, "*.trx"))):
        root = ET.parse(path).getroot()
        counters = root.find(".//{*}ResultSummary/{*}Counters")
        if counters is not None:
            passed += int(counters.get("passed", 0))
            failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
            skipped += int(counters.get("notExecuted", 0))
        storage = next((u.get("storage") for u in root.findall(".//{*}UnitTest") if u.get("storage")), None)
        seconds = trx_seconds(root)
        if seconds is not None:
            runs.append((seconds, os.path.basename(storage or path)))
    if runs:
        print(".NET test runs, slowest first:")
        for seconds, name in sorted(runs, reverse=True):
            print(f"{seconds:8.1f} s  {name}")

    modules: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    failures: dict[str, int] = defaultdict(int)
    for path in sorted(glob.glob(os.path.join(directory, "*.xml"))):
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for suite in suites:
            total = int(suite.get("tests", 0))
            f = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            s = int(suite.get("skipped", 0))
            passed += total - f - s
            failed += f
            skipped += s
            for case in suite.iter("testcase"):
                module = module_of(case)
                modules[module] += float(case.get("time") or 0)
                counts[module] += 1
                if case.find("failure") is not None or case.find("error") is not None:
                    failures[module] += 1
    if modules:
        print(f"e2e modules, slowest first ({sum(modules.values()):.0f} s in all, summed over workers):")
        for module, seconds in sorted(modules.items(), key=lambda kv: -kv[1]):
            failed_note = f", {failures[module]} failed" if failures[module] else ""
            print(f"{seconds:8.1f} s  {module} ({counts[module]} tests{failed_note})")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main(sys.argv[1])
