#!/usr/bin/env bash
# `infbench ensemble` and `bench --ensemble` end to end. Usage: ensemble_checks.sh CHECK BIN WORK_DIR
# [MODELS_DIR]. Fake members (src/backends/fake.cpp) for the study and its storage; the real
# Fashion-MNIST members (tools/fashion_mnist_zoo.py) for accuracy across three frameworks.
set -euo pipefail
check="$1"; bin="$2"; work="$3/ensemble_$1"; models="${4:-}"
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
spec="$work/fakes.yaml"
cat > "$spec" <<'YAML'
name: fakes
combine: mean_softmax
members:
  - {name: fast, framework: fake, model: a, settings: {delay_ms: 4, shift: 0}}
  - {name: slow, framework: fake, model: b, settings: {delay_ms: 12, shift: 1}}
YAML

case "$check" in
  placement)
    # --placement 0,1 on two SIMULATED GPUs (fake backend, tests only): member i on GPU i mod 2 in
    # every run (ensemble, members alone, interference), the study named fakes@0,1 in the database.
    INFBENCH_FAKE_SIMULATED_GPUS=2 "$bin" ensemble "$spec" --placement 0,1 --batch-sizes 2 \
      --threads 2 --modes concurrent --min-duration-s 0.2 --warmup-s 0.05 --interference-s 0.2 \
      --db "$work/p.db" --json "$work/p.json" > "$work/out.txt" 2> "$work/progress.txt"
    cat "$work/out.txt"
    python3 - "$work/p.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["ensemble"] == "fakes@0,1", s["ensemble"]
assert [m["device"] for m in s["members"]] == [0, 1], s["members"]
b = s["batches"][0]
assert b["modes"]["concurrent"]["status"] == "ok", b["modes"]
alone = b["members_alone"]
assert "simulated-gpu1" in alone["slow"]["effective_settings"], alone["slow"]["effective_settings"]
assert "simulated-gpu0" in alone["fast"]["effective_settings"], alone["fast"]["effective_settings"]
PY
    [[ $(sqlite3 "$work/p.db" "select count(*) from studies where name = 'fakes@0,1'") == 1 ]] ||
      fail "the study is not stored under fakes@0,1"
    rc=0; "$bin" ensemble "$spec" --placement 0,x --batch-sizes 2 2> "$work/err.txt" || rc=$?
    [[ $rc == 2 ]] && grep -q "placement '0,x': expected device numbers" "$work/err.txt" ||
      fail "a bad --placement is not refused (rc $rc): $(cat "$work/err.txt")"
    ;;
  study)
    "$bin" ensemble "$spec" --batch-sizes 1,4 --threads 2 --min-duration-s 0.2 --warmup-s 0.05 \
      --interference-s 0.2 --db "$work/e.db" --json "$work/e.json" --markdown "$work/e.md" \
      > "$work/out.txt" 2> "$work/progress.txt"
    cat "$work/out.txt"
    grep -q "| 4 | pipelined |" "$work/out.txt" || fail "no pipelined row at batch 4"
    grep -q "interference at batch 1" "$work/out.txt" || fail "no interference table"
    python3 - "$work/e.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert [b["batch_size"] for b in s["batches"]] == [1, 4]
for b in s["batches"]:
    assert set(b["modes"]) == {"sequential", "concurrent", "pipelined"}, b["modes"].keys()
    assert all(m["status"] == "ok" and m["throughput_samples_per_s"] > 0 for m in b["modes"].values())
    assert abs(b["speedup_vs_sequential"]["sequential"] - 1) < 1e-12
    sp = b["speedup_vs_sequential"]
    # Sleeping members overlap in theory (16 ms -> 12 ms per batch, 1.33x); milliseconds of
    # scheduling delay on a loaded machine stay small against that.
    assert sp["concurrent"] > 1.0 and sp["pipelined"] > 1.0, sp
    inf = b["interference"]
    assert set(inf["slowdown"]["fast"]) == {"slow", "all"}
    assert inf["alone_samples_per_s"]["fast"] > inf["alone_samples_per_s"]["slow"]
    assert set(b["members_alone"]) == {"fast", "slow"}
PY
    [[ $(sqlite3 "$work/e.db" "select count(*) from points") == 10 ]] || fail "points: $(sqlite3 "$work/e.db" 'select count(*) from points')"
    [[ $(sqlite3 "$work/e.db" "select count(*) from studies where kind='ensemble'") == 1 ]] || fail "studies"
    "$bin" report "$work/e.db" --out "$work/report" > /dev/null
    timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$work/report/index.html" \
      2>/dev/null > "$work/dom.html"
    grep -q 'data-errors=""' "$work/dom.html" || fail "report errors: $(grep -o 'data-errors="[^"]*"' "$work/dom.html")"
    grep -q 'class="heatmap"' "$work/dom.html" || fail "no interference heat map in the report"
    grep -q 'speed-up over the sequential mode' "$work/dom.html" || fail "no speed-up chart"
    # Markdown: the study's points, and no "fastest framework" table (members each in their own
    # framework, the modes all "ensemble": nothing to choose between).
    "$bin" report --markdown "$work/e.db" > "$work/e.report.md"
    grep -q "| fakes | ensemble |" "$work/e.report.md" || fail "no ensemble rows in report --markdown"
    ! grep -q "Fastest framework" "$work/e.report.md" || fail "a winners table for an ensemble study"
    # export --studies: the summary whole in JSON Lines, its scalars as named CSV columns.
    "$bin" export "$work/e.db" --studies --format jsonl > "$work/studies.jsonl"
    "$bin" export "$work/e.db" --studies --format csv --out "$work/studies.csv" 2> /dev/null
    python3 - "$work/e.json" "$work/studies.jsonl" "$work/studies.csv" <<'PY'
import csv, json, sys
summary = json.load(open(sys.argv[1]))
rows = [json.loads(line) for line in open(sys.argv[2])]
assert len(rows) == 1 and rows[0]["name"] == "fakes" and rows[0]["summary"] == summary, rows
(row,) = list(csv.DictReader(open(sys.argv[3])))
column = "summary.batches[batch_size=4].speedup_vs_sequential.concurrent"
assert float(row[column]) == summary["batches"][1]["speedup_vs_sequential"]["concurrent"], row
PY
    ;;
  interrupt)
    # Ctrl-C during a study: the runs so far are printed and stored, the exit code is 130.
    "$bin" ensemble "$spec" --batch-sizes 1,4 --threads 2 --min-duration-s 30 --warmup-s 0.05 \
      --db "$work/e.db" --json "$work/e.json" > "$work/out.txt" 2> "$work/progress.txt" &
    pid=$!
    for _ in $(seq 300); do  # signal once the handler is installed (SigCgt bit 2 = SIGINT)
      mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      (( (16#${mask:-0} >> 1) & 1 )) && break
      sleep 0.05
    done
    sleep 1
    kill -INT "$pid"
    set +e
    wait "$pid"
    rc=$?
    set -e
    cat "$work/out.txt" "$work/progress.txt"
    [[ $rc == 130 ]] || fail "exit code $rc"
    grep -q "| 1 | sequential |" "$work/out.txt" || fail "no table of what was measured"
    python3 - "$work/e.db" "$work/e.json" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("select count(*) from studies").fetchone()[0] == 1
statuses = [r[0] for r in db.execute("select m_status from metrics")]
assert statuses == ["interrupted"], statuses  # the run in progress; nothing started after it
assert json.load(open(sys.argv[2]))["interrupted"] is True
PY
    ;;
  foreign_bytes)
    # A spec path that is not UTF-8 (Latin-1 "é" = 0xE9) goes into the study's JSON summary: it is
    # written with U+FFFD instead of failing the finished study ("unexpected error", exit 70).
    odd="$work/spec-$(printf '\xe9')"
    mkdir -p "$odd"; cp "$spec" "$odd/fakes.yaml"
    "$bin" ensemble "$odd/fakes.yaml" --batch-sizes 1 --threads 2 --min-duration-s 0.1 \
      --warmup-s 0.02 --interference-s 0.1 --no-members --db "$work/e.db" --json "$work/e.json" \
      > "$work/out.txt" 2> "$work/err.txt" || fail "exit $?: $(tail -3 "$work/err.txt")"
    python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); assert "spec-\ufffd/" in s["spec"], s["spec"]' \
      "$work/e.json" || fail "summary spec: $(head -c 300 "$work/e.json")"
    [[ $(sqlite3 "$work/e.db" "select count(*) from studies where kind='ensemble'") == 1 ]] || fail "study not stored"
    ;;
  bad_spec)
    printf 'members:\n  - {framework: fake, model: a}\n  - {framework: fake, modle: b}\n' > "$work/bad.yaml"
    set +e
    "$bin" ensemble "$work/bad.yaml" --db "$work/keep.db" > /dev/null 2> "$work/err"
    rc=$?
    set -e
    [[ $rc == 2 ]] || fail "exit code $rc"
    [[ $(wc -l < "$work/err") == 1 ]] || fail "not one line: $(cat "$work/err")"
    grep -q "bad.yaml:3: members\[1\].modle: unknown field; valid: framework, instances, model" "$work/err" || fail "$(cat "$work/err")"
    [[ ! -e "$work/keep.db" ]] || fail "a database was created for a bad spec"
    set +e
    "$bin" bench --ensemble "$work/missing.yaml" > /dev/null 2> "$work/err2"
    rc=$?
    set -e
    [[ $rc == 3 ]] || fail "missing spec: exit code $rc"
    grep -q "missing.yaml: model file not found" "$work/err2" || fail "$(cat "$work/err2")"
    ;;
  fashion_accuracy)
    # Three members in three frameworks; every framework reproduces PyTorch's arg-max on these
    # 1,000 test images, so top-1 must equal what the zoo measured in PyTorch.
    fm="$models/fashion_mnist"
    [[ -f "$fm/test_images_1k.npy" ]] || fail "run /usr/bin/python3 tools/fashion_mnist_zoo.py first"
    "$bin" bench --ensemble "$(dirname "$0")/../../configs/ensembles/fashion-mnist.yaml" --batch-size 50 \
      --threads 2 --min-duration-s 0.3 --warmup-s 0.1 --idle-power-s 0 --input "$fm/test_images_1k.npy" \
      --labels "$fm/test_labels_1k.npy" --json "$work/r.json" > "$work/out.txt"
    cat "$work/out.txt"
    python3 - "$work/r.json" "$models/manifest.json" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))["accuracy_top1"]
zoo = json.load(open(sys.argv[2]))
want = {"cnn_" + k[-1]: zoo["models"][k]["accuracy_top1_pytorch_1k"] for k in ("fmnist_cnn_a", "fmnist_cnn_b", "fmnist_cnn_c")}
want["ensemble"] = zoo["fashion_mnist"]["ensemble"]["top1_pytorch_1k"]
print("infbench", got, "pytorch", want)
assert set(got) == set(want), (got, want)
for k in want:
    assert abs(got[k] - want[k]) < 1e-9, (k, got[k], want[k])
PY
    ;;
  *) fail "unknown check" ;;
esac
echo "PASS $check"
