#pragma once
// Settings a user passes to load(): common fields with units in their names, plus framework
// options as key=value. Requested settings stay as given; adapters report the effective ones.
#include <concepts>
#include <filesystem>
#include <map>
#include <string>
#include <type_traits>
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

// Calls v(name, field) for the common fields, in the order records and point definitions list
// them (requested settings, the sweep worker's JSON, plan ids). `options` follow them there.
template <class P, class Visitor>
requires std::same_as<std::remove_const_t<P>, Params>
void visit_fields(P& p, Visitor&& v) {
  v("batch_size", p.batch_size);
  v("device", p.device);
  v("threads", p.threads);
  v("precision", p.precision);
  v("optimization", p.optimization);
  v("cache_dir", p.cache_dir);
}

// Threads used when Params::threads is 0: one per logical CPU the process may run on.
int default_thread_count();

// Upper bounds of the common fields (validate_params, plan axes), so that a typo cannot start
// 100000 threads or allocate a batch of a billion samples. Threads: 4 x the machine's logical
// CPUs (oversubscription beyond that measures the OS scheduler, not the framework), at most 1024
// and at least 16; the machine's count, not this process's affinity, so that an MPI rank pinned to
// two cores may still ask for more. Batch: 65536 samples (64x the largest batch of the paper's
// sweeps; int sizes stay far from overflow).
int max_thread_count();
constexpr int kMaxBatchSize = 65536;

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
