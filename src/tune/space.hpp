#pragma once
// The candidate space of `infbench tune`: the frameworks built into this binary that can run on
// the device x their precisions x the batch sizes the zoo has a file for x the few adapter settings
// that matter (settings.cpp). A Combo is one loaded configuration; its batch sizes are its points.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace infbench::tune {

using Settings = std::vector<std::pair<std::string, std::string>>;  // option -> value, in order

struct Combo {
  std::string framework, precision;
  Settings settings;
  std::vector<int> batch_sizes;  // ascending; only those the zoo has a file for
  bool is_default = false;       // the first settings of its framework x precision (the probe)
  bool cache = false;            // the adapter keeps compiled models in a cache_dir (BackendInfo)
  std::string label() const;     // "xla fp16 in_flight=2"
};

struct SpaceRequest {
  std::string model;
  int device = -1;
  std::filesystem::path models_dir = "models";
  std::vector<std::string> frameworks;     // empty: every framework built in (fake excluded)
  std::vector<std::string> precisions;     // empty: fp32, fp16
  std::vector<int> batch_sizes;            // empty: 1,32,64,128,256 on a GPU, 1,8,32,64 on the CPU
  std::vector<std::string> setting_specs;  // "framework.option=v1,v2": replace or add an axis
};

struct Space {
  std::vector<Combo> combos;
  std::vector<std::string> notes;  // what was left out and why
  std::size_t candidate_count() const;
};

// Errors (invalid_argument / not_found) name the flag: an unknown framework, a setting the
// adapter does not have, a model not in the zoo, a space with no candidate (with the notes).
Space build_space(const SpaceRequest& request);

}  // namespace infbench::tune
