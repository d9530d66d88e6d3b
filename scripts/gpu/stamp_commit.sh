#!/usr/bin/env bash
# Run HERE (in the repository) before a device call: writes .infbench_commit, the commit the device
# build records (cmake/WriteCommit.cmake reads it where the copy has no .git). Carry it with the
# call (run ... carry: [".infbench_commit", ".gpu-deps"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
commit=$(git rev-parse --short HEAD)
[[ -z $(git status --porcelain --untracked-files=no) ]] || commit+="-dirty"
echo "$commit" > .infbench_commit
echo "stamped $commit into .infbench_commit"
