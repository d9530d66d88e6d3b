// Stand-in for builds without the CUDA runtime: GPU runs then pass host inputs to the framework,
// which copies them itself (and copy_hidden_fraction is not measured).
#include "core/staging.hpp"

namespace infbench {

std::unique_ptr<DeviceStaging> make_device_staging(int /*device*/, std::string& why) {
  why = "input staging not built (INFBENCH_WITH_CUDA=OFF): the framework copies inputs itself";
  return nullptr;
}

int cuda_device_count() { return 0; }

}  // namespace infbench
