#pragma once
// The measurement engine: one timing contract for every framework, owned by the harness.
// See docs/metrics.md for the definition of every scenario and metric.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infbench/model.hpp"
#include "infbench/params.hpp"
#include "infbench/record.hpp"
#include "infbench/run_config.hpp"
#include "infbench/tensor.hpp"

namespace infbench {

// Set from a signal handler: the run stops at the next query and reports what it measured.
std::atomic<bool>& interrupt_flag();

// The two halves of run_benchmark(), for sweeps that load a model once and measure it at several
// batch sizes. load_for_benchmark() times and probes the load and fills the record's identity and
// load fields; a framework failure leaves status "failed" (phase load) and returns nullopt.
// The primitive takes the backend (a user's own too); infbench/registry.hpp has the by-name form.
// The environment record is the caller's (result.environment); left empty, it names this backend.
std::optional<Model> load_for_benchmark(std::unique_ptr<Backend> backend,
                                        const std::filesystem::path& model, const Params& params,
                                        const RunConfig& config, RunResult& result);
// Measures a loaded model at its current batch size (Model::set_batch_size) and fills the rest.
// `on_phase` (optional) hears "warmup" and "measure" as they start (sweep workers report them).
void measure_loaded(Model& model, const std::filesystem::path& model_path, const RunConfig& config,
                    RunResult& result,
                    const std::function<void(const std::string&)>& on_phase = {});

// Loads the model (timing and probing the load), builds the sample pool, warms up, measures the
// scenario `repeat` times and returns the record. Framework failures become a record with
// status "failed" and the phase they happened in; invalid configuration throws Error.
RunResult run_benchmark(std::unique_ptr<Backend> backend, const std::filesystem::path& model,
                        const Params& params, const RunConfig& config);

}  // namespace infbench
