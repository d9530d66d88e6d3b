#pragma once
// The ensemble study (`infbench ensemble SPEC`): for each batch size, the ensemble's throughput and
// latency in every mode (through the measurement engine, so the same definitions as any run), each
// member alone with the thread share it has inside the ensemble, the interference matrix, the
// memory each member adds, and top-1 accuracy of members and ensemble on labelled data.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "infbench/ensemble.hpp"
#include "infbench/record.hpp"
#include "infbench/runner.hpp"

namespace infbench {

struct TopOneAccuracy {
  std::string name;  // "ensemble" or a member's name (or the model, for a plain model)
  double top1 = 0;   // fraction of samples whose arg-max equals the label
};

// Predicts every sample of `inputs` (one .npy per model input) and compares the arg-max of the
// scores with `labels` (.npy of integers, one per sample). For an ensemble, also each member's
// own scores (the output its spec combines). Throws Error naming the file on a mismatch.
std::vector<TopOneAccuracy> measure_top1(const std::string& framework,
                                         const std::filesystem::path& model, Params params,
                                         const std::vector<std::filesystem::path>& inputs,
                                         const std::filesystem::path& labels);

struct EnsembleStudyConfig {
  std::vector<int> batch_sizes = {1, 8, 32};
  std::vector<EnsembleMode> modes = {EnsembleMode::sequential, EnsembleMode::concurrent,
                                     EnsembleMode::pipelined};
  int threads = 0;  // the whole budget; 0 = one per logical CPU
  RunConfig run;    // offline by default; input_files = the sample pool
  bool members_alone = true;
  bool interference = true;
  double interference_warmup_s = 0.5;
  double interference_duration_s = 3;
  std::filesystem::path labels;  // with run.input_files: accuracy on them
  // Members placed on these devices in turn (place_members), in every run; empty: the spec's.
  std::vector<int> placement;
};

struct EnsembleStudy {
  EnsembleSpec spec;
  // Every run, in order: modes ("ensemble", mode setting) then members alone, per batch size.
  struct Run {
    std::string role;  // "ensemble" or "member"
    std::string mode;  // ensemble runs: the mode; member runs: the member's name
    int batch_size = 0;
    RunResult result;
  };
  std::vector<Run> runs;
  // Speed-ups, interference, memory, accuracy as JSON text (docs/ensembles.md): what the database
  // stores and --json writes; text, so the public headers need no JSON library.
  std::string summary_json;
};

// Runs the study; `progress` hears one line per step. Framework failures become failed runs.
EnsembleStudy run_ensemble_study(const std::filesystem::path& spec_path,
                                 const EnsembleStudyConfig& config,
                                 const std::function<void(const std::string&)>& progress);

// A plain-text table of the summary, for the console and result notes.
std::string ensemble_study_table(const EnsembleStudy& study);

}  // namespace infbench
