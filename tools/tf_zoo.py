#!/usr/bin/env python3
"""Convert the zoo's ONNX models into TensorFlow SavedModels with the same weights.

Why this exists
---------------
infbench's TensorFlow adapter (C API) must run the *same* network as ONNX
Runtime, LibTorch and OpenCV, so its outputs can be compared with the zoo's
PyTorch reference (``models/<m>/<m>.sample_output.npy``).  The zoo builds every
artefact from one set of seeded-random weights; this script takes the zoo's
``<m>.onnx`` (so nothing is re-derived from PyTorch) and rebuilds the graph
with TensorFlow ops:

* the ONNX graph is read with ``onnx`` + ``onnx.numpy_helper`` and interpreted
  node by node inside a ``tf.function`` (a small converter for exactly the ops
  torchvision's exports use; any other op stops the conversion with a clear
  error rather than guessing),
* 4-D tensors run in NHWC internally (TensorFlow's CPU Conv2D/pooling kernels
  want NHWC): the NCHW input is transposed once at the start, weights are
  transposed in numpy, and a 4-D tensor is transposed back to NCHW before any
  Flatten/Reshape so the element order is exactly ONNX's,
* weights become ``tf.Variable`` s (stored under ``variables/``),
* the SavedModel's ``serving_default`` signature takes ``input`` float32
  [None,3,224,224] (NCHW, like the ONNX model, dynamic batch) and returns
  ``logits``.

Two variants per model: ``<m>.tf/`` (plain graph; XLA can still be switched on
at session level by auto-clustering) and ``<m>.tf_xla/`` (the same function
under ``tf.function(jit_compile=True)``: XLA must compile it).

Each is loaded back with ``tf.saved_model.load`` and checked against the zoo's
reference at batch 4 and 3 (rel err max|a-b|/max|ref| <= 1e-4, same top-1).
``--bench`` also loads both through the TF1 session API (what the C API's
TF_LoadSessionFromSavedModel does), with and without session-level XLA, and
times batch 8.

Run with the project venv's python (it has tensorflow-cpu and onnx):

    .deps/venv/bin/python tools/tf_zoo.py resnet18 mobilenet_v3_small
    .deps/venv/bin/python tools/tf_zoo.py --all --bench

See tools/README.md ("tf_zoo.py") for the manifest fields.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import model_zoo  # noqa: E402  (model list, hashing, rel_err, manifest helpers; no torch import)

# Heavy imports are done lazily so --help and name validation are instant.
tf = None  # type: ignore
onnx = None  # type: ignore
numpy_helper = None  # type: ignore

# Bump when the SavedModels this script writes change (older ones are rebuilt).
CONVERTER_VERSION = 1
REL_ERR_TOL = model_zoo.REL_ERR_TOL
KINDS = {"tf_savedmodel": "tf", "tf_savedmodel_xla": "tf_xla"}  # kind -> dir suffix
CHECK_BATCHES = (4, 3)   # rows of the zoo's sample input used for the checks
BENCH_BATCH = 8
BENCH_RUNS = 5
INPUT_NAME, OUTPUT_NAME = "input", "logits"
SIGNATURE = "serving_default"
NCHW_TO_NHWC, NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)

log = model_zoo.log


class ConvertError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# directory hash
# --------------------------------------------------------------------------

def dir_files(d: Path) -> List[str]:
    return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())


def dir_record(out_dir: Path, d: Path) -> dict:
    """sha256 of the sha256sum-style listing "<sha256>  <relative path>\\n" of
    every file, sorted by path; the same as
    (cd DIR && find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum) | sha256sum
    """
    listing, total = [], 0
    for rel in dir_files(d):
        p = d / rel
        listing.append(f"{model_zoo.sha256_of(p)}  {rel}\n")
        total += p.stat().st_size
    digest = hashlib.sha256("".join(listing).encode()).hexdigest()
    return {"path": d.relative_to(out_dir).as_posix(), "sha256": digest,
            "bytes": total, "files": len(listing), "batch": "dynamic"}


# --------------------------------------------------------------------------
# ONNX -> TensorFlow
# --------------------------------------------------------------------------

class Val:
    """A tensor of the ONNX graph as the converter holds it: a tf tensor or a
    numpy constant; nhwc=True means a 4-D tensor stored transposed to NHWC."""
    __slots__ = ("t", "nhwc")

    def __init__(self, t, nhwc: bool = False):
        self.t, self.nhwc = t, nhwc

    @property
    def const(self) -> bool:
        return isinstance(self.t, np.ndarray)

    @property
    def rank(self) -> int:
        return self.t.ndim if self.const else self.t.shape.rank


def attrs_of(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pair(v, name: str) -> tuple:
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise ConvertError(f"only 2-D {name} supported, got {v}")
    return v


class OnnxToTf:
    """Holds the weights (tf.Variables) and interprets the ONNX graph."""

    def __init__(self, model_proto):
        g = model_proto.graph
        self.graph = g
        self.inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        ins = [i for i in g.input if i.name not in self.inits]
        if len(ins) != 1 or len(g.output) != 1:
            raise ConvertError("expected one graph input and one output")
        self.input_name, self.output_name = ins[0].name, g.output[0].name
        dims = ins[0].type.tensor_type.shape.dim
        self.input_shape = [None if (d.dim_param or not d.dim_value) else d.dim_value
                            for d in dims]
        if len(self.input_shape) != 4 or None in self.input_shape[1:]:
            raise ConvertError(f"expected a 4-D NCHW input with static C,H,W, "
                               f"got {self.input_shape}")
        self.input_shape[0] = None
        self.variables: List = []   # every weight, in graph order
        self._params: Dict[tuple, object] = {}
        self._env: Dict[str, Val] = {}
        self.unsupported = sorted({n.op_type for n in g.node} - set(OPS))
        if self.unsupported:
            raise ConvertError(f"unsupported ONNX op(s): {', '.join(self.unsupported)}")

    # weights -----------------------------------------------------------
    def param(self, key: tuple, make) -> object:
        """A tf.Variable made once per (initializer, transform) key."""
        if key not in self._params:
            arr = np.ascontiguousarray(make(), dtype=np.float32)
            name = re.sub(r"[^A-Za-z0-9_.\-/]", "_", "_".join(map(str, key))).strip("_/.")
            v = tf.Variable(arr, trainable=False, name=name[-120:] or "w")
            self.variables.append(v)
            self._params[key] = v
        return self._params[key]

    def const_input(self, node, i: int) -> np.ndarray:
        name = node.input[i]
        v = self._env.get(name)
        if v is None or not v.const:   # initializers, also through Identity/Constant
            raise ConvertError(f"{node.op_type} {node.name}: input {i} ({name}) must be "
                               "a constant")
        return v.t

    # the graph ---------------------------------------------------------
    def __call__(self, x):
        env: Dict[str, Val] = {k: Val(v) for k, v in self.inits.items()}
        self._env = env
        env[self.input_name] = Val(tf.transpose(x, NCHW_TO_NHWC), nhwc=True)
        for node in self.graph.node:
            ins = [env[n] if n else None for n in node.input]
            outs = OPS[node.op_type](self, node, ins, attrs_of(node))
            if not isinstance(outs, (list, tuple)):
                outs = [outs]
            for name, v in zip(node.output, outs):
                if name:
                    env[name] = v
        y = to_plain(env[self.output_name])
        return tf.convert_to_tensor(y, dtype=tf.float32)


# layout helpers ------------------------------------------------------------

def to_plain(v: Val):
    """The tensor in ONNX's own layout (NCHW for 4-D)."""
    if v.nhwc:
        return tf.transpose(v.t, NHWC_TO_NCHW)
    return v.t


def to_nhwc_like(v: Val):
    """Operand of a broadcast op whose other operand is NHWC: align it to NHWC
    (an ONNX operand of rank < 4 broadcasts against the trailing NCHW axes)."""
    if v.nhwc:
        return v.t
    if v.const:
        a = v.t.reshape((1,) * (4 - v.t.ndim) + v.t.shape) if v.t.ndim < 4 else v.t
        if a.ndim != 4:
            raise ConvertError(f"cannot broadcast rank-{a.ndim} constant against NHWC")
        return np.ascontiguousarray(a.transpose(NCHW_TO_NHWC))
    t = v.t
    r = t.shape.rank
    if r > 4:
        raise ConvertError("cannot broadcast rank > 4 against a 4-D tensor")
    for _ in range(4 - r):
        t = tf.expand_dims(t, 0)
    return tf.transpose(t, NCHW_TO_NHWC)


def nchw_axis_to_nhwc(axis: int) -> int:
    return NCHW_TO_NHWC.index(axis % 4)


def conv_padding(pads, kernel, strides, dilations):
    """TF padding argument for ONNX pads [top, left, bottom, right] (NHWC)."""
    t, l, b, r = pads
    if not any(pads):
        return "VALID"
    same = all(s == 1 for s in strides)
    for (lo, hi), k, d in (((t, b), kernel[0], dilations[0]), ((l, r), kernel[1], dilations[1])):
        total = d * (k - 1)
        same = same and lo == total // 2 and hi == total - total // 2
    if same:
        return "SAME"
    return [[0, 0], [t, b], [l, r], [0, 0]]


def pool_pads(a: dict, x, kernel, strides) -> list:
    """ONNX pool pads [top, left, bottom, right], plus ceil_mode's extra
    bottom/right padding (PyTorch/ONNX rule: the last window must start inside
    the input or its left padding)."""
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ConvertError("auto_pad is not supported")
    pads = [int(p) for p in a.get("pads", [0, 0, 0, 0])]
    if a.get("ceil_mode", 0):
        for i in (0, 1):
            size, lo, hi = x.shape[1 + i], pads[i], pads[2 + i]
            out = -(-(size + lo + hi - kernel[i]) // strides[i]) + 1
            if (out - 1) * strides[i] >= size + lo:
                out -= 1
            pads[2 + i] += max(0, (out - 1) * strides[i] + kernel[i] - (size + lo + hi))
    return pads


# op implementations ----------------------------------------------------------

def op_conv(cv: OnnxToTf, node, ins, a):
    x = ins[0]
    if not x.nhwc:
        raise ConvertError(f"Conv {node.name}: input is not a 4-D activation")
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ConvertError("Conv auto_pad is not supported")
    w = cv.const_input(node, 1)                     # [O, I/g, kh, kw]
    kernel = pair(a.get("kernel_shape", w.shape[2:]), "kernel")
    strides = pair(a.get("strides", [1, 1]), "strides")
    dil = pair(a.get("dilations", [1, 1]), "dilations")
    pads = [int(p) for p in a.get("pads", [0, 0, 0, 0])]
    group = int(a.get("group", 1))
    padding = conv_padding(pads, kernel, strides, dil)
    c_in = x.t.shape[3]
    wname = node.input[1]
    if group == 1:
        f = cv.param((wname, "hwio"), lambda: w.transpose(2, 3, 1, 0))
        y = tf.nn.conv2d(x.t, f, [1, *strides, 1], padding, dilations=[1, *dil, 1])
    elif group == c_in and w.shape[1] == 1:         # depthwise, multiplier O/C
        m = w.shape[0] // group
        f = cv.param((wname, "hwcm"),
                     lambda: w.reshape(group, m, *w.shape[2:]).transpose(2, 3, 0, 1))
        y = tf.nn.depthwise_conv2d(x.t, f, [1, *strides, 1], padding, dilations=dil)
    else:                                            # general grouped: split + concat
        o = w.shape[0] // group
        xs = tf.split(x.t, group, axis=3)
        ys = []
        for gi in range(group):
            f = cv.param((wname, "hwio", gi),
                         lambda gi=gi: w[gi * o:(gi + 1) * o].transpose(2, 3, 1, 0))
            ys.append(tf.nn.conv2d(xs[gi], f, [1, *strides, 1], padding,
                                   dilations=[1, *dil, 1]))
        y = tf.concat(ys, axis=3)
    if len(ins) > 2 and ins[2] is not None:
        bias = cv.param((node.input[2],), lambda: cv.const_input(node, 2))
        y = tf.nn.bias_add(y, bias)
    return Val(y, nhwc=True)


def op_batchnorm(cv: OnnxToTf, node, ins, a):
    if a.get("training_mode", 0):
        raise ConvertError("BatchNormalization in training mode")
    eps = float(a.get("epsilon", 1e-5))
    scale, bias, mean, var = (cv.const_input(node, i).astype(np.float64) for i in range(1, 5))
    mul = scale / np.sqrt(var + eps)
    add = bias - mean * mul
    x = ins[0]
    if x.nhwc:
        shape = (-1,)
    else:                                            # [N, C, ...]: channel axis 1
        shape = (-1,) + (1,) * (x.rank - 2)
    m = cv.param((node.input[1], "bn_mul"), lambda: mul.reshape(shape))
    b = cv.param((node.input[2], "bn_add"), lambda: add.reshape(shape))
    return Val(x.t * m + b, nhwc=x.nhwc)


def unary(fn):
    def op(cv, node, ins, a):
        return Val(fn(ins[0].t, a, node, cv), nhwc=ins[0].nhwc)
    return op


def hard_sigmoid(t, a, *_):
    alpha, beta = float(a.get("alpha", 0.2)), float(a.get("beta", 0.5))
    return tf.clip_by_value(t * alpha + beta, 0.0, 1.0)


def hard_swish(t, *_):
    # ONNX: x * max(0, min(1, x/6 + 1/2)); PyTorch computes x * relu6(x + 3) / 6
    return t * tf.nn.relu6(t + 3.0) * (1.0 / 6.0)


def clip(t, a, node, cv):
    lo, hi = a.get("min"), a.get("max")
    if len(node.input) > 1 and node.input[1]:
        lo = float(cv.const_input(node, 1))
    if len(node.input) > 2 and node.input[2]:
        hi = float(cv.const_input(node, 2))
    if lo == 0.0 and hi == 6.0:
        return tf.nn.relu6(t)
    if lo is not None:
        t = tf.maximum(t, lo)
    if hi is not None:
        t = tf.minimum(t, hi)
    return t


def binary(fn):
    def op(cv, node, ins, a):
        x, y = ins
        if x.const and y.const:
            return Val(np.asarray(fn(x.t, y.t)))
        if x.nhwc or y.nhwc:
            return Val(fn(to_nhwc_like(x), to_nhwc_like(y)), nhwc=True)
        return Val(fn(x.t, y.t))
    return op


def op_maxpool(cv, node, ins, a):
    x = ins[0]
    if len(node.output) > 1 and node.output[1]:
        raise ConvertError("MaxPool with Indices output")
    if any(int(d) != 1 for d in a.get("dilations", [1, 1])) or a.get("storage_order", 0):
        raise ConvertError("MaxPool dilations/storage_order are not supported")
    kernel = pair(a["kernel_shape"], "kernel")
    strides = pair(a.get("strides", [1, 1]), "strides")
    t, l, b, r = pool_pads(a, x.t, kernel, strides)
    xt = x.t
    if any((t, l, b, r)):
        # -inf padding + VALID, not MaxPool's explicit padding: XLA rejects
        # pooling with explicit padding ("XLA does not support pooling ops with
        # explicit padding"), so that would break jit_compile and split
        # auto-clustering; the pad is one cheap copy.
        xt = tf.pad(xt, [[0, 0], [t, b], [l, r], [0, 0]], constant_values=float("-inf"))
    return Val(tf.nn.max_pool2d(xt, kernel, strides, "VALID"), nhwc=True)


def op_avgpool(cv, node, ins, a):
    x = ins[0]
    kernel = pair(a["kernel_shape"], "kernel")
    strides = pair(a.get("strides", [1, 1]), "strides")
    t, l, b, r = pool_pads(a, x.t, kernel, strides)
    if not any((t, l, b, r)):
        return Val(tf.nn.avg_pool2d(x.t, kernel, strides, "VALID"), nhwc=True)
    if a.get("ceil_mode", 0) or not a.get("count_include_pad", 0):
        raise ConvertError("padded AveragePool needs count_include_pad=1 and ceil_mode=0")
    xp = tf.pad(x.t, [[0, 0], [t, b], [l, r], [0, 0]])
    return Val(tf.nn.avg_pool2d(xp, kernel, strides, "VALID"), nhwc=True)


def op_pad(cv, node, ins, a):
    x = ins[0]
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if len(node.input) > 3 and node.input[3]:
        raise ConvertError("Pad with axes is not supported")
    pads = ([int(p) for p in cv.const_input(node, 1)] if len(node.input) > 1
            else [int(p) for p in a["pads"]])
    value = (float(cv.const_input(node, 2)) if len(node.input) > 2 and node.input[2]
             else float(a.get("value", 0.0)))
    r = len(pads) // 2
    pairs = [[pads[i], pads[i + r]] for i in range(r)]
    if not any(pads):
        return x                  # torch exports AvgPool2d as Pad(0) + AveragePool
    if x.nhwc:
        pairs = [pairs[i] for i in NCHW_TO_NHWC]
    tf_mode = {"constant": "CONSTANT", "reflect": "REFLECT", "edge": "SYMMETRIC"}.get(mode)
    if tf_mode is None or (mode == "edge" and max(max(p) for p in pairs) > 1):
        raise ConvertError(f"Pad mode {mode!r} is not supported")
    return Val(tf.pad(x.t, pairs, mode=tf_mode, constant_values=value), nhwc=x.nhwc)


def op_gap(cv, node, ins, a):
    x = ins[0]
    if not x.nhwc:
        raise ConvertError("GlobalAveragePool on a non-4-D tensor")
    return Val(tf.reduce_mean(x.t, axis=[1, 2], keepdims=True), nhwc=True)


def op_flatten(cv, node, ins, a):
    x = ins[0]
    axis = int(a.get("axis", 1)) % max(x.rank, 1)
    if x.nhwc and axis == 1 and x.t.shape[1] == 1 and x.t.shape[2] == 1:
        t = x.t      # [N,1,1,C]: same element order as NCHW [N,C,1,1]
    else:
        t = to_plain(x)
    if x.const:
        return Val(t.reshape(int(np.prod(t.shape[:axis])), -1))
    static = t.shape.as_list()
    if axis == 1 and None not in static[1:]:
        return Val(tf.reshape(t, [-1, int(np.prod(static[1:]))]))
    s = tf.shape(t)
    return Val(tf.reshape(t, [tf.reduce_prod(s[:axis]), tf.reduce_prod(s[axis:])]))


def op_reshape(cv, node, ins, a):
    x = ins[0]
    shape = [int(s) for s in cv.const_input(node, 1)]
    if a.get("allowzero", 0):
        raise ConvertError("Reshape allowzero=1 is not supported")
    t = to_plain(x)
    if x.const:
        return Val(t.reshape([t.shape[i] if s == 0 else s for i, s in enumerate(shape)]))
    dyn = tf.shape(t)
    static = t.shape.as_list()
    target = []
    for i, s in enumerate(shape):
        if s == 0:
            target.append(static[i] if static[i] is not None else dyn[i])
        else:
            target.append(s)
    return Val(tf.reshape(t, target))


def op_gemm(cv, node, ins, a):
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    ta, tb = int(a.get("transA", 0)), int(a.get("transB", 0))
    x = to_plain(ins[0])
    if ta:
        x = tf.transpose(x)
    if ins[1].const:
        bm = cv.const_input(node, 1)
        w = cv.param((node.input[1], "gemm_T" if tb else "gemm"),
                     lambda: bm.T if tb else bm)
    else:
        w = to_plain(ins[1])
        if tb:
            w = tf.transpose(w)
    y = tf.matmul(x, w)
    if alpha != 1.0:
        y = y * alpha
    if len(ins) > 2 and ins[2] is not None:
        if ins[2].const:
            c = cv.param((node.input[2], "gemm_bias", beta),
                         lambda: cv.const_input(node, 2) * beta)
        else:
            c = to_plain(ins[2]) * beta
        y = y + c
    return Val(y)


def op_matmul(cv, node, ins, a):
    x = to_plain(ins[0])
    w = (cv.param((node.input[1],), lambda: cv.const_input(node, 1)) if ins[1].const
         else to_plain(ins[1]))
    return Val(tf.matmul(x, w))


def op_concat(cv, node, ins, a):
    axis = int(a["axis"])
    if all(v.nhwc or (v.rank == 4 and v.const) for v in ins) and any(v.nhwc for v in ins):
        return Val(tf.concat([to_nhwc_like(v) for v in ins], axis=nchw_axis_to_nhwc(axis)),
                   nhwc=True)
    if all(v.const for v in ins):
        return Val(np.concatenate([v.t for v in ins], axis=axis))
    return Val(tf.concat([to_plain(v) for v in ins], axis=axis))


def op_identity(cv, node, ins, a):
    if node.op_type == "Dropout" and len(node.output) > 1 and node.output[1]:
        raise ConvertError("Dropout mask output is not supported")
    return ins[0]


def op_constant(cv, node, ins, a):
    if "value" not in a:
        raise ConvertError("Constant without a tensor 'value'")
    return Val(numpy_helper.to_array(a["value"]))


OPS = {
    "Conv": op_conv,
    "BatchNormalization": op_batchnorm,
    "Relu": unary(lambda t, *_: tf.nn.relu(t)),
    "Sigmoid": unary(lambda t, *_: tf.sigmoid(t)),
    "HardSigmoid": unary(hard_sigmoid),
    "HardSwish": unary(hard_swish),
    "Clip": unary(clip),
    "Add": binary(lambda x, y: x + y),
    "Sub": binary(lambda x, y: x - y),
    "Mul": binary(lambda x, y: x * y),
    "Div": binary(lambda x, y: x / y),
    "MaxPool": op_maxpool,
    "AveragePool": op_avgpool,
    "GlobalAveragePool": op_gap,
    "Pad": op_pad,
    "Flatten": op_flatten,
    "Reshape": op_reshape,
    "Gemm": op_gemm,
    "MatMul": op_matmul,
    "Concat": op_concat,
    "Identity": op_identity,
    "Dropout": op_identity,
    "Constant": op_constant,
}


def make_module(onnx_path: Path):
    """{kind: tf.Module with the weights and its serving function}."""
    proto = onnx.load(str(onnx_path))
    conv = OnnxToTf(proto)
    spec = tf.TensorSpec(conv.input_shape, tf.float32, name=INPUT_NAME)

    def serve(input):  # noqa: A002  (the signature's input is called 'input')
        return {OUTPUT_NAME: conv(input)}

    # One eager run at batch 1 creates the variables (outside any tf.function)
    # and fails early on anything the converter cannot do.
    conv(tf.zeros([1, *conv.input_shape[1:]], tf.float32))
    # One module per variant (same variables): a saved module carries every
    # tf.function attached to it, and the plain one must not hold the jit one.
    modules = {}
    for kind in KINDS:
        m = tf.Module()
        m.weights = list(conv.variables)
        m.serve = tf.function(serve, input_signature=[spec],
                              jit_compile=(kind == "tf_savedmodel_xla"))
        modules[kind] = m
    ops = {}
    for n in proto.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    return modules, ops, conv.input_shape


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------

def check_savedmodel(d: Path, x: np.ndarray, ref: np.ndarray) -> dict:
    """Load back with tf.saved_model.load; rel err + top-1 at each CHECK_BATCHES."""
    loaded = tf.saved_model.load(str(d))
    fn = loaded.signatures[SIGNATURE]
    out = {"rel_err": {}, "top1_agree": {}}
    for b in CHECK_BATCHES:
        y = fn(**{INPUT_NAME: tf.constant(x[:b])})[OUTPUT_NAME].numpy()
        out["rel_err"][str(b)] = model_zoo.rel_err(y, ref[:b])
        out["top1_agree"][str(b)] = bool((y.argmax(1) == ref[:b].argmax(1)).all())
    return out


def xla_must_compile(d: Path) -> bool:
    """True if the saved graph marks a function _XlaMustCompile (jit_compile)."""
    from tensorflow.core.protobuf import saved_model_pb2
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((d / "saved_model.pb").read_bytes())
    for mg in sm.meta_graphs:
        for f in mg.graph_def.library.function:
            a = f.attr.get("_XlaMustCompile")
            if a is not None and a.b:
                return True
    return False


def signature_tensors(d: Path) -> dict:
    """Graph tensor names of the serving signature (what the C API feeds/fetches)."""
    from tensorflow.core.protobuf import saved_model_pb2
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((d / "saved_model.pb").read_bytes())
    for mg in sm.meta_graphs:
        if "serve" in mg.meta_info_def.tags and SIGNATURE in mg.signature_def:
            sig = mg.signature_def[SIGNATURE]
            return {"tags": ["serve"], "signature": SIGNATURE,
                    "input": sig.inputs[INPUT_NAME].name,
                    "output": sig.outputs[OUTPUT_NAME].name}
    raise ConvertError(f"{d}: no 'serve' meta graph with signature {SIGNATURE}")


# --------------------------------------------------------------------------
# --bench: a child process per variant and XLA mode (XLA flags are per process)
# --------------------------------------------------------------------------

XLA_LOG_PATTERNS = ("Compiled cluster using XLA", "XLA service")
# Graph nodes that say nothing about what XLA compiles (variable plumbing etc.)
PLUMBING_OPS = {"Identity", "IdentityN", "ReadVariableOp", "VarHandleOp", "Const", "NoOp",
                "_Arg", "_Retval", "AssignVariableOp", "RestoreV2", "SaveV2",
                "DisableCopyOnRead", "StringJoin", "StaticRegexFullMatch", "Select",
                "ShardedFilename", "MergeV2Checkpoints", "Pack", "StatefulPartitionedCall"}
# (label, kind, session_jit, remapping_off)
BENCH_MODES = (
    ("tf", "tf_savedmodel", False, False),
    ("tf+session_xla", "tf_savedmodel", True, False),
    ("tf+session_xla+remap_off", "tf_savedmodel", True, True),
    ("tf_xla", "tf_savedmodel_xla", False, False),
)


def bench_child(a: dict) -> dict:
    """Runs in a child: load through the TF1 session API (as the C API's
    TF_LoadSessionFromSavedModel does), optionally with session-level XLA
    auto-clustering, and time batch BENCH_BATCH."""
    import tensorflow as tf_
    from tensorflow.core.protobuf import rewriter_config_pb2
    tf1 = tf_.compat.v1
    tf1.disable_eager_execution()
    cfg = tf1.ConfigProto(intra_op_parallelism_threads=a["threads"],
                          inter_op_parallelism_threads=1)
    if a["jit"]:
        cfg.graph_options.optimizer_options.global_jit_level = tf1.OptimizerOptions.ON_1
    if a["remap_off"]:
        cfg.graph_options.rewrite_options.remapping = rewriter_config_pb2.RewriterConfig.OFF
    sig = a["sig"]
    x = np.load(a["x"])
    res = {}
    with tf1.Session(graph=tf1.Graph(), config=cfg) as sess:
        t0 = time.perf_counter()
        tf1.saved_model.loader.load(sess, sig["tags"], a["dir"])
        res["load_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        y = sess.run(sig["output"], {sig["input"]: x})
        res["first_run_s"] = round(time.perf_counter() - t0, 3)
        times = []
        for _ in range(BENCH_RUNS):
            t0 = time.perf_counter()
            sess.run(sig["output"], {sig["input"]: x})
            times.append(time.perf_counter() - t0)
        res["median_ms"] = round(1e3 * float(np.median(times)), 1)
    np.save(a["y"], y)
    return res


def clustering_summary(dump_dir: Path) -> dict:
    """What XLA auto-clustering marked, from --tf_xla_clustering_debug dumps."""
    from google.protobuf import text_format
    from tensorflow.core.framework import graph_pb2
    clusters: Dict[str, Dict[str, int]] = {}
    left: Dict[str, int] = {}
    for f in sorted(dump_dir.glob("mark_for_compilation*.pbtxt")):
        if "annotated" in f.name:
            continue
        g = graph_pb2.GraphDef()
        text_format.Parse(f.read_text(), g)
        for n in g.node:
            if n.op in PLUMBING_OPS:
                continue
            if "_XlaCluster" in n.attr:
                c = clusters.setdefault(f"{f.stem}/{n.attr['_XlaCluster'].s.decode()}", {})
                c[n.op] = c.get(n.op, 0) + 1
            else:
                left[n.op] = left.get(n.op, 0) + 1
    return {"clusters": len(clusters),
            "clustered_ops": sum(sum(c.values()) for c in clusters.values()),
            "largest_cluster": max(clusters.values(), key=lambda c: sum(c.values()), default={}),
            "not_clustered": dict(sorted(left.items()))}


def bench_model(name: str, dirs: Dict[str, Path], sigs: Dict[str, dict], threads: int) -> dict:
    x = model_zoo.random_input(BENCH_BATCH, model_zoo.CHECK_INPUT_SEED + BENCH_BATCH)
    out: dict = {"batch": BENCH_BATCH, "runs": BENCH_RUNS, "threads": threads,
                 "api": "tf.compat.v1 Session + saved_model.loader.load (like the C API)"}
    outs = {}
    with tempfile.TemporaryDirectory(prefix="tf_zoo_bench_") as tmp:
        x_path = Path(tmp) / "x.npy"
        np.save(x_path, x)
        for label, kind, jit, remap_off in BENCH_MODES:
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="0")
            dump = Path(tmp) / f"dump_{len(outs)}"
            if jit:
                env["TF_XLA_FLAGS"] = (env.get("TF_XLA_FLAGS", "") +
                                       " --tf_xla_cpu_global_jit --tf_xla_clustering_debug").strip()
                env["TF_DUMP_GRAPH_PREFIX"] = str(dump)
            y_path = Path(tmp) / f"y_{len(outs)}.npy"
            arg = {"dir": str(dirs[kind]), "sig": sigs[kind], "jit": jit, "remap_off": remap_off,
                   "x": str(x_path), "y": str(y_path), "threads": threads}
            p = subprocess.run([sys.executable, __file__, "--_bench-child", json.dumps(arg)],
                               env=env, capture_output=True, text=True)
            if p.returncode != 0:
                raise ConvertError(f"bench {label} failed: {p.stderr.strip()[-800:]}")
            r = json.loads(p.stdout.strip().splitlines()[-1])
            r["xla_compiled"] = "Compiled cluster using XLA" in p.stderr
            if jit:
                r["session_config"] = ("global_jit_level=ON_1, TF_XLA_FLAGS=--tf_xla_cpu_global_jit"
                                       + (", rewrite_options.remapping=OFF" if remap_off else ""))
                r["auto_clustering"] = clustering_summary(dump)
            outs[label] = np.load(y_path)
            out[label] = r
            extra = ""
            if jit:
                ac = r["auto_clustering"]
                extra = (f"; {ac['clusters']} cluster(s), {ac['clustered_ops']} ops clustered, "
                         f"not clustered: {ac['not_clustered'] or 'none'}")
            log(f"    {label:25s} first run {r['first_run_s']:.2f}s, median "
                f"{r['median_ms']:.0f} ms, XLA compiled: {r['xla_compiled']}{extra}")
    base = outs["tf"]
    out["rel_err_vs_tf"] = {k: model_zoo.rel_err(v, base) for k, v in outs.items() if k != "tf"}
    return out


# --------------------------------------------------------------------------
# manifest / up-to-date logic
# --------------------------------------------------------------------------

def status(out_dir: Path, entry: dict) -> tuple:
    """(up_to_date, reasons) for this model's TF files."""
    reasons = []
    onnx_rec = entry["files"]["onnx"]
    onnx_sha = model_zoo.sha256_of(out_dir / onnx_rec["path"])
    for kind in KINDS:
        rec = entry["files"].get(kind)
        if not rec:
            reasons.append(f"{kind}: not built")
            continue
        d = out_dir / rec["path"]
        if rec.get("converter_version") != CONVERTER_VERSION:
            reasons.append(f"{kind}: built by another converter_version")
        elif rec.get("source_onnx_sha256") != onnx_sha:
            reasons.append(f"{kind}: converted from another ONNX file")
        elif not d.is_dir():
            reasons.append(f"{kind}: missing {rec['path']}/")
        elif dir_record(out_dir, d)["sha256"] != rec["sha256"]:
            reasons.append(f"{kind}: sha256 mismatch for {rec['path']}/")
    return not reasons, reasons, onnx_sha


def replace_dir(tmp: Path, final: Path) -> None:
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old.{os.getpid()}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old)


def convert_one(name: str, out_dir: Path, entry: dict, onnx_sha: str, bench: bool,
                threads: int) -> tuple:
    """Returns (file records by kind, checks)."""
    mdir = out_dir / name
    onnx_path = out_dir / entry["files"]["onnx"]["path"]
    x = np.load(mdir / f"{name}.sample_input.npy")
    ref = np.load(mdir / f"{name}.sample_output.npy")
    records, checks, dirs, sigs = {}, {}, {}, {}
    timings = {}

    t0 = time.perf_counter()
    modules, ops, _ = make_module(onnx_path)
    timings["build_s"] = round(time.perf_counter() - t0, 2)
    log(f"  - built {sum(ops.values())} ONNX nodes as TF ops "
        f"({', '.join(f'{k} {v}' for k, v in sorted(ops.items()))}) in {timings['build_s']:.1f}s")
    checks["tf_onnx_ops"] = dict(sorted(ops.items()))

    tmps = []
    try:
        for kind, suffix in KINDS.items():
            final = mdir / f"{name}.{suffix}"
            tmp = Path(tempfile.mkdtemp(dir=mdir, prefix=f".{name}.{suffix}.tmp"))
            tmps.append(tmp)
            module = modules[kind]
            t0 = time.perf_counter()
            tf.saved_model.save(module, str(tmp),
                                signatures={SIGNATURE: module.serve.get_concrete_function()})
            timings[f"save_{suffix}_s"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            c = check_savedmodel(tmp, x, ref)
            timings[f"check_{suffix}_s"] = round(time.perf_counter() - t0, 2)
            worst = max(c["rel_err"].values())
            top1 = all(c["top1_agree"].values())
            log(f"  - {final.name}/: saved in {timings[f'save_{suffix}_s']:.1f}s, "
                f"rel err {', '.join(f'b{b} {e:.2e}' for b, e in c['rel_err'].items())}, "
                f"top-1 {'same' if top1 else 'DIFFERENT'} ({timings[f'check_{suffix}_s']:.1f}s)")
            if not (worst <= REL_ERR_TOL and top1):
                raise ConvertError(f"{final.name}: rel err {worst:.3e} (tol {REL_ERR_TOL}) "
                                   f"or top-1 differs from the reference")
            must = xla_must_compile(tmp)
            if must != (kind == "tf_savedmodel_xla"):
                raise ConvertError(f"{final.name}: _XlaMustCompile is {must}")
            checks.setdefault("tf_rel_err", {})[kind] = c["rel_err"]
            checks.setdefault("tf_top1_agree", {})[kind] = top1
            sigs[kind] = signature_tensors(tmp)
            os.chmod(tmp, 0o777 & ~model_zoo.current_umask())  # mkdtemp makes it 0700
            replace_dir(tmp, final)
            tmps.remove(tmp)
            dirs[kind] = final
            rec = dir_record(out_dir, final)
            rec.update({"source_onnx_sha256": onnx_sha, "converter": "tools/tf_zoo.py",
                        "converter_version": CONVERTER_VERSION, "xla_jit_compile": must,
                        "layout": "input NCHW; NHWC inside", **sigs[kind]})
            records[kind] = rec
    finally:
        for t in tmps:
            shutil.rmtree(t, ignore_errors=True)
    checks["tf_rel_err_tolerance"] = REL_ERR_TOL
    checks["tf_check_batches"] = list(CHECK_BATCHES)
    checks["tf_timings"] = timings
    if bench:
        log(f"  - bench (batch {BENCH_BATCH}, {threads} thread(s), TF1 session API):")
        checks["tf_bench"] = bench_model(name, dirs, sigs, threads)
    return records, checks


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(description="Convert the zoo's ONNX models to TensorFlow "
                                 "SavedModels (plain and jit_compile), verified against "
                                 "the zoo's PyTorch reference.")
    ap.add_argument("models", nargs="*", metavar="MODEL")
    ap.add_argument("--all", action="store_true",
                    help="every zoo model that is in the manifest")
    ap.add_argument("--out", default="models", type=Path, help="zoo dir (default: models)")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--bench", action="store_true",
                    help=f"also time batch {BENCH_BATCH} through the TF1 session API with and "
                         "without session-level XLA (child processes; slow)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="intra-op threads for --bench (default: all cores)")
    ap.add_argument("--_bench-child", dest="bench_child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.bench_child:
        print(json.dumps(bench_child(json.loads(args.bench_child))))
        return 0

    out_dir: Path = args.out
    man = model_zoo.load_manifest(out_dir)
    fix = f"build it first: /usr/bin/python3 tools/model_zoo.py --out {out_dir} {{}}"
    if args.all:
        # Not the pixel-input variants: their ONNX front (Transpose, Cast) is not converted here.
        float_models = [m for m, spec in model_zoo.MODELS.items() if not spec.pixels]
        args.models = [m for m in float_models if m in man["models"]]
        missing = [m for m in float_models if m not in man["models"]]
        if not args.models:
            ap.exit(2, f"error: no zoo model in {out_dir}/manifest.json; "
                       + fix.format("MODEL...") + "\n")
        if missing:
            log(f"note: not in the manifest (skipped): {', '.join(missing)}")
    if not args.models:
        ap.exit(2, f"error: name at least one MODEL or use --all; valid: "
                   f"{', '.join(model_zoo.MODELS)}\n")
    unknown = [m for m in args.models if m not in model_zoo.MODELS]
    if unknown:
        ap.exit(2, f"error: unknown model(s): {', '.join(unknown)}; valid: "
                   f"{', '.join(model_zoo.MODELS)}\n")
    args.models = list(dict.fromkeys(args.models))
    for m in args.models:
        e = man["models"].get(m)
        files = (e or {}).get("files", {})
        need = ["onnx", "sample_input", "sample_output"]
        if not e or any(k not in files or not (out_dir / files[k]["path"]).is_file() for k in need):
            ap.exit(2, f"error: {m} is not built in {out_dir} (manifest entry or its "
                       f"onnx/sample files missing); " + fix.format(m) + "\n")

    global tf, onnx, numpy_helper
    # oneDNN off unless asked, as the tensorflow adapter's default (onednn=off): TensorFlow 2.21
    # turns it on by itself on AVX-512 CPUs, where its graph optimiser's oneDNN fusions abort on
    # mobilenet_v3_small (tensor_format.h check failure; AMD EPYC with AVX512_BF16, session 11).
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as _tf
        import onnx as _onnx
        from onnx import numpy_helper as _nh
    except ImportError as e:
        sys.exit(f"error: {e}. Run with .deps/venv/bin/python (tensorflow-cpu, onnx).")
    tf, onnx, numpy_helper = _tf, _onnx, _nh
    log(f"tensorflow {tf.__version__}, onnx {onnx.__version__}")

    failed = []
    for name in args.models:
        t0 = time.perf_counter()
        log(f"[{name}]")
        entry = man["models"][name]
        ok, reasons, onnx_sha = status(out_dir, entry)
        if ok and not args.force:
            log(f"  up to date ({time.perf_counter() - t0:.1f}s)")
            continue
        if not ok:
            log("  converting: " + "; ".join(reasons))
        try:
            records, checks = convert_one(name, out_dir, entry, onnx_sha, args.bench,
                                          args.threads)
        except (ConvertError, tf.errors.OpError) as e:
            log(f"  ERROR: {str(e).strip().splitlines()[0][:500]}")
            failed.append(name)
            continue
        secs = round(time.perf_counter() - t0, 1)
        checks["tf_convert_seconds"] = secs
        checks["tf_built_with"] = {"tensorflow": tf.__version__, "onnx": onnx.__version__,
                                   "numpy": np.__version__}
        man = model_zoo.load_manifest(out_dir)   # re-read: keep whatever else is there
        cur = man["models"].get(name)
        if not cur or cur["files"].get("onnx", {}).get("sha256") != entry["files"]["onnx"]["sha256"]:
            log(f"  ERROR: {name}'s manifest entry changed while converting; run again")
            failed.append(name)
            continue
        for k in [k for k in cur.get("checks", {}) if k.startswith("tf_")]:
            del cur["checks"][k]
        cur["files"].update(records)
        cur.setdefault("checks", {}).update(checks)
        model_zoo.save_manifest(out_dir, man)
        sizes = ", ".join(f"{r['path']}/ {r['bytes'] / 1e6:.1f} MB" for r in records.values())
        log(f"  converted {name} in {secs:.1f}s ({sizes})")
        del records, checks
        gc.collect()

    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
