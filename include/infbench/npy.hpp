#pragma once
// NumPy .npy files (format 1.0-3.0, little-endian, C order). bfloat16 uses the descr 'bfloat16',
// which NumPy reads once the ml_dtypes package is imported.
#include <filesystem>

#include "infbench/tensor.hpp"

namespace infbench {

Tensor read_npy(const std::filesystem::path& path);
// Writes atomically (temporary file + rename): a failed write leaves no partial file behind.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace infbench
