#!/usr/bin/env bash
# One-shot, idempotent set-up on Debian 12: Debian packages, ONNX Runtime from npm, OpenVINO and
# TensorFlow from PyPI (into the virtual environment .deps/venv), the build.
# Safe to rerun: every step checks whether its result is already there.
# Usage: scripts/setup.sh [--no-build] [--build-type Release|Debug] [--target NAME]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1
BUILD_TYPE=Release
TARGET=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --build-type) BUILD_TYPE="$2"; shift ;;
    --target) TARGET=(--target "$2"); shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# Debian packages: compilers and tools, the frameworks (LibTorch, OpenCV), the libraries we use,
# and the Python side of the model zoo (Debian's torch; the pyenv python3 on PATH cannot see it);
# clang-16 with its run-time libraries for the libFuzzer targets (fuzz/, docs/hardening.md), and
# llvm-16 for its llvm-symbolizer (libFuzzer names new functions through it; without one every
# target warns "invalid path to external symbolizer" and sanitizer stacks lose their lines).
# munge and Slurm (22.05) are for the tests/slurm checks, which start a private one-node cluster
# (tests/slurm/local_cluster.sh); the packages' own services need /etc/slurm/slurm.conf, which
# set-up never writes, so they stay down.
PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcli11-dev nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libyaml-cpp-dev sqlite3 chromium libopenmpi-dev openmpi-bin
  munge slurmctld slurmd slurm-client
  libtorch-dev libopenblas0-pthread libopencv-dev
  python3 python3-venv python3-numpy python3-torch python3-torchvision python3-onnx python3-opencv clang-format
  clang-16 libclang-rt-16-dev llvm-16
  dataset-fashion-mnist fonts-dejavu-core
)
missing=()
# npm fetches ONNX Runtime; a machine may already have Node.js from elsewhere (its npm then wins).
command -v npm >/dev/null || missing+=(npm)
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# ONNX Runtime (CPU): the npm package carries the Linux shared library and the C/C++ headers
# (inside its iOS framework folder; they are plain cross-platform headers, API version 29).
ORT_PKG="com.github.asus4.onnxruntime@0.4.9"
ORT_DIR="$PWD/.deps/onnxruntime"
if [[ ! -f "$ORT_DIR/lib/libonnxruntime.so.1" || ! -f "$ORT_DIR/include/onnxruntime_cxx_api.h" ]]; then
  echo "setup: fetching ONNX Runtime ($ORT_PKG, ~150 MB) from npm"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$ORT_PKG" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/Plugins/Linux/x64 \
    'package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
  rm -rf "$ORT_DIR"; mkdir -p "$ORT_DIR/lib" "$ORT_DIR/include"
  cp "$tmp"/package/Plugins/Linux/x64/*.so "$ORT_DIR/lib/"
  cp "$tmp"/package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers/*.h "$ORT_DIR/include/"
  # The library's SONAME is libonnxruntime.so.1; the loader looks for that name.
  mv "$ORT_DIR/lib/libonnxruntime.so" "$ORT_DIR/lib/libonnxruntime.so.1"
  ln -sf libonnxruntime.so.1 "$ORT_DIR/lib/libonnxruntime.so"
  echo "$ORT_PKG" > "$ORT_DIR/VERSION"
else
  echo "setup: ONNX Runtime present in $ORT_DIR"
fi

# Chart.js for the HTML reports (inlined into each report, so pages work offline).
CHARTJS_PKG="chart.js@4.4.9"
CHARTJS_DIR="$PWD/.deps/chartjs"
if [[ ! -f "$CHARTJS_DIR/chart.umd.js" ]]; then
  echo "setup: fetching $CHARTJS_PKG from npm"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$CHARTJS_PKG" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  mkdir -p "$CHARTJS_DIR"
  umd=$(ls "$tmp"/package/dist/chart.umd*.js | head -1)
  cp "$umd" "$CHARTJS_DIR/chart.umd.js"
  cp "$tmp"/package/LICENSE.md "$CHARTJS_DIR/" 2>/dev/null || true
  echo "$CHARTJS_PKG" > "$CHARTJS_DIR/VERSION"
  rm -rf "$tmp"
else
  echo "setup: Chart.js present in $CHARTJS_DIR"
fi

# One virtual environment per set of pins that must not move another's: created with Debian's
# Python, filled from its requirements file, reinstalled only when that file changes.
#   pip_venv DIR REQUIREMENTS SIZE WHAT
pip_venv() {
  local venv="$PWD/$1" reqs="$2"
  if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$reqs" "$venv/infbench-requirements.txt"; then
    echo "setup: installing $(grep -cv '^#' "$reqs") PyPI packages into $venv ($3)"
    [[ -x "$venv/bin/python" ]] || /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs"
    cp "$reqs" "$venv/infbench-requirements.txt"
  else
    echo "setup: $4 present in $venv"
  fi
}

# OpenVINO and TensorFlow (CPU): their PyPI wheels are C++ SDKs (headers, libraries, OpenVINO's
# CMake package and benchmark_app); CMake finds them in .deps/venv (CMakeLists.txt).
pip_venv .deps/venv scripts/requirements-frameworks.txt "~700 MB" "PyPI frameworks"
# XLA through PJRT: the CPU plugin and jax (tools/xla_zoo.py exports StableHLO), in a venv of their
# own (jax pins its own numpy and ml_dtypes). CMake finds the plugin there and the PJRT C API header
# in .deps/venv's TensorFlow wheel.
pip_venv .deps/venv-xla scripts/requirements-xla.txt "~500 MB" "XLA's CPU plugin and jax"
# Apache TVM for the tvm adapter and tools/tvm_zoo.py (cmake/FindTVMRuntime.cmake), in a venv of
# its own (its pins must not move .deps/venv's).
pip_venv .deps/venv-mlir scripts/requirements-mlir.txt "~400 MB" "Apache TVM"
# ONNX Runtime's Python wheel and Pillow for tools/ppocr_zoo.py (a pretrained model with a rendered
# labelled set, docs/metrics.md "Accuracy"), apart from .deps/venv's pins.
pip_venv .deps/venv-accuracy scripts/requirements-accuracy.txt "~60 MB" "ONNX Runtime (Python) and Pillow"

if [[ $BUILD -eq 1 ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DONNXRUNTIME_ROOT="$ORT_DIR" -DINFBENCH_WERROR=ON
  cmake --build build -j"$(nproc)" "${TARGET[@]}"
fi
