#!/usr/bin/env bash
# Set up everything and run the main job end to end on the embedded default warehouse (DuckDB):
# sandbox ShippyPro API (the seed's worked example month) -> tap -> Meltano -> DuckDB,
# then print the Exception Rate card, reconcile it against the sandbox portal's export and write
# the HTML card report (output/report/cards.html, path printed at the end).
# Rerunning it adds nothing (Meltano state); DEMO_FRESH=1 starts from an empty warehouse.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"

AS_OF=2026-03-12T08:00:00Z          # 09:00 CET on 12 Mar 2026, as in the seed card
SCENARIO=(--scenario worked_example --seed 7)
OUT=output/sandbox
WAREHOUSE="duckdb:///$PWD/output/warehouse.duckdb"
if [ "${DEMO_FRESH:-0}" = 1 ]; then rm -rf output .meltano/meltano.db; fi
mkdir -p "$OUT"

echo "== starting the sandbox ShippyPro API on loopback (it builds its world while plugins install)"
rm -f "$OUT/ready" "$OUT/portal_exceptions.csv.json"
shipping-sandbox serve "${SCENARIO[@]}" --host 127.0.0.1 --port 0 --api-key sandbox-key \
  --at-as-of --webhook-archive "$OUT/webhooks" --portal-export "$OUT/portal_exceptions.csv" \
  --ready-file "$OUT/ready" > "$OUT/sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true' EXIT

# Plugin venvs are reinstalled only when their definition changed (meltano.yml, pyproject.toml);
# the tap and the cards are editable installs, so code changes need no reinstall.
STAMP=.meltano/demo-install.stamp
WANT=$(cat meltano.yml pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ] && [ -x .meltano/extractors/tap-shipping-exceptions/venv/bin/tap-shipping-exceptions ] \
   && [ -x .meltano/loaders/target-duckdb/venv/bin/target-duckdb ] && [ -x .meltano/utilities/metric-cards/venv/bin/metric-cards ]; then
  echo "== Meltano plugins already installed (meltano.yml and pyproject.toml unchanged)"
else
  echo "== installing Meltano plugins (tap, DuckDB loader, metric cards)"
  meltano install tap-shipping-exceptions target-duckdb metric-cards  # in parallel
  echo "$WANT" > "$STAMP"
fi

for _ in $(seq 1 600); do
  [ -s "$OUT/ready" ] && break
  kill -0 $SANDBOX_PID 2>/dev/null || { cat "$OUT/sandbox.log"; exit 1; }
  sleep 0.2
done
[ -s "$OUT/ready" ] || { echo "sandbox did not start; see $OUT/sandbox.log"; exit 1; }
export TAP_SHIPPING_EXCEPTIONS_API_URL
TAP_SHIPPING_EXCEPTIONS_API_URL=$(cat "$OUT/ready")

echo "== meltano run tap-shipping-exceptions target-duckdb"
meltano run load-duckdb

echo "== rows in DuckDB"
python - <<PY
import duckdb
con = duckdb.connect("output/warehouse.duckdb", read_only=True)
for table in ("carriers", "shipments", "tracking_events"):
    print(f"  raw.{table}: {con.execute(f'select count(*) from raw.{table}').fetchone()[0]:,}")
PY

echo "== the Exception Rate card"
metric-cards evaluate exception_rate --warehouse "$WAREHOUSE" --schema raw --as-of "$AS_OF"

echo "== reconciliation against the sandbox portal's Exceptions export"
# written by the sandbox at start from the world it serves, as of its clock (= AS_OF)
PORTAL_TOTAL=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' \
  "$OUT/portal_exceptions.csv.json")
metric-cards reconcile --warehouse "$WAREHOUSE" --schema raw --portal-export "$OUT/portal_exceptions.csv" \
  --portal-total "$PORTAL_TOTAL" --as-of "$AS_OF" --workspace-timezone Europe/Rome

echo "== the card report (one self-contained HTML file: open it in any browser, offline)"
REPORT=$(metric-cards report exception_rate exception_rate_by_category exception_rate_by_carrier \
  stalled_shipments --warehouse "$WAREHOUSE" --schema raw --as-of "$AS_OF" \
  --portal-export "$OUT/portal_exceptions.csv" --portal-total "$PORTAL_TOTAL" \
  --workspace-timezone Europe/Rome --out output/report/cards.html \
  --json-out output/report/cards.json)
echo "  report: $REPORT"
