#pragma once
// Settings a user passes to load(): common fields with units in their names, plus framework
// options as key=value. Requested settings stay as given; adapters report the effective ones.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace infbench {

struct Params {
  // Samples per framework call; predict() splits its input into these. 0: the model's own (its
  // fixed batch, else 1), what `infbench predict` asks when no --batch-size is given.
  int batch_size = 1;
  int device = -1;  // -1 = CPU, k >= 0 = GPU k
  int threads = 0;  // compute threads; 0 = one per logical CPU (resolved at load)
  std::string precision = "fp32";
  std::string optimization;         // framework graph-optimisation level; empty = its default
  std::filesystem::path cache_dir;  // optimised-model cache; empty = no cache
  std::map<std::string, std::string> options;  // framework-specific key=value
};

// Threads used when Params::threads is 0: one per logical CPU the process may run on.
int default_thread_count();

// Parses "key=value" (as given to --set); throws Error naming the text when '=' is missing.
std::pair<std::string, std::string> parse_key_value(const std::string& text);

// Ordered key/value list of the settings actually in force after load (defaults resolved).
using Settings = std::vector<std::pair<std::string, std::string>>;

// Describes one framework-specific option, so that unknown keys and bad values can be refused
// with the list of valid ones before the framework is touched.
struct OptionSpec {
  std::string name;
  std::string help;
  std::string default_value;
  std::vector<std::string> choices;  // empty = free value, checked by `integer`
  bool integer = false;              // value must be an integer >= 0
};

}  // namespace infbench
