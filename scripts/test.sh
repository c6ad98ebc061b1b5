#!/usr/bin/env bash
# Set up, check the import layers, and run the whole test suite (unit, sandbox, Meltano end to
# end, report in headless Chromium). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== lint-imports (the layers in pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports --no-cache
# The report tests drive Debian's chromium (Playwright never downloads a browser here). Install
# it where missing when we can; otherwise those tests skip, or fail with this advice under CI=true.
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "== chromium not found and not root: install it with" \
         "'sudo apt-get install -y chromium' (browser tests skip; they fail under CI=true)"
  fi
fi
exec .venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"
