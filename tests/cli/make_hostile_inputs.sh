#!/usr/bin/env bash
# Writes the hostile inputs of the cli.hostile_* tests into DIR: .npy files whose headers lie,
# paths that are directories, FIFOs and symbolic link loops, and a plan of millions of points.
# Usage: make_hostile_inputs.sh DIR
set -euo pipefail
dir="$1/hostile"
rm -rf "$dir"; mkdir -p "$dir"
# npy FILE HEADER_DICT DATA_BYTES: a version 1.0 .npy with the given header and zero bytes of data.
npy() {
  python3 - "$dir/$1" "$2" "$3" <<'PY'
import struct, sys
path, header, data = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * data)
PY
}
npy claims_too_much.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000), }" 16
npy overflow.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }" 16
npy negative.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }" 16
npy garbage.npy "{'descr': '<f4', 'fortran_order': False, 'shape': (4, x), }" 16
# A header length of 60000 in a 100-byte file.
python3 -c "import sys; sys.stdout.buffer.write(b'\x93NUMPY\x01\x00' + (60000).to_bytes(2, 'little') + b'{' * 90)" \
  > "$dir/header_past_end.npy"
mkdir "$dir/a_directory.npy" "$dir/a_directory.onnx"
mkfifo "$dir/fifo.npy" "$dir/fifo.yaml" "$dir/fifo.onnx"
ln -s loop_b.npy "$dir/loop_a.npy"; ln -s loop_a.npy "$dir/loop_b.npy"
ln -s loop.onnx "$dir/loop.onnx"
# 100 x 100 x 100 settings x 2 batch sizes = 2,000,000 points.
seq100=$(seq -s, 0 99)
cat > "$dir/million_points.yaml" <<YAML
name: million
models: [fake]
frameworks:
  fake: {delay_ms: [$seq100], per_sample_us: [$seq100], shift: [$seq100]}
batch_sizes: [1, 2]
YAML
# A model name longer than a path may be (ENAMETOOLONG): found by the plan fuzzer, where it escaped
# as std::filesystem_error.
long_name=$(printf 'a%.0s' $(seq 1 5000))
printf 'name: long\nmodels: [%s]\nframeworks: {onnxruntime: {}}\nbatch_sizes: [1]\n' "$long_name" \
  > "$dir/long_name.yaml"
