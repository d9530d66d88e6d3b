#include "model_options.hpp"

#include "infbench/error.hpp"

namespace infbench::cli {

void ModelOptions::add_to(CLI::App& cmd, const std::string& model_help, bool several_devices) {
  auto* model_option = cmd.add_option("--model", model, model_help + " (required)");
  auto* framework_option =
      cmd.add_option("--framework", framework, "Framework name, see `infbench info` (required)");
  cmd.add_option("--ensemble", ensemble,
                 "Ensemble spec (.yaml, docs/ensembles.md): same as --framework ensemble --model "
                 "SPEC")
      ->excludes(model_option)
      ->excludes(framework_option);
  if (several_devices) {
    cmd.add_option("--device", devices,
                   "-1 = CPU (default), k = GPU k; a list (0,1,...): data parallel over those "
                   "devices (predict splits the samples across them; bench measures the first "
                   "alone, then all at once)")
        ->delimiter(',');
  } else {
    cmd.add_option("--device", params.device, "-1 = CPU, k = GPU k")->capture_default_str();
  }
  cmd.add_option("--batch-size", params.batch_size, "Samples per framework call")
      ->capture_default_str();
  cmd.add_option("--threads", params.threads, "Compute threads (0 = one per CPU)")
      ->capture_default_str();
  cmd.add_option("--precision", params.precision, "fp32, fp16, bf16 where offered")
      ->capture_default_str();
  cmd.add_option("--optimization", optimization, "Framework graph-optimisation level");
  cmd.add_option("--cache-dir", cache_dir, "Optimised-model cache directory");
  cmd.add_option("--set", sets, "Framework option key=value (repeatable)");
}

Params ModelOptions::to_params() {
  if (!ensemble.empty()) {
    framework = "ensemble";
    model = ensemble;
  }
  if (model.empty() || framework.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "--model and --framework are required (or --ensemble SPEC for an ensemble)");
  }
  Params p = params;
  if (!devices.empty()) p.device = devices.front();
  p.optimization = optimization;
  p.cache_dir = cache_dir;
  for (const auto& kv : sets) p.options.insert(parse_key_value(kv));
  return p;
}

}  // namespace infbench::cli
