#!/usr/bin/env bash
# Set up and run Stratus on its embedded defaults: builds the server, then runs
# `stratus serve` (SQLite state in ~/.local/share/stratus, http://127.0.0.1:4566, AWS CLI
# profile "stratus" written to ~/.aws). Extra arguments go to `stratus serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --runtime-only
dotnet build src/Stratus.Cli -c Release -nologo -v quiet -clp:ErrorsOnly
exec src/Stratus.Cli/bin/Release/net10.0/stratus serve "$@"
