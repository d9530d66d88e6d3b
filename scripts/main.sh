#!/usr/bin/env bash
# The main job (README): set-up, the paper's four models, the paper's CPU experiment as a sweep
# (configs/paper-cpu.yaml) into a SQLite database, an ensemble study, and the HTML report.
# Rerunning reuses what is built; an earlier database is kept under a dated name.
set -euo pipefail
cd "$(dirname "$0")/.."

# Only the CLI is built here (the tests and benchmarks are scripts/test.sh's).
scripts/setup.sh --build-type Release --target infbench
/usr/bin/python3 tools/model_zoo.py --opencv-batch-sizes 1,8 resnet50 efficientnet_b0 densenet201 vgg19
# The same four models for TensorFlow, with the same weights (OpenVINO reads the ONNX files).
.deps/venv/bin/python tools/tf_zoo.py resnet50 efficientnet_b0 densenet201 vgg19
.deps/venv-xla/bin/python tools/xla_zoo.py resnet50 efficientnet_b0 densenet201 vgg19 --batch-sizes 1,8

mkdir -p out
db=out/paper-cpu.db
if [[ -f "$db" ]]; then
  mv "$db" "out/paper-cpu.$(date -u +%Y%m%dT%H%M%SZ).db"
  rm -f "$db-wal" "$db-shm"
fi
build/infbench sweep configs/paper-cpu.yaml --db "$db"
# The ensemble study on real data (docs/ensembles.md): three Fashion-MNIST CNNs in three
# frameworks, co-location modes, interference and top-1 on the 10,000 test images, into the same
# database, so the report has its Ensembles section.
/usr/bin/python3 tools/fashion_mnist_zoo.py
build/infbench ensemble configs/ensembles/fashion-mnist.yaml --batch-sizes 1,32 \
  --min-duration-s 2 --interference-s 2 --input models/fashion_mnist/test_images.npy \
  --labels models/fashion_mnist/test_labels.npy --db "$db" --markdown out/fashion-mnist-ensemble.md
build/infbench report "$db" --out out/paper-cpu-report
build/infbench export "$db" --format csv --out out/paper-cpu.csv
# Every point as a table and the fastest framework per model and batch (from the database).
build/infbench report --markdown "$db" > out/paper-cpu.md
echo "main: report at out/paper-cpu-report/index.html (open it in a browser; it works offline);" \
  "tables in out/paper-cpu.md"
