#!/usr/bin/env bash
# `infbench bench` stores and prints each point's deviation from the fp32 reference and the verdict
# of its precision's gate (docs/metrics.md "Accuracy").
# Usage: accuracy_checks.sh CHECK BIN WORK_DIR MODELS_DIR
set -euo pipefail
check="$1"; bin="$2"; work="$3/accuracy_$1"; models="$4"
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
quick=(--warmup-s 0 --warmup-queries 1 --idle-power-s 0 --min-duration-s 0.2 --min-queries 3 --repeat 1)

case "$check" in
  resnet18_deviation)
    # The reference is found through the zoo manifest by the model file's path; batch 3 tiles the
    # 4 reference rows to 6 (two full batches).
    "$bin" bench --framework onnxruntime --model "$models/resnet18/resnet18.onnx" --batch-size 3 \
      --threads 2 "${quick[@]}" --json "$work/r.json" > "$work/out.txt"
    cat "$work/out.txt"
    grep -Eq "accuracy +vs fp32 reference: max rel error [0-9.e+-]+, cosine 1\.0+, top-1 agreement 1\.000; gate pass" "$work/out.txt" || fail "summary line"
    /usr/bin/python3 - "$work/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["record"]
assert r["accuracy_gate"] == "pass", r
assert 0 <= r["accuracy_max_rel_error"] <= 1e-4, r["accuracy_max_rel_error"]
assert r["accuracy_cosine"] >= 0.9999 and r["accuracy_top1_agreement"] == 1.0
assert r["accuracy_top1"] is None  # random weights, no labelled set
PY
    ;;
  fake_noise_gate)
    # The fake backend's y = (k + 1) * sum(sample); noise=0.01 puts a 1% relative error into it.
    /usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
x = np.arange(1, 17, dtype=np.float32).reshape(4, 4) / 4
np.save(f"{sys.argv[1]}/x.npy", x)
np.save(f"{sys.argv[1]}/y.npy", (x.sum(1, keepdims=True) * np.array([1, 2, 3], np.float32)).astype(np.float32))
PY
    ref=(--reference-input "$work/x.npy" --reference-output "$work/y.npy")
    "$bin" bench --framework fake --model fake "${quick[@]}" "${ref[@]}" --json "$work/exact.json" > "$work/exact.txt"
    "$bin" bench --framework fake --model fake --set noise=0.01 "${quick[@]}" "${ref[@]}" --json "$work/noisy.json" > "$work/noisy.txt"
    cat "$work/exact.txt" "$work/noisy.txt"
    grep -q "gate pass" "$work/exact.txt" || fail "exact outputs did not pass"
    grep -q "gate fail: rel_error 0.01 outside <= 0.001" "$work/noisy.txt" || fail "noisy outputs did not fail"
    /usr/bin/python3 -c "import json; r=json.load(open('$work/noisy.json'))['record']; assert r['status']=='ok' and r['accuracy_gate'].startswith('fail: ') and abs(r['accuracy_max_rel_error']-0.01)<1e-4, r"
    "$bin" bench --framework fake --model fake "${quick[@]}" --reference-input "$work/x.npy" 2>"$work/err" && fail "accepted half a reference"
    grep -q "^infbench: error: --reference-input and --reference-output go together" "$work/err" || fail "$(cat "$work/err")"
    ;;
  ppocr_top1)
    # The pretrained classifier: the input shape (its H and W are dynamic) and the labelled set come
    # from the manifest; the accuracy is printed and stored.
    "$bin" bench --framework onnxruntime --model "$models/ppocr_cls/ppocr_cls.onnx" --batch-size 8 \
      "${quick[@]}" --json "$work/r.json" > "$work/out.txt"
    cat "$work/out.txt"
    grep -Eq "gate pass; top-1 on the labelled set 0\.9[0-9]+" "$work/out.txt" || fail "summary line"
    /usr/bin/python3 - "$work/r.json" "$models/manifest.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["record"]
want = json.load(open(sys.argv[2]))["models"]["ppocr_cls"]["accuracy_top1_onnxruntime"]
assert abs(r["accuracy_top1"] - want) <= 1 / 256, (r["accuracy_top1"], want)
PY
    ;;
  fmnist_top1)
    # Trained weights: the runner's top-1 on the 1k labelled test subset equals PyTorch's.
    "$bin" bench --framework onnxruntime --model "$models/fashion_mnist/fmnist_cnn_b.onnx" --batch-size 32 \
      --threads 2 "${quick[@]}" --json "$work/r.json" > "$work/out.txt"
    cat "$work/out.txt"
    /usr/bin/python3 - "$work/r.json" "$models/manifest.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["record"]
want = json.load(open(sys.argv[2]))["models"]["fmnist_cnn_b"]["accuracy_top1_pytorch_1k"]
assert r["accuracy_gate"] == "pass", r["accuracy_gate"]
assert abs(r["accuracy_top1"] - want) <= 1 / 1000, (r["accuracy_top1"], want)
PY
    ;;
  pixel_inputs)
    # resnet18_u8 takes uint8 NHWC pixels and normalises them itself. TorchScript records no input
    # type: the runner must generate uint8 data (the manifest's dtype), a quarter of float32's
    # bytes, and the uint8 reference must pass the fp32 gate. ONNX records the type itself.
    for file in resnet18_u8/resnet18_u8.ts resnet18_u8/resnet18_u8.onnx; do
      fw=libtorch; [[ $file == *.onnx ]] && fw=onnxruntime
      "$bin" bench --framework $fw --model "$models/$file" --batch-size 2 --threads 2 \
        "${quick[@]}" --json "$work/$fw.json" > "$work/$fw.txt"
      cat "$work/$fw.txt"
      grep -Eq "inputs +[a-z_.0-9]+:uint8\[224,224,3\] \(150528 bytes per sample\)" "$work/$fw.txt" || fail "$fw inputs line"
      /usr/bin/python3 - "$work/$fw.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["record"]
assert r["input_spec"].endswith(":uint8[224,224,3]"), r["input_spec"]
assert r["input_bytes_per_sample"] == 224 * 224 * 3, r["input_bytes_per_sample"]
assert r["accuracy_gate"] == "pass" and r["accuracy_top1_agreement"] == 1.0, r
PY
    done
    # The same TorchScript file outside the zoo: no manifest says its type, --input-dtype does.
    mkdir -p "$work/alone"; cp "$models/resnet18_u8/resnet18_u8.ts" "$work/alone/m.ts"
    ref=(--reference-input "$models/resnet18_u8/resnet18_u8.sample_input.npy"
         --reference-output "$models/resnet18_u8/resnet18_u8.sample_output.npy")
    "$bin" bench --framework libtorch --model "$work/alone/m.ts" --batch-size 2 --threads 2 \
      --input-shape 224x224x3 --input-dtype uint8 "${ref[@]}" "${quick[@]}" > "$work/alone.txt"
    cat "$work/alone.txt"
    grep -Eq "inputs +pixels:uint8\[224,224,3\] \(150528 bytes per sample\)" "$work/alone.txt" || fail "--input-dtype inputs line"
    grep -Eq "accuracy .*gate pass" "$work/alone.txt" || fail "--input-dtype gate"
    "$bin" bench --framework libtorch --model "$work/alone/m.ts" --input-shape 224x224x3 \
      --input-dtype uint7 "${quick[@]}" 2> "$work/bad.txt" && fail "uint7 accepted"
    grep -q "^infbench: error: --input-dtype 'uint7' is unknown; valid: float32, .*uint8, bool$" "$work/bad.txt" || fail "$(cat "$work/bad.txt")"
    [[ $(wc -l < "$work/bad.txt") == 1 ]] || fail "one line: $(cat "$work/bad.txt")"
    ;;
  report_excludes_failing)
    # A sweep over a zoo of one fake model with a reference: the fastest point (delay 1 ms) has 1%
    # noise and fails the fp32 gate; the report and its markdown winners table must choose the 6 ms
    # point without noise (the 1 ms point without noise is excluded from the plan).
    mkdir -p "$work/zoo/fakezoo"
    /usr/bin/python3 - "$work/zoo" <<'PY'
import json, sys, numpy as np
d = sys.argv[1]
x = np.arange(1, 17, dtype=np.float32).reshape(4, 4) / 4
np.save(f"{d}/fakezoo/x.npy", x)
np.save(f"{d}/fakezoo/y.npy", (x.sum(1, keepdims=True) * np.array([1, 2, 3], np.float32)).astype(np.float32))
files = {"fake": {"path": "fakezoo/fake.model"}, "sample_input": {"path": "fakezoo/x.npy"},
         "sample_output": {"path": "fakezoo/y.npy"}}
json.dump({"schema_version": 1, "models": {"fakezoo": {"name": "fakezoo", "files": files,
          "inputs": [{"name": "x0", "shape": [-1, 4], "dtype": "float32"}]}}}, open(f"{d}/manifest.json", "w"))
PY
    # The fake backend reads no file: the plan's model is the path of one the manifest lists.
    model="$work/zoo/fakezoo/fake.model"
    touch "$model"
    cat > "$work/plan.yaml" <<YAML
name: accuracy-plan
models: ["$model"]
frameworks:
  fake: {delay_ms: [1, 6], noise: ["0", "0.01"]}
exclude: [{delay_ms: 1, noise: "0"}]
batch_sizes: [2]
scenarios: [offline]
measure: {min_duration_s: 0.3, min_queries: 5, warmup_s: 0, warmup_queries: 1, idle_power_s: 0, repeat: 1}
timeout_s: 60
YAML
    "$bin" sweep "$work/plan.yaml" --db "$work/r.db"
    sqlite3 "$work/r.db" "select p.label, m.m_accuracy_gate, m.m_throughput_samples_per_s from points p join metrics m using(run_id, point_id)" | tee "$work/points.txt"
    [[ $(grep -c "|fail: rel_error 0.01 outside <= 0.001|" "$work/points.txt") == 2 ]] || fail "two noisy points should fail"
    [[ $(grep -c "|pass|" "$work/points.txt") == 1 ]] || fail "one point should pass"
    "$bin" report --markdown "$work/r.db" | tee "$work/winners.md"
    grep -qF "| $model | 2 | fake delay_ms=6 noise=0: " "$work/winners.md" || fail "winners table chose a failing point"
    grep -q "Left out: 2 point(s) outside their precision's accuracy gate" "$work/winners.md" ||
      fail "winners table does not list the failing points"
    "$bin" report "$work/r.db" --out "$work/report"
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking       --user-data-dir="$work/chrome" --virtual-time-budget=5000 --dump-dom "file://$work/report/index.html" > "$work/dom.html" 2>/dev/null
    /usr/bin/python3 - "$work/dom.html" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
# (the page inlines report.js: look for rendered markup only)
assert dom.count('class="gate-fail">FAIL rel_error 0.01 outside &lt;= 0.001</td>') == 2, "two points marked FAIL"
best = dom[dom.index("<h2>Best configuration per model</h2>"):]
best = best[:best.index("</table>")]
assert "delay_ms=6" in best and "delay_ms=1" not in best, best
assert 'data-errors=""' in dom or "data-errors" not in dom, "page errors"
PY
    ;;
  *) fail "unknown check" ;;
esac
echo "PASS $check"
