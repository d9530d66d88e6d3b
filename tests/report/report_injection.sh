#!/usr/bin/env bash
# A report cannot be turned against its reader: a sweep whose plan name, model label (the fake
# backend's model is only a label) and failed point carry HTML and script, then `infbench report`,
# then the page in headless Chromium. Passes only when no injected element exists, no injected
# script ran, the payload is shown as text and the page rendered without errors.
# Usage: report_injection.sh BIN WORK_DIR
set -euo pipefail
bin="$1"; work="$2/report_injection"
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
command -v chromium >/dev/null || { echo "SKIP: chromium not found (Debian package chromium)"; exit 77; }

# Each payload, if it ever ran, would leave a mark the checks below look for.
cat > "$work/plan.yaml" <<'YAML'
name: "injection </script><script>document.documentElement.dataset.injected='plan'</script>"
models:
  - "</script><img src=x onerror=\"document.documentElement.dataset.injected='img'\"><script>document.documentElement.dataset.injected='model'</script>&amp;\u2028"
frameworks:
  fake:
    fault_at_batch: [0, 2]
batch_sizes: [1]
measure: {min_duration_s: 0.05, min_queries: 3, warmup_s: 0, warmup_queries: 1, repeat: 1, idle_power_s: 0}
timeout_s: 60
YAML
"$bin" sweep "$work/plan.yaml" --db "$work/r.db" 2>"$work/sweep.log" || fail "sweep: $(tail -3 "$work/sweep.log")"
"$bin" report "$work/r.db" --out "$work/report" >/dev/null
page="$work/report/index.html"

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$work/chrome" --window-size=1280,2400)
chromium "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$page" >"$work/dom.html" 2>"$work/chrome.log"

status=0
check() { if ! eval "$2"; then echo "FAIL: $1"; status=1; else echo "ok: $1"; fi; }
check "no <img> element in the rendered page" "! grep -q '<img' '$work/dom.html'"
check "no injected script ran (no data-injected mark)" "! grep -q 'data-injected' '$work/dom.html'"
check "the page has exactly the report's three <script> elements" \
  "[[ \$(grep -o '<script' '$page' | wc -l) -eq 3 ]]"
check "the model label is shown as text" \
  "grep -qF '&lt;/script&gt;&lt;img src=x onerror=\"document.documentElement.dataset.injected' '$work/dom.html'"
check "the failed point (label with the payload) is listed" "grep -q 'Failed points (1)' '$work/dom.html'"
errors=$(grep -o 'data-errors="[^"]*"' "$work/dom.html" || echo 'data-errors missing')
check "no page errors ($errors)" "[[ '$errors' == 'data-errors=\"\"' ]]"
rendered=$(grep -o 'data-charts-rendered="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' || echo 0)
check "charts rendered ($rendered)" "[[ $rendered -ge 1 ]]"
exit $status
