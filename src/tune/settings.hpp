#pragma once
// The adapter settings `infbench tune` searches by default: few, the ones measured to matter.
#include <string>
#include <vector>

namespace infbench::tune {

struct TunedSetting {
  std::string framework, option;
  bool gpu_only = false, cpu_only = false;
  std::vector<std::string> values;  // the first is the probe's (the framework x precision default)
};

const std::vector<TunedSetting>& tuned_settings();

}  // namespace infbench::tune
