"""`infbench predict` on a zoo model with every framework the binary has: each matches the zoo's
PyTorch reference (and so each other). Frameworks and their zoo files come from
`infbench info --json` (BackendInfo::zoo_files), so a new adapter is checked without editing this.

Usage: predict_every_framework.py INFBENCH MODELS_DIR MODEL OUT_DIR
Relative error is max|a - b| / max|reference|; top-1 must match on every sample.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

binary, models, model, out_dir = sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
manifest = json.loads((models / "manifest.json").read_text())
files = manifest["models"][model]["files"]
reference = np.load(models / model / f"{model}.sample_output.npy")
frameworks = json.loads(subprocess.run([binary, "info", "--json"], check=True,
                                       capture_output=True, text=True).stdout)


def zoo_file(kinds, batch):
    for kind in kinds:
        kind = kind.replace("{precision}", "fp32").replace("{batch}", str(batch))
        if kind in files:
            return models / files[kind]["path"]
    return None


failed, checked = False, 0
for fw in frameworks:
    kinds = fw.get("zoo_files", [])
    if not kinds:
        continue  # reads no zoo file (fake, ensemble)
    batch, path = next(((b, zoo_file(kinds, b)) for b in (3, 8, 1) if zoo_file(kinds, b)),
                       (None, None))
    if path is None:
        if all("{batch}" in k for k in kinds):
            print(f"{fw['name']}: no per-batch file for {model} here (kinds {kinds}): not checked")
            continue
        print(f"{fw['name']}: {model} has no file of kinds {kinds} in the manifest")
        failed = True
        continue
    out = out_dir / f"{model}_{fw['name']}.npy"
    run = subprocess.run([binary, "predict", "--model", str(path), "--framework", fw["name"],
                          "--batch-size", str(batch), "--threads", "2",
                          "--input", str(models / model / f"{model}.sample_input.npy"),
                          "--output", str(out)], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"{fw['name']}: predict failed ({run.returncode}): {run.stderr.strip()}")
        failed = True
        continue
    got = np.load(out)
    err = float(np.abs(got - reference).max() / np.abs(reference).max())
    same_top1 = bool((got.argmax(1) == reference.argmax(1)).all())
    print(f"{fw['name']}: {path.name} batch {batch} shape {got.shape} rel_err {err:.2e} "
          f"top1_match {same_top1}")
    failed |= got.shape != reference.shape or err > 1e-4 or not same_top1
    checked += 1
if checked == 0:
    print("no framework with a zoo file was checked")
    failed = True
sys.exit(1 if failed else 0)
