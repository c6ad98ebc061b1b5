#!/usr/bin/env bash
# Set up and run the whole test suite (unit, sandbox, Meltano end to end). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
exec .venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"
