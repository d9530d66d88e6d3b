// The XLA hand loop, written as a user of the PJRT C API would, through infbench's RAII layer over
// that API (src/backends/pjrt_client.hpp) so that the ratio compares the harness with direct calls
// rather than two wrappers: the zoo's StableHLO file compiled by the adapter's plugin with the
// adapter's client options, one input batch in host memory, and per step a host-to-device copy,
// the execution and the outputs' copies back, with the adapter's default number of batches in
// flight (xla::default_in_flight: 2 on a GPU, so one batch's copies run beside the other's
// compute).
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "backends/option_values.hpp"
#include "backends/pjrt_client.hpp"
#include "backends/xla_plugin.hpp"
#include "hand_loops.hpp"
#include "infbench/registry.hpp"
#include "infbench/tensor.hpp"

namespace infbench::bench {
namespace {

// The program's one input (the zoo's image models), as its sidecar .json declares it, filled with
// normal(0, 1) values in its dtype.
Tensor input_batch(const std::filesystem::path& model, int batch) {
  const auto path = model.string() + ".json";
  std::ifstream sidecar(path);
  if (!sidecar)
    throw std::runtime_error(path + ": missing (export the model with tools/xla_zoo.py)");
  const auto spec = nlohmann::json::parse(sidecar).at("inputs").at(0);
  if (spec.at("shape").at(0).get<int>() != batch)
    throw std::runtime_error(model.string() + " was exported for batch " +
                             spec.at("shape").at(0).dump() + ", not " + std::to_string(batch));
  const auto dtype = parse_dtype(spec.at("dtype").get<std::string>());
  if (!dtype || (*dtype != DType::float32 && *dtype != DType::float16))
    throw std::runtime_error(model.string() + ": the XLA hand loop takes float32/float16 inputs");
  Tensor input(*dtype, spec.at("shape").get<Shape>());
  const auto values = normal_values(static_cast<std::size_t>(input.element_count()));
  if (*dtype == DType::float32) {
    std::copy(values.begin(), values.end(), input.values<float>().begin());
  } else {
    std::transform(values.begin(), values.end(), input.values<std::uint16_t>().begin(),
                   float_to_half);
  }
  return input;
}

// One step in flight. Members go in reverse order, each awaiting its events: the copies before
// the host tensors they write, the execution before the input it reads.
struct Step {
  pjrt::Buffer input;
  pjrt::Execution execution;
  std::vector<Tensor> outputs;
  std::vector<pjrt::Event> copies;
};

// A client and the program compiled once per process, file and device, as a serving user keeps
// them: the A/B rounds call the loop again and again (a ResNet-50 compile takes seconds; it is
// outside the timed window either way). Never freed: PJRT state goes with the process. The client
// is created as the adapter creates it by default (its options' defaults).
struct Compiled {
  std::unique_ptr<pjrt::Client> client;
  std::unique_ptr<pjrt::Executable> executable;
};

const Compiled& compiled(const std::filesystem::path& model, int device) {
  static auto* cache = new std::map<std::pair<std::string, int>, Compiled>;
  auto& entry = (*cache)[{model.string(), device}];
  if (entry.executable) return entry;
  const auto plugin_path = xla::default_plugin(device >= 0);
  if (plugin_path.empty()) throw std::runtime_error("XLA hand loop: no PJRT plugin found");
  const auto info = create_backend("xla")->info();
  const auto option = [&](const std::string& name) { return option_value({}, info, name); };
  ::setenv("TF_CPP_MIN_LOG_LEVEL", "2", /*overwrite=*/0);  // as the adapter: no INFO lines
  entry.client = std::make_unique<pjrt::Client>(
      pjrt::open_plugin(plugin_path),
      xla::client_options(device, option("allocator"), std::stof(option("memory_fraction")),
                          option("preallocate") == "on"));
  std::ifstream file(model, std::ios::binary);
  if (!file) throw std::runtime_error(model.string() + ": cannot read the StableHLO program");
  const std::string module((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
  entry.executable =
      std::make_unique<pjrt::Executable>(entry.client->compile(module, pjrt::compile_options({})));
  return entry;
}

}  // namespace

HandLoopResult hand_loop_xla(const std::filesystem::path& model, int batch, int device,
                             double seconds) {
  const bool gpu = device >= 0;
  const auto& state = compiled(model, device);
  const pjrt::Client& client = *state.client;
  const pjrt::Executable& executable = *state.executable;
  const Tensor input = input_batch(model, batch);
  const bool zero_copy = client.platform().starts_with("cpu");
  const std::size_t depth = xla::default_in_flight(gpu);
  std::deque<Step> in_flight;
  const auto submit = [&] {
    Step& step =
        in_flight.emplace_back(Step{client.from_host(input.view(), zero_copy), {}, {}, {}});
    PJRT_Buffer* const arguments[] = {step.input.get()};
    step.execution = executable.start(arguments);
    step.outputs.reserve(step.execution.outputs.size());  // the copies target these tensors
    for (const auto& out : step.execution.outputs) {
      auto& host = step.outputs.emplace_back(out.dtype(), out.dimensions());
      step.copies.push_back(out.start_copy_to_host(host.data(), host.byte_size()));
    }
  };
  return time_batches(batch, seconds, [&] {
    while (in_flight.size() < depth) submit();
    Step& oldest = in_flight.front();
    oldest.execution.done.wait("XLA hand loop: execution");
    for (auto& copy : oldest.copies) copy.wait("XLA hand loop: device-to-host copy");
    in_flight.pop_front();
  });
}

}  // namespace infbench::bench
