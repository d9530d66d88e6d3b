// The XLA hand loop, written as a user of the PJRT C API would, through infbench's RAII layer over
// that API (src/backends/pjrt_client.hpp) so that the ratio compares the harness with direct calls
// rather than two wrappers: the zoo's StableHLO file compiled by the adapter's plugin with the
// adapter's client options, one input batch in host memory, and per step a host-to-device copy,
// the execution and the outputs' copies back. On a GPU two steps are outstanding (the adapter's
// default in_flight), so one batch's copies run beside the other's compute; on the CPU one.
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "backends/pjrt_client.hpp"
#include "backends/xla_plugin.hpp"
#include "hand_loops.hpp"
#include "infbench/tensor.hpp"

namespace infbench::bench {
namespace {

// The program's one input (the zoo's image models), as its sidecar .json declares it, filled with
// normal(0, 1) values in its dtype.
Tensor input_batch(const std::filesystem::path& model) {
  std::ifstream sidecar(model.string() + ".json");
  const auto spec = nlohmann::json::parse(sidecar).at("inputs").at(0);
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

}  // namespace

HandLoopResult hand_loop_xla(const std::filesystem::path& model, int batch, int device,
                             double seconds) {
  const bool gpu = device >= 0;
  const auto plugin_path = xla::default_plugin(gpu);
  if (plugin_path.empty()) throw std::runtime_error("XLA hand loop: no PJRT plugin found");
  ::setenv("TF_CPP_MIN_LOG_LEVEL", "2", /*overwrite=*/0);  // as the adapter: no INFO lines
  const pjrt::Client client(pjrt::open_plugin(plugin_path),
                            xla::client_options(device, "bfc", 0.75F, false));
  std::ifstream file(model, std::ios::binary);
  const std::string module((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
  const auto executable = client.compile(module, pjrt::compile_options({}));
  const Tensor input = input_batch(model);
  const bool zero_copy = client.platform().starts_with("cpu");
  const std::size_t depth = gpu ? 2 : 1;
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
