#!/usr/bin/env bash
# Float against uint8 pixel inputs on this machine's CPU frameworks (configs/pixel-inputs-cpu.yaml,
# issue 17 item 3), into a database and a README generated from it (`infbench report --markdown`).
# Needs the zoo's resnet50 and resnet50_u8 (tools/model_zoo.py, tools/xla_zoo.py --batch-sizes 8).
# Usage: bench/pixel_inputs_cpu.sh [OUT_DIR]   (default results/pixel-inputs-cpu-dev-vm)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/pixel-inputs-cpu-dev-vm}
mkdir -p "$out"
rm -f "$out/pixel-inputs-cpu.db"
build/infbench sweep configs/pixel-inputs-cpu.yaml --db "$out/pixel-inputs-cpu.db"
{
  echo "# Float against uint8 pixel inputs, ResNet-50 on the CPU (generated)"
  echo
  echo "Command: \`bench/pixel_inputs_cpu.sh $out\` (configs/pixel-inputs-cpu.yaml). resnet50_u8 is"
  echo "resnet50's weights behind a uint8 [N,224,224,3] input that the program normalises itself"
  echo "(tools/README.md). Tables: \`infbench report --markdown\` of the database; edit the data."
  echo
  build/infbench report "$out/pixel-inputs-cpu.db" --markdown
} > "$out/README.md"
echo "wrote $out/README.md"
