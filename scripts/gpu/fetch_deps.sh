#!/usr/bin/env bash
# Run HERE (the Debian development machine), before a device call: gathers what the GPU machine
# lacks into .gpu-deps/ (git-ignored through .git/info/exclude; name it in the device tool's
# `carry`). The GPU machine (Ubuntu 24.04) has no package registry; PyTorch, CUDA, CMake and ninja
# are there, the small C++ libraries infbench uses may not be. Carried: Debian 12 .debs of CLI11,
# fmt, nlohmann-json, yaml-cpp, SQLite and GoogleTest, extracted; ONNX Runtime's headers (its
# library comes from the Python wheel there); Chart.js for the report. About 10 MB, also packed as
# .gpu-deps.tar.xz (~2 MB): carry that one, because the tracked tree (~58 MB, mostly result
# databases) and the folder together exceed the 64 MiB a call may carry.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=.gpu-deps
grep -qx '/.gpu-deps/' .git/info/exclude 2>/dev/null || echo '/.gpu-deps/' >> .git/info/exclude
grep -qx '/.gpu-deps.tar.xz' .git/info/exclude 2>/dev/null || echo '/.gpu-deps.tar.xz' >> .git/info/exclude
[[ -f .deps/onnxruntime/include/onnxruntime_cxx_api.h && -f .deps/chartjs/chart.umd.js ]] ||
  { echo "fetch_deps: run scripts/setup.sh first (it fetches ONNX Runtime and Chart.js)" >&2; exit 2; }
rm -rf "$DEST"; mkdir -p "$DEST/root" "$DEST/onnxruntime/include" "$DEST/chartjs"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q libcli11-dev libfmt-dev libfmt9 nlohmann-json3-dev \
   libyaml-cpp-dev libyaml-cpp0.7 libsqlite3-dev libsqlite3-0 libgtest-dev >/dev/null)
for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$DEST/root"; done
rm -rf "$DEST/root/usr/share/doc" "$DEST/root/usr/share/man" "$DEST/root/usr/src"
cp .deps/onnxruntime/include/*.h "$DEST/onnxruntime/include/"
cp .deps/chartjs/chart.umd.js "$DEST/chartjs/"
# The PJRT C API header (the xla adapter; the GPU machine has the plugin but no header), from the
# TensorFlow wheel setup.sh installed. build_on_device.sh passes it as PJRT_C_API_INCLUDE_DIR.
pjrt_h=$(ls .deps/venv/lib/python3*/site-packages/tensorflow/include/xla/pjrt/c/pjrt_c_api.h | head -1)
mkdir -p "$DEST/pjrt/include/xla/pjrt/c" && cp "$pjrt_h" "$DEST/pjrt/include/xla/pjrt/c/"
du -sh "$DEST"
tar -cJf .gpu-deps.tar.xz "$DEST"
du -sh .gpu-deps.tar.xz
