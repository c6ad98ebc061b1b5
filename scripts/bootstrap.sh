#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the project with its dev tools (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Skip pip when this venv already holds this pyproject.toml (the package is an editable install).
STAMP=.venv/bootstrap.stamp
WANT=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ] && .venv/bin/python -c 'import tap_shipping_exceptions' 2>/dev/null; then
  exit 0
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
echo "$WANT" > "$STAMP"
