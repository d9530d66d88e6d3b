#pragma once
// The accuracy check of a run point (docs/metrics.md "Accuracy"): the fp32 reference input runs
// through the loaded model at the point's batch size, after load and before warm-up (not timed),
// and the first output is compared with the reference output; the precision's gate judges it.
// Models whose zoo entry has a labelled set also get their top-1 accuracy on it.
#include <filesystem>

#include "infbench/model.hpp"
#include "infbench/record.hpp"
#include "infbench/run_config.hpp"

namespace infbench {

// The model's inputs as the harness feeds them: --input-dtype's dtypes first (config
// .sample_dtypes, by position; refused for an input whose format records another type), then
// the zoo manifest's where the format records none (TorchScript), else the model's own record.
// "Records a type" is read as shape_known (see inputs_with_manifest_dtypes).
std::vector<TensorSpec> fed_inputs(const Model& model, const std::filesystem::path& model_path,
                                   const RunConfig& config);

// Fills the record's accuracy fields. Never throws for a check that cannot be made: the gate is
// then "" and the reason is added to the record's warnings.
void check_accuracy(Model& model, const std::filesystem::path& model_path, const RunConfig& config,
                    RunRecord& record);

}  // namespace infbench
