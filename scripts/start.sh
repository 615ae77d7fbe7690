#!/usr/bin/env bash
# Set up and run Stratus on its embedded defaults: builds the server, then runs
# `stratus serve` (SQLite state in ~/.local/share/stratus, http://127.0.0.1:4566, AWS CLI
# profile "stratus" written to ~/.aws). Extra arguments go to `stratus serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --runtime-only
dotnet build src/Stratus.Cli -c Release -nologo -v quiet -clp:ErrorsOnly
# The minimal guest image (and the guest kernel: ~10 minutes the first time, cached after).
if [ "$(id -u)" -eq 0 ]; then
  src/Stratus.Cli/bin/Release/net10.0/stratus images build minimal || echo "start.sh: building the minimal guest image failed; instances with real runtimes will not boot it" >&2
else
  echo "start.sh: not root; skipping 'stratus images build minimal' (guest images need root)" >&2
fi
exec src/Stratus.Cli/bin/Release/net10.0/stratus serve "$@"
