// libFuzzer target: the .npy reader (src/core/npy.cpp). Bad input must be refused with
// infbench::Error; whatever it accepts must survive write_npy and read back identical.
#include <cstring>

#include "infbench/error.hpp"
#include "infbench/npy.hpp"
#include "scratch_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = infbench::fuzz::write_scratch("input.npy", data, size);
  infbench::Tensor tensor;
  try {
    tensor = infbench::read_npy(path);
  } catch (const infbench::Error&) {
    return 0;
  }
  const auto copy_path = infbench::fuzz::scratch_dir() / "copy.npy";
  infbench::write_npy(copy_path, tensor);
  const auto copy = infbench::read_npy(copy_path);
  if (copy.dtype() != tensor.dtype() || copy.shape() != tensor.shape() ||
      copy.byte_size() != tensor.byte_size() ||
      (tensor.byte_size() > 0 &&  // an empty tensor has no data pointer to compare
       std::memcmp(copy.data(), tensor.data(), tensor.byte_size()) != 0)) {
    std::abort();  // a round trip that changes the tensor
  }
  return 0;
}
