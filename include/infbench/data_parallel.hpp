#pragma once
// Data-parallel prediction over several devices (the paper's "map-reduce over GPUs"): one Model per
// device, each on its own thread; the samples are split into contiguous shares, one per device,
// and the outputs are reassembled in sample order. Works with any backend: it only uses Model.
#include <filesystem>
#include <string_view>
#include <vector>

#include "infbench/model.hpp"

namespace infbench {

// Throws Error naming the first device listed twice: data parallelism needs distinct devices.
void require_distinct_devices(const std::vector<int>& devices);

// Loads the model once per device (in parallel, one thread each). `params.device` is replaced by
// each entry of `devices`, which must be distinct. Throws the first load error (by device order).
std::vector<Model> load_on_devices(std::string_view framework, const std::filesystem::path& path,
                                   const Params& params, const std::vector<int>& devices);

struct DeviceShare {
  int device = -1;
  std::int64_t first_sample = 0;
  std::int64_t samples = 0;
  double seconds = 0;  // this device's predict() call
};

struct DataParallelResult {
  NamedTensors outputs;  // all samples, in input order
  std::vector<DeviceShare> shares;
  double seconds = 0;  // wall time from the common start until the last device finished
};

// Shares of `samples` for `parts` devices: contiguous, whole batches of `batch_size` except the
// last share's tail, as even as possible in batches. A share may be empty (few samples).
std::vector<std::pair<std::int64_t, std::int64_t>> split_samples(std::int64_t samples, int parts,
                                                                 int batch_size);

// Runs `inputs` across `models` (one thread each, started together). Throws the first error.
DataParallelResult predict_data_parallel(std::vector<Model>& models, const NamedTensors& inputs);

}  // namespace infbench
