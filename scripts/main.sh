#!/usr/bin/env bash
# The main job (README): set-up, the paper's four models, then a benchmark over them with every
# CPU framework built in, ending with a report. Rerunning reuses what is already built.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --build-type Release
/usr/bin/python3 tools/model_zoo.py --opencv-batch-sizes 1,8 resnet50 efficientnet_b0 densenet201 vgg19
/usr/bin/python3 bench/first_look.py --models resnet50,efficientnet_b0,densenet201,vgg19 \
  --batch-sizes 1,8 --out out/first_look
