#pragma once
// Ensembles of models co-located on one device. An ensemble spec (YAML, docs/ensembles.md) lists
// members (model + framework + params each), a rule that combines their outputs, and which member
// outputs to keep. The engine (class Ensemble) owns one worker thread per member: the member is
// loaded on that thread and always runs there, because OpenMP runtimes keep one worker pool per
// calling thread (src/core/pipeline.hpp says why that matters). Modes decide how a batch meets
// the members:
//   sequential  members run one after the other, each with the whole thread budget
//   concurrent  all members run the batch at once, the budget split between them; the batch
//               completes when the slowest member is done
//   pipelined   members consume the batch stream independently (each with its own queue, so a fast
//               member runs ahead); the combiner completes batches in order as all members finish
// The engine is harness code: it owns the clock of every figure it reports.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "infbench/model.hpp"
#include "infbench/params.hpp"
#include "infbench/tensor.hpp"

namespace infbench {

enum class CombineRule { mean_softmax, weighted_mean, majority_vote };
enum class EnsembleMode { sequential, concurrent, pipelined, automatic };
std::string_view to_string(CombineRule rule);
std::string_view to_string(EnsembleMode mode);            // "auto" for automatic
CombineRule parse_combine_rule(const std::string& name);  // throws Error listing the valid names
EnsembleMode parse_ensemble_mode(const std::string& name);

struct MemberSpec {
  std::string name;  // unique within the ensemble; names kept outputs ("<name>/<output>")
  std::string framework;
  // Resolved against the spec file's folder. "{batch}" in it stands for the batch size, for
  // formats compiled per batch size (AOTInductor packages, static-batch ONNX): member_model().
  std::filesystem::path model;
  Params params;               // batch_size is the ensemble's; threads 0 = a share of the budget
  double weight = 1;           // weighted_mean and majority_vote
  std::string output;          // which output is combined; empty = the first
  bool probabilities = false;  // the output already holds probabilities (no softmax applied)
  // Copies of the model, each on its own thread (and CUDA stream): batch k goes to instance
  // k mod n, so in pipelined mode a slow member works on n batches at once (Triton's instance
  // groups). The member's threads are split among them.
  int instances = 1;
};

struct EnsembleSpec {
  std::string name;
  std::filesystem::path path;  // the spec file
  std::vector<MemberSpec> members;
  CombineRule combine = CombineRule::mean_softmax;
  std::vector<std::string> keep;  // members whose outputs are returned beside the combined one
  EnsembleMode mode = EnsembleMode::concurrent;
  // The devices the members were placed on in turn (`placement: {devices: [...]}` or `infbench
  // ensemble --placement`); empty: each member's own settings.device.
  std::vector<int> placement;
};

// Reads a spec; every problem is an Error naming the file, line and field, and the fix.
EnsembleSpec load_ensemble_spec(const std::filesystem::path& path);

// Member i runs on devices[i mod devices.size()] (all on one: a single device), replacing its
// settings.device; the spec's name gets the placement appended ("paper-gpu@0,1") so that studies
// of both placements keep apart in one database. Throws Error for an empty list or a device < -1.
void place_members(EnsembleSpec& spec, const std::vector<int>& devices);
// "0,1" -> {0, 1}; an Error naming `what` (the option or flag) and the expected form otherwise.
std::vector<int> parse_placement(const std::string& text, const std::string& what);

struct EnsembleOptions {
  EnsembleMode mode = EnsembleMode::concurrent;  // not automatic: Ensemble runs one mode
  int batch_size = 1;
  int total_threads = 0;  // 0 = one per logical CPU
  int device = -1;
  std::size_t queue_depth = 2;  // pipelined: batches a member may run ahead of the slowest
  bool keep_all = false;        // return every member's outputs (accuracy checks)
};

struct MemberLoad {
  std::string name;
  int threads = 0;  // per instance
  int instances = 1;
  double load_s = 0;                 // all instances
  std::int64_t rss_added_bytes = 0;  // resident memory the member's load added (0 if it shrank)
};

// Rate of each member while a given set of members runs free (each in its own loop).
struct CoRunRates {
  std::vector<bool> active;
  std::vector<double> samples_per_s;  // 0 for inactive members
};

class Ensemble {
 public:
  Ensemble(EnsembleSpec spec, const EnsembleOptions& options);  // loads every member
  ~Ensemble();
  Ensemble(const Ensemble&) = delete;
  Ensemble& operator=(const Ensemble&) = delete;

  const EnsembleSpec& spec() const { return spec_; }
  const EnsembleOptions& options() const { return options_; }
  const Signature& signature() const { return signature_; }
  const std::vector<MemberLoad>& member_loads() const { return loads_; }
  const Model& member(std::size_t i) const;
  Settings effective_settings() const;
  // Batches a streaming caller should keep submitted: 1, or in pipelined mode queue_depth x the
  // largest member's instance count.
  std::size_t batches_in_flight() const;

  // One batch through every member, combined. Inputs stay owned by the caller.
  std::vector<Tensor> run_batch(std::span<const TensorView> inputs);
  // Streaming (pipelined mode): submit() hands a batch over and returns once every member has it
  // queued (blocking while a member's queue is full); collect() returns the combined outputs of
  // the oldest submitted batch. The inputs must stay valid until their collect() returns.
  void submit(std::span<const TensorView> inputs);
  std::vector<Tensor> collect();

  // Interference: runs the `active` members free, each in a loop over `inputs`, for duration_s
  // after warmup_s, and returns each one's samples per second.
  CoRunRates co_run(const std::vector<bool>& active, std::span<const TensorView> inputs,
                    double warmup_s, double duration_s);

 private:
  struct Worker;
  struct Member;
  struct Batch;
  std::vector<Tensor> finish(Batch& batch);
  void warm_instances();

  EnsembleSpec spec_;
  EnsembleOptions options_;
  Signature signature_;
  std::vector<MemberLoad> loads_;
  // Per member, fixed at load: combination weight, outputs already probabilities, outputs kept.
  std::vector<double> weights_;
  std::vector<bool> probabilities_;
  std::vector<bool> kept_;
  std::vector<Member> members_;
  std::vector<std::shared_ptr<Batch>> in_flight_;  // submitted, not yet collected, oldest first
};

}  // namespace infbench
