# Sourced ON THE GPU MACHINE by scripts/gpu/run_*.sh (after they set START and read their
# arguments): gives them $OUT (default out/gpu), elapsed and say, prints the machine, and defines
# infbench_build_on_device, which builds infbench into build-gpu against the preinstalled PyTorch's
# LibTorch (CUDA) and the ONNX Runtime library of its Python wheel, with the small C++ libraries
# carried in .gpu-deps (scripts/gpu/fetch_deps.sh).
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
elapsed() { echo $(( $(date +%s) - START )); }
say() { echo "[$(elapsed) s] $*"; }
say "machine: $(nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit --format=csv,noheader | head -1), $(nproc) CPUs"
DEPS=$PWD/.gpu-deps
[[ -d $DEPS/root || ! -f .gpu-deps.tar.xz ]] || tar -xJf .gpu-deps.tar.xz
[[ -d $DEPS/root ]] || { echo ".gpu-deps missing: run scripts/gpu/fetch_deps.sh here and carry .gpu-deps.tar.xz" >&2; exit 2; }
PY=python3
# The commit records carry: the copy's own .git is not this commit (cmake/WriteCommit.cmake).
[[ -f .infbench_commit ]] && export INFBENCH_COMMIT=$(head -1 .infbench_commit)
TORCH_PREFIX=$($PY -c 'import torch; print(torch.utils.cmake_prefix_path)')
ORT_LIB=$($PY -c 'import onnxruntime, os, glob; print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so.*")))[-1])')
mkdir -p "$DEPS/onnxruntime/lib"
ln -sf "$ORT_LIB" "$DEPS/onnxruntime/lib/libonnxruntime.so.1"
ln -sf libonnxruntime.so.1 "$DEPS/onnxruntime/lib/libonnxruntime.so"
# The PJRT C API header carried by fetch_deps.sh (the xla adapter); absent: no xla adapter.
PJRT_INCLUDE=""
[[ -f $DEPS/pjrt/include/xla/pjrt/c/pjrt_c_api.h ]] && PJRT_INCLUDE=$DEPS/pjrt/include
say "torch $($PY -c 'import torch; print(torch.__version__)'), onnxruntime library $ORT_LIB"

infbench_build_on_device() {
  say "configure + build"
  # Warnings are not errors here: g++ 13 warns where the CI compiler (g++ 12) does not, and a device
  # call is too dear to lose to a warning. CI builds with INFBENCH_WERROR=ON.
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$DEPS/root/usr" -DONNXRUNTIME_ROOT="$DEPS/onnxruntime" \
    -DINFBENCH_CHARTJS="$DEPS/chartjs/chart.umd.js" -DINFBENCH_WITH_OPENCV=OFF \
    -DINFBENCH_BUILD_BENCH="${INFBENCH_BENCH:-OFF}" -DINFBENCH_WERROR=OFF \
    ${PJRT_INCLUDE:+-DPJRT_C_API_INCLUDE_DIR="$PJRT_INCLUDE"} > "$OUT/build.log" 2>&1 ||
    { tail -40 "$OUT/build.log"; exit 1; }
  grep "infbench frameworks" "$OUT/build.log"
  cmake --build build-gpu -j 16 >> "$OUT/build.log" 2>&1 || { grep -E "error|Error" "$OUT/build.log" | head -40; exit 1; }
  echo "build warnings: $(grep -c "warning:" "$OUT/build.log" || true)"
  say "built"
  build-gpu/infbench info
}

# AOTInductor fp16 packages for MODELS (space-separated): `tools/aoti_zoo.py packages MODEL
# --precision fp16 ARGS...` in one process per model at once (each compile leaves most of the 16
# cores idle part of the time), then one pass that finds them all present and lists every one in
# the zoo manifest (the parallel writers may have overwritten each other's manifest entries).
# Logs to $OUT/zoo.log.
aoti_packages_in_parallel() {
  local models="$1" pids=() m
  shift
  for m in $models; do
    PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py packages "$m" --precision fp16 "$@" >> "$OUT/zoo.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || return 1; done
  # shellcheck disable=SC2086
  PYTHONUNBUFFERED=1 $PY tools/aoti_zoo.py packages $models --precision fp16 "$@" >> "$OUT/zoo.log" 2>&1
}
# One package per model and batch size in BATCHES (comma-separated).
build_aoti_packages() { aoti_packages_in_parallel "$1" --batch-sizes "$2"; }
# One package per model whose batch dimension is symbolic, 1..MAX (tools/aoti_zoo.py
# --dynamic-batch): one compile for every batch size of a plan.
build_aoti_dynamic_packages() { aoti_packages_in_parallel "$1" --dynamic-batch "$2"; }
