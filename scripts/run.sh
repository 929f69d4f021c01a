#!/usr/bin/env bash
# Set up, build and validate the graph (dumps in dist/), then serve it on http://127.0.0.1:8000
# (HOST and PORT in the environment change that).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/siberia-kg build
.venv/bin/siberia-kg stats
exec .venv/bin/siberia-kg serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
