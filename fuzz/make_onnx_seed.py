"""Writes the ONNX seeds of fuzz/corpus/onnx_signature/ (a few hundred bytes each), with the
onnx package of .deps/venv: .deps/venv/bin/python fuzz/make_onnx_seed.py fuzz/corpus/onnx_signature
One model with a symbolic batch, a fixed one, and an old-style one (IR 3) that lists its
initialiser among the graph inputs, so that each branch of the reader has a seed."""
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def relu_add(batch, ir_version, initializer_as_input):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4])
    mask = helper.make_tensor_value_info("mask", TensorProto.BOOL, [batch])
    bias = numpy_helper.from_array(np.arange(4, dtype=np.float32), "bias")
    inputs = [x] + ([helper.make_tensor_value_info("bias", TensorProto.FLOAT, [4])]
                    if initializer_as_input else [])
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "bias"], ["s"]), helper.make_node("Relu", ["s"], ["y"]),
         helper.make_node("ReduceMax", ["y"], ["m"], axes=[1], keepdims=0),
         helper.make_node("Cast", ["m"], ["mask"], to=TensorProto.BOOL)],
        "seed", inputs, [y, mask], [bias])
    opset = 11 if ir_version < 7 else 13
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    return model


out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
onnx.save(relu_add("batch", 8, False), out / "dynamic_batch.onnx")
onnx.save(relu_add(2, 8, False), out / "fixed_batch.onnx")
onnx.save(relu_add(1, 3, True), out / "ir3_initializer_input.onnx")
