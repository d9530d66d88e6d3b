"""Checks `infbench predict` outputs against the model zoo's PyTorch reference and each other.

Usage: check_outputs.py REFERENCE.npy OUT.npy [OUT.npy ...]
Relative error is max|a - b| / max|reference|; top-1 must match on every sample.
"""
import sys

import numpy as np

reference = np.load(sys.argv[1])
failed = False
for path in sys.argv[2:]:
    out = np.load(path)
    err = float(np.abs(out - reference).max() / np.abs(reference).max())
    same_top1 = bool((out.argmax(1) == reference.argmax(1)).all())
    print(f"{path}: shape {out.shape} rel_err {err:.2e} top1_match {same_top1}")
    failed |= out.shape != reference.shape or err > 1e-4 or not same_top1
sys.exit(1 if failed else 0)
