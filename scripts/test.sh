#!/usr/bin/env bash
# Set up, check the import layers, and run the whole test suite (unit, sandbox, Meltano end to
# end). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== lint-imports (the layers in pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"
