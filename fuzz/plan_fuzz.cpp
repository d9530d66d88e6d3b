// libFuzzer target: the sweep plan reader and its expansion into points (src/sweep/plan.cpp).
// Every problem must be an infbench::Error (naming file, line and field), never another
// exception or a crash. Built without frameworks: the registry holds the fake backend only.
#include "infbench/error.hpp"
#include "scratch_file.hpp"
#include "sweep/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = infbench::fuzz::write_scratch("plan.yaml", data, size);
  try {
    const auto plan = infbench::load_plan(path);
    for (const auto& group : plan.groups) {
      for (const auto& point : group.points) (void)point.label();
    }
  } catch (const infbench::Error&) {
  }
  return 0;
}
