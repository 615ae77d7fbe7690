#!/usr/bin/env bash
# Runs every check and test of Stratus: the spec and generated code are current, formatting,
# build (warnings are errors), the .NET test projects (unit, protocol round trips with botocore
# and the AWS SDK for JavaScript, store, server) and the end-to-end suite that drives a live
# `stratus serve` with boto3 and the aws CLI.
set -uo pipefail
cd "$(dirname "$0")/.."
# Prefer the python that ships boto3 and the aws CLI on these machines (pyenv), when present.
if [ -d "${HOME:-/root}/.pyenv/shims" ]; then export PATH="${HOME:-/root}/.pyenv/shims:$PATH"; fi
scripts/install-deps.sh || exit 1

failed=0
step() { echo; echo "== $*"; }

step "spec and generated code are current"
python3 spec/trim_model.py --check || failed=1
dotnet run --project tools/Stratus.CodeGen -c Release -- --check || failed=1

step "build"
dotnet build Stratus.slnx -c Release -nologo -clp:ErrorsOnly || exit 1

step "format"
dotnet format Stratus.slnx --verify-no-changes --no-restore --exclude src/Stratus.Ec2.Model/Generated src/Stratus.Services.Model/Generated || failed=1

step "guest images (stratus images build minimal and debian-12; the guest kernel is built once, then cached)"
src/Stratus.Cli/bin/Release/net10.0/stratus images build minimal || failed=1
src/Stratus.Cli/bin/Release/net10.0/stratus images build debian-12 || failed=1

step ".NET tests"
rm -rf artifacts/test-results && mkdir -p artifacts/test-results
dotnet test Stratus.slnx -c Release --no-build -nologo --logger "trx" --results-directory artifacts/test-results 2>&1 | tee artifacts/test-results/dotnet.log
dotnet_rc=${PIPESTATUS[0]}
[ "$dotnet_rc" -eq 0 ] || failed=1

# The e2e modules run in STRATUS_E2E_WORKERS parallel pytest-xdist workers (each starts its own
# servers); a module is never split, the modules that boot real guests share one worker
# (tests/e2e/README.md, "Parallel runs"). Most e2e time is waiting on boots and polls, so two
# workers suit a 2-core machine; STRATUS_E2E_WORKERS=0 runs them in this process, one after another.
e2e_workers="${STRATUS_E2E_WORKERS:-2}"
step "end-to-end (boto3, aws CLI; $e2e_workers workers)"
e2e_parallel=()
if [ "$e2e_workers" != "0" ]; then
  if ! python3 -c 'import sys; sys.path.append("/usr/lib/python3/dist-packages"); import xdist, execnet' 2>/dev/null; then
    echo "error: STRATUS_E2E_WORKERS=$e2e_workers needs pytest-xdist (python3-pytest-xdist, python3-execnet; scripts/install-deps.sh installs them)" >&2
    exit 1
  fi
  # A crashed worker is replaced at most twice (xdist re-runs the module it crashed in).
  e2e_parallel=(-n "$e2e_workers" --dist loadgroup --max-worker-restart=2)
fi
STRATUS_BIN="$PWD/src/Stratus.Cli/bin/Release/net10.0/stratus" python3 scripts/run_pytest.py tests/e2e -q -p no:cacheprovider -rfE \
  "${e2e_parallel[@]}" --junitxml=artifacts/test-results/e2e.xml
[ $? -eq 0 ] || failed=1

python3 scripts/summarize_tests.py artifacts/test-results
exit $failed
