#!/usr/bin/env bash
# Set up and run Stratus on its embedded defaults: builds the server, then runs
# `stratus serve` (SQLite state in ~/.local/share/stratus, http://127.0.0.1:4566, AWS CLI
# profile "stratus" written to ~/.aws). Extra arguments go to `stratus serve`.
# Each step prints how long it took (bench/first-start.sh measures a first start end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
step_start=$(date +%s.%N)
step_done() {
  local now; now=$(date +%s.%N)
  awk -v what="$1" -v a="$step_start" -v b="$now" 'BEGIN { printf "start.sh: %s in %.1f s\n", what, b - a }' >&2
  step_start=$now
}
scripts/install-deps.sh --runtime-only
step_done "dependencies checked"
bin=src/Stratus.Cli/bin/Release/net10.0/stratus
# The build runs no analyzers, code-style checks or XML docs: those guard the code (scripts/test.sh
# builds with all of them, warnings as errors) and cost most of a first build's CPU.
lean=(-p:RunAnalyzers=false -p:EnforceCodeStyleInBuild=false -p:GenerateDocumentationFile=false -p:TreatWarningsAsErrors=false)
if [ "${STRATUS_READY_TO_RUN:-0}" = 1 ]; then
  # Precompiled (ReadyToRun) assemblies: a restart spends about a third of the CPU on JIT that a
  # plain build does (docs/benchmarks.md, Start-up), for a longer first build (crossgen2 over
  # every assembly). Off by default: the first start is what the plain build keeps short.
  rid="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
  bin=src/Stratus.Cli/bin/Release/net10.0/$rid/publish/stratus
  if [ "${STRATUS_SKIP_BUILD:-0}" != 1 ] || [ ! -x "$bin" ]; then
    dotnet publish src/Stratus.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -nologo -v quiet -clp:ErrorsOnly "${lean[@]}"
  fi
# STRATUS_SKIP_BUILD=1 uses the binary this checkout already built (CI, bench/first-start.sh --no-build).
elif [ "${STRATUS_SKIP_BUILD:-0}" != 1 ] || [ ! -x "$bin" ]; then
  dotnet build src/Stratus.Cli -c Release -nologo -v quiet -clp:ErrorsOnly "${lean[@]}"
fi
step_done "stratus built"
# The minimal guest image, without the guest kernel: system containers need none, and the
# microvm runtime builds the kernel (5-13 minutes on 2 cores, once) in the background when an
# image lacks it. An image whose inputs did not change is reused from ~/.cache/stratus.
if [ "$(id -u)" -eq 0 ]; then
  "$bin" images build minimal --skip-kernel || echo "start.sh: building the minimal guest image failed; instances with real runtimes will not boot it" >&2
  step_done "minimal guest image ready"
else
  echo "start.sh: not root; skipping 'stratus images build minimal' (guest images need root)" >&2
fi
exec "$bin" serve "$@"
