// libFuzzer target: the ensemble spec reader (src/ensemble/spec.cpp). Every problem must be an
// infbench::Error (naming file, line and field), never another exception or a crash.
#include "ensemble/helpers.hpp"
#include "infbench/ensemble.hpp"
#include "infbench/error.hpp"
#include "scratch_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = infbench::fuzz::write_scratch("spec.yaml", data, size);
  try {
    const auto spec = infbench::load_ensemble_spec(path);
    (void)infbench::shared_member_device(spec);
    for (const auto& member : spec.members) (void)infbench::member_model(member, 8);
  } catch (const infbench::Error&) {
  }
  return 0;
}
