#!/usr/bin/env bash
# Set up (with the test tools) and run the whole test suite, on 2 worker processes by default
# (pytest-xdist; SIBERIA_KG_TEST_WORKERS=0 runs it in this one process). --dist loadfile keeps
# each test module in one worker, so a module's servers and fixtures are built once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest -n "${SIBERIA_KG_TEST_WORKERS:-2}" --dist loadfile "$@"
