#pragma once
// Reads the graph inputs and outputs (names, element types, shapes) of an .onnx file, for
// frameworks whose API does not report them (OpenCV DNN). Initialisers are skipped unread.
#include <filesystem>

#include "infbench/backend.hpp"

namespace infbench {

// Throws Error naming the file when it is not a readable ONNX model.
Signature read_onnx_signature(const std::filesystem::path& path);

}  // namespace infbench
