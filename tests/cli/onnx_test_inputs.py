"""`infbench predict` gives ONNX's own expected outputs on ONNX's backend node tests.

Usage: onnx_test_inputs.py INFBENCH OUT_DIR [FRAMEWORK ...]   (default: onnxruntime openvino,
those of them the binary has)

The node tests are ONNX's conformance cases (onnx/backend/test/case/node): a one-operator
model.onnx and test_data_set_0 with input_*.pb / output_*.pb. The onnx wheel (1.23.2, in
.deps/venv) ships the generators but not the generated node/ folder, so this script writes them
the way `python -m onnx.backend.test.cmd_tools generate-data` does, then converts the .pb
tensors to .npy with onnx.numpy_helper.to_array, runs

    infbench predict --framework F --model model.onnx --input name=input_k.npy ... --output ...

and compares every output with np.testing.assert_allclose at the case's tolerances (ONNX's
default rtol=1e-3, atol=1e-7, as onnx/backend/test/runner uses them), with equal shape and dtype.
The cases are exactly-declared tensors: fixed batches (conv with batch 1), weights and broadcast
operands as inputs (Gemm/MatMul, *_bcast), scalars, int64/int32/int8/bool/float16/float64
outputs and several outputs. ONNX Runtime runs each without --batch-size and with --batch-size 0
(no splitting): the outputs must be the same.

Derived cases then split real samples (expected values from numpy, independently): a fixed
batch of 1 with 5 samples (5 calls, the weight whole), a fixed batch of 2 with 5 samples (the last
call padded, padding dropped, an int64 argmax output), a dynamic batch with weights as inputs,
and two dynamic inputs whose rows differ (refused in one line naming --batch-size 0; with it, one
broadcast call).

Skips, each printed with its reason: a case whose tensors have a dtype infbench does not read
(int16, uint16, ...); for OpenVINO, a case OpenVINO's own Python API cannot run or gets wrong
(checked directly, without infbench). ONNX Runtime must pass every case listed (they were chosen
among those ONNX Runtime 1.29 implements), so a failure there is a failure.
Exit 0 when no case failed.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CASES = [
    # fixed batch 1 (conv/pool/normalisation images), weights as inputs
    "test_basic_conv_with_padding", "test_conv_with_strides_padding",
    "test_conv_with_autopad_same", "test_convtranspose_group_2_image_3",
    "test_maxpool_2d_default", "test_averagepool_2d_default", "test_globalaveragepool",
    "test_batchnorm_example", "test_softmax_example", "test_layer_normalization_2d_axis1",
    # Gemm / MatMul: weights and biases as inputs, first dimensions that differ, scalar bias
    "test_gemm_all_attributes", "test_gemm_alpha", "test_gemm_transposeA",
    "test_gemm_default_no_bias", "test_gemm_default_scalar_bias",
    "test_gemm_default_single_elem_vector_bias", "test_gemm_default_matrix_bias",
    "test_matmul_2d", "test_matmul_3d", "test_matmul_4d", "test_matmul_1d_3d", "test_matmul_bcast",
    # broadcast operands
    "test_add_bcast", "test_mul_bcast", "test_sub_bcast", "test_div_bcast",
    "test_pow_bcast_scalar", "test_pow_bcast_array",
    # int64 / int32 / bool outputs and inputs
    "test_argmax_default_axis_example", "test_argmax_no_keepdims_random",
    "test_argmin_keepdims_random", "test_greater", "test_greater_bcast", "test_equal",
    "test_equal_bcast", "test_less_equal_bcast", "test_not_2d", "test_and_bcast4v4d",
    "test_where_example", "test_where_long_example", "test_div_int32_trunc",
    "test_nonzero_example", "test_cumsum_1d_int32_exclusive", "test_gather_0",
    "test_tile_precomputed", "test_reduce_sum_default_axes_keepdims_random",
    # scalars (rank-0 inputs or outputs), shapes, an empty input
    "test_size", "test_shape", "test_clip_example", "test_split_zero_size_splits_opset18",
    # float16, uint8 (with scalar zero points)
    "test_max_float16", "test_isnan_float16", "test_qlinearmatmul_2D_uint8_float16",
    "test_matmulinteger",
    # float64, int8 (and int16, which infbench does not read: skipped, with the reason)
    "test_max_float64", "test_cumsum_2d_axis_0", "test_eyelike_with_dtype", "test_add_int8",
    "test_greater_int8", "test_qlinearmatmul_2D_int8_float32", "test_bitwise_or_i16_4d",
    "test_add_int16",
    # several outputs
    "test_split_equal_parts_2d", "test_split_variable_parts_1d_opset18",
    "test_split_1d_uneven_split_opset18", "test_top_k", "test_top_k_same_values_2d",
]
# What infbench's .npy reader and Tensor hold (include/infbench/tensor.hpp).
READABLE = {np.dtype(t) for t in ("float32", "float16", "float64", "int64", "int32", "int8",
                                   "uint8", "bool")}

binary, out_dir = sys.argv[1], Path(sys.argv[2])
info = json.loads(subprocess.run([binary, "info", "--json"], check=True, capture_output=True,
                                 text=True).stdout)
built = {fw["name"] for fw in info}
frameworks = [f for f in (sys.argv[3:] or ["onnxruntime", "openvino"]) if f in built]
for f in sorted(set(sys.argv[3:]) - built):
    print(f"{f}: not built into {binary}: not checked")
if not frameworks:
    print("no framework to check")
    sys.exit(1)
out_dir.mkdir(parents=True, exist_ok=True)
results = {f: {"passed": 0, "failed": [], "skipped": []} for f in frameworks}


def write_case(case, folder):
    """model.onnx and test_data_set_0/{input,output}_k.pb, as cmd_tools generate-data writes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(case.model.SerializeToString())
    data = folder / "test_data_set_0"
    data.mkdir(exist_ok=True)
    inputs, outputs = case.data_sets[0]
    for kind, values, graph_values in (("input", inputs, case.model.graph.input),
                                       ("output", outputs, case.model.graph.output)):
        for k, value in enumerate(values):
            proto = value if isinstance(value, TensorProto) else numpy_helper.from_array(
                np.asarray(value), graph_values[k].name)
            (data / f"{kind}_{k}.pb").write_bytes(proto.SerializeToString())


def read_pb(path):
    proto = TensorProto()
    proto.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(proto)


def run_predict(framework, model, inputs, output_names, folder, extra=()):
    """Writes the inputs as .npy, runs infbench predict; returns (outputs or None, process)."""
    args = [binary, "predict", "--framework", framework, "--model", str(model), *extra]
    for name, value in inputs.items():
        path = folder / f"in.{name}.npy"
        np.save(path, value)
        args += ["--input", f"{name}={path}"]
    for k, name in enumerate(output_names):
        args += ["--output", f"{name}={folder / f'{framework}.out{k}.npy'}"]
    args += ["--report", str(folder / f"{framework}.report.json")]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc
    outs = [np.load(folder / f"{framework}.out{k}.npy") for k in range(len(output_names))]
    return outs, proc


def mismatch(got, expected, rtol, atol):
    """None when every output matches as ONNX's runner requires, else what differs."""
    if len(got) != len(expected):
        return f"{len(got)} outputs, expected {len(expected)}"
    for k, (g, e) in enumerate(zip(got, expected)):
        if g.shape != e.shape or g.dtype != e.dtype:
            return f"output {k}: {g.dtype}{list(g.shape)}, expected {e.dtype}{list(e.shape)}"
        try:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
        except AssertionError as err:
            return f"output {k}: " + " ".join(str(err).split())[:300]
    return None


def openvino_own(model, inputs, expected, rtol, atol):
    """None when OpenVINO's Python API itself runs the case right, else why not."""
    try:
        import openvino as ov
        compiled = ov.Core().compile_model(str(model), "CPU")
        result = compiled([np.array(v) for v in inputs.values()])  # writeable copies
        got = [np.asarray(result[compiled.output(k)]) for k in range(len(expected))]
    except Exception as err:  # OpenVINO raises RuntimeError and its own types
        return "OpenVINO itself cannot run it: " + " ".join(str(err).split())[:200]
    wrong = mismatch(got, expected, rtol, atol)
    return None if wrong is None else f"OpenVINO itself differs from ONNX's expected: {wrong}"


def check(framework, label, got_proc, expected, rtol, atol):
    """True when infbench's outputs match; a failure is recorded with what differed."""
    got, proc = got_proc
    wrong = (f"exit {proc.returncode}: {proc.stderr.strip()[:300]}" if got is None else
             mismatch(got, expected, rtol, atol))
    if wrong:
        results[framework]["failed"].append(f"{label}: {wrong}")
    return not wrong


print(f"generating ONNX {onnx.__version__} node test cases (onnx.backend.test.case.node)")
from onnx.backend.test.case.node import collect_testcases  # noqa: E402 (slow: imports all)

by_name = {c.name: c for c in collect_testcases()}
for name in CASES:
    case = by_name.get(name)
    if case is None:
        for f in frameworks:
            results[f]["failed"].append(f"{name}: not among onnx {onnx.__version__}'s node tests")
        continue
    folder = out_dir / "node" / name
    write_case(case, folder)
    data = folder / "test_data_set_0"
    graph = case.model.graph
    inputs = {graph.input[k].name: read_pb(data / f"input_{k}.pb") for k in range(len(graph.input))}
    expected = [read_pb(data / f"output_{k}.pb") for k in range(len(graph.output))]
    unreadable = sorted({str(a.dtype) for a in [*inputs.values(), *expected]
                         if a.dtype not in READABLE})
    outputs = [o.name for o in graph.output]
    for f in frameworks:
        if unreadable:
            results[f]["skipped"].append(f"{name}: dtype {', '.join(unreadable)} is not one "
                                         "infbench reads or writes")
            continue
        if f == "openvino":
            why = openvino_own(folder / "model.onnx", inputs, expected, case.rtol, case.atol)
            if why:
                results[f]["skipped"].append(f"{name}: {why}")
                continue
        ok = check(f, name, run_predict(f, folder / "model.onnx", inputs, outputs, folder),
                   expected, case.rtol, case.atol)
        if f == "onnxruntime":  # the same without splitting
            ok &= check(f, name + " --batch-size 0",
                        run_predict(f, folder / "model.onnx", inputs, outputs, folder,
                                    ["--batch-size", "0"]),
                        expected, case.rtol, case.atol)
        results[f]["passed"] += ok


# Derived cases: samples split over calls, expected values from numpy.
def small_model(name, inputs, outputs, nodes):
    graph = helper.make_graph(nodes, name, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = out_dir / "derived" / name / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)
    return path


def calls_of(framework, folder):
    report = json.loads((folder / f"{framework}.report.json").read_text())
    return report["calls"], report["whole_inputs"]


def derived(framework, label, path, inputs, outputs, expected, calls, whole, extra=()):
    got = run_predict(framework, path, inputs, outputs, path.parent, extra)
    if not check(framework, label, got, expected, 1e-3, 1e-5):
        return
    ran = calls_of(framework, path.parent)
    if ran != (calls, whole):
        results[framework]["failed"].append(f"{label}: ran {ran[0]} calls with whole inputs "
                                            f"{ran[1]}, expected {calls} and {whole}")
    else:
        results[framework]["passed"] += 1


rng = np.random.default_rng(7)
F32, I64 = TensorProto.FLOAT, TensorProto.INT64
conv_path = out_dir / "node" / "test_basic_conv_with_padding" / "model.onnx"
w_conv = read_pb(out_dir / "node" / "test_basic_conv_with_padding" / "test_data_set_0" /
                 "input_1.pb")
x5 = rng.standard_normal((5, 1, 5, 5)).astype(np.float32)


def conv_padded(x, w):  # 3x3 convolution, padding 1, one channel: ONNX Conv, by hand
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            y[:, 0] += w[0, 0, i, j] * padded[:, 0, i:i + 5, j:j + 5]
    return y


x2 = rng.standard_normal((5, 4)).astype(np.float32)
w2 = rng.standard_normal((4, 3)).astype(np.float32)
b2 = rng.standard_normal((3,)).astype(np.float32)
linear = x2 @ w2 + b2
fixed2 = small_model(
    "fixed_batch_2",
    [helper.make_tensor_value_info("x", F32, [2, 4]), helper.make_tensor_value_info("w", F32, [4, 3]),
     helper.make_tensor_value_info("b", F32, [3])],
    [helper.make_tensor_value_info("y", F32, [2, 3]), helper.make_tensor_value_info("k", I64, [2])],
    [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"]),
     helper.make_node("ArgMax", ["y"], ["k"], axis=1, keepdims=0)])
dynamic = small_model(
    "dynamic_batch_weights",
    [helper.make_tensor_value_info("x", F32, ["N", 4]),
     helper.make_tensor_value_info("w", F32, [4, 3]), helper.make_tensor_value_info("b", F32, [3])],
    [helper.make_tensor_value_info("y", F32, ["N", 3])],
    [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])])
two_dynamic = small_model(
    "two_dynamic_inputs",
    [helper.make_tensor_value_info("x", F32, ["N", 4]),
     helper.make_tensor_value_info("y", F32, ["M", 4])],
    [helper.make_tensor_value_info("z", F32, ["N", 4])],
    [helper.make_node("Add", ["x", "y"], ["z"])])
y1 = rng.standard_normal((1, 4)).astype(np.float32)

for f in frameworks:
    derived(f, "derived conv fixed batch 1, 5 samples", conv_path, {"x": x5, "W": w_conv}, ["y"],
            [conv_padded(x5, w_conv)], 5, ["W"])
    derived(f, "derived fixed batch 2, 5 samples (padded last call)", fixed2,
            {"x": x2, "w": w2, "b": b2}, ["y", "k"], [linear, linear.argmax(axis=1)], 3, ["w", "b"])
    derived(f, "derived dynamic batch, weights as inputs, --batch-size 2", dynamic,
            {"x": x2, "w": w2, "b": b2}, ["y"], [linear], 3, ["w", "b"], ["--batch-size", "2"])
    # Two dynamic inputs, 5 and 1 rows: which to split is ambiguous, so refused naming the fix...
    # OpenVINO's default batch_shape=static gives dynamic first dimensions the batch size at load
    # (the signature then declares them fixed): dynamic shapes are asked for.
    dyn = ["--set", "batch_shape=dynamic"] if f == "openvino" else []
    got, proc = run_predict(f, two_dynamic, {"x": x2, "y": y1}, ["z"], two_dynamic.parent, dyn)
    lines = proc.stderr.strip().splitlines()
    if got is None and proc.returncode == 2 and len(lines) == 1 and "--batch-size 0" in lines[0]:
        results[f]["passed"] += 1
    else:
        results[f]["failed"].append(f"derived ambiguous rows: exit {proc.returncode}, stderr "
                                    f"{proc.stderr.strip()[:300]!r}")
    # ...and with --batch-size 0 run as one broadcast call.
    derived(f, "derived --batch-size 0, broadcast call", two_dynamic, {"x": x2, "y": y1}, ["z"],
            [x2 + y1], 1, ["x", "y"], ["--batch-size", "0", *dyn])

failed = False
for f, r in results.items():
    print(f"{f}: {r['passed']} cases passed, {len(r['failed'])} failed, {len(r['skipped'])} "
          f"skipped (of {len(CASES)} ONNX node tests and 5 derived cases"
          f"{'; node tests both without --batch-size and with --batch-size 0' if f == 'onnxruntime' else ''})")
    for line in r["skipped"]:
        print(f"  skipped {line}")
    for line in r["failed"]:
        print(f"  FAILED {line}")
    failed |= bool(r["failed"])
sys.exit(1 if failed else 0)
