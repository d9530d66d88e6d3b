#!/usr/bin/env bash
# The embeddable library as a consumer sees it: `cmake --install` this build into a fresh prefix,
# configure and build examples/ against it with find_package(infbench), run example_predict on the
# zoo's resnet18 with ONNX Runtime and check its top-1 against the zoo's PyTorch reference.
# Usage: consume_package.sh BUILD_DIR SOURCE_DIR MODELS_DIR WORK_DIR
set -euo pipefail
build="$1"; src="$2"; models="$3"; work="$4"
rm -rf "$work"; mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/examples" -B "$work/examples" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/examples" -j2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/examples/example_predict" onnxruntime "$models/resnet18/resnet18.onnx" \
  "$models/resnet18/resnet18.sample_input.npy" 3 | tee "$work/predict.txt"
expected=$(/usr/bin/python3 -c "import numpy as np, sys; r = np.load(sys.argv[1]).argmax(1); print(' '.join(map(str, r)))" \
  "$models/resnet18/resnet18.sample_output.npy")
got=$(sed 's/.*top-1 //' "$work/predict.txt" | tr '\n' ' ' | sed 's/ $//')
[[ "$got" == "$expected" ]] || { echo "top-1 $got, expected $expected"; exit 1; }
"$work/examples/example_bench" fake fake 8 0.5
echo "consumer built against $work/prefix and matched the reference top-1: $got"
