#!/usr/bin/env bash
# Set up, build the graph (validated dumps in dist/), and show what is in it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/siberia-kg build
.venv/bin/siberia-kg stats
