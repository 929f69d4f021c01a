#!/usr/bin/env bash
# Set up everything siberia-kg needs on a fresh Debian machine with Python 3.11:
# a virtual environment in .venv with the package and its pinned dependencies.
# Usage: scripts/setup.sh [--test]   (--test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1
PY="${PYTHON:-python3}"

say() { printf '[setup] %s\n' "$*" >&2; }

if ! command -v "$PY" >/dev/null 2>&1; then
  say "no $PY on PATH: install Python 3.11 or newer"; exit 1
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  say "$PY is $("$PY" -V 2>&1); siberia-kg needs Python 3.11 or newer"; exit 1
fi

apt_install() {
  # System packages come from Debian; only root can install them.
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "need the Debian packages: $* (run as root, or install them first)"; exit 1
  fi
  say "apt-get install $*"
  # Install from the lists as they are; refresh them once when that fails (a new machine has none).
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

# Debian's python3 has no venv/ensurepip until python3-venv is installed.
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  apt_install "python${ver}-venv" || apt_install python3-venv
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi

# Exact versions with hashes, so a fresh machine gets what the tests passed with.
lock=requirements.lock
say "installing dependencies from $lock"
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r "$lock"
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .

# Front-end libraries (query editor, offline map) come from the npm registry, never from the repo.
if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  # --ignore-scripts: the only install scripts in the tree print attributions
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi

if [ "$want_test" = 1 ]; then
  # An independent RDF parser for round-trip tests, and Debian's Chromium for the browser tests
  # (driven by Playwright with executable_path; Playwright's own browser download is never used).
  command -v rapper >/dev/null 2>&1 || apt_install raptor2-utils
  command -v chromium >/dev/null 2>&1 || apt_install chromium
  # Japanese glyphs in the browser screenshots
  dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || apt_install fonts-ipafont-gothic
  # A real external triple store for the publish tests (started by the tests on loopback ports)
  command -v virtuoso-t >/dev/null 2>&1 || apt_install virtuoso-opensource-7
fi
say "ready"
