#include "infbench/data_parallel.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <latch>
#include <optional>
#include <set>
#include <thread>

#include "batch_plan.hpp"
#include "infbench/error.hpp"

namespace infbench {
namespace {

using Clock = std::chrono::steady_clock;

// Runs fn(i) for i in [0, n) on n threads; rethrows the first failure by index.
template <class Fn>
void on_threads(std::size_t n, Fn&& fn) {
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      try {
        fn(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace

void require_distinct_devices(const std::vector<int>& devices) {
  std::set<int> seen;
  for (const int d : devices) {
    if (!seen.insert(d).second)
      throw Error(ErrorKind::invalid_argument,
                  "--device: device " + std::to_string(d) +
                      " is listed twice; data parallelism needs distinct devices (e.g. 0,1)");
  }
}

std::vector<Model> load_on_devices(std::string_view framework, const std::filesystem::path& path,
                                   const Params& params, const std::vector<int>& devices) {
  if (devices.empty()) throw Error(ErrorKind::invalid_argument, "--device: no device given");
  require_distinct_devices(devices);
  std::vector<std::optional<Model>> loaded(devices.size());
  on_threads(devices.size(), [&](std::size_t i) {
    Params p = params;
    p.device = devices[i];
    loaded[i] = Model::load(framework, path, p);
  });
  std::vector<Model> models;
  for (auto& m : loaded) models.push_back(std::move(*m));
  return models;
}

std::vector<std::pair<std::int64_t, std::int64_t>> split_samples(std::int64_t samples, int parts,
                                                                 int batch_size) {
  const std::int64_t batch = std::max(1, batch_size);
  const std::int64_t batches = (samples + batch - 1) / batch;
  std::vector<std::pair<std::int64_t, std::int64_t>> shares;
  std::int64_t first = 0;
  for (int i = 0; i < parts; ++i) {
    const std::int64_t mine = batches / parts + (i < batches % parts ? 1 : 0);
    const std::int64_t count = std::min(mine * batch, samples - first);
    shares.emplace_back(first, count);
    first += count;
  }
  return shares;
}

DataParallelResult predict_data_parallel(std::vector<Model>& models, const NamedTensors& inputs) {
  if (models.empty() || inputs.empty())
    throw Error(ErrorKind::invalid_argument, "data-parallel predict: no model or no input");
  // Every input is split by rows across the devices: an input Model::predict would pass whole
  // (a weight, a scalar, a fixed batch given once) cannot be, so it is refused, not cut.
  const auto& specs = models.front().signature().inputs;
  std::vector<TensorSpec> given_specs;
  std::vector<TensorView> given;
  for (const auto& in : inputs) {
    const auto spec = std::find_if(specs.begin(), specs.end(), [&](const TensorSpec& s) {
      return s.name == in.name || (in.name.empty() && specs.size() == 1);
    });
    if (spec == specs.end()) continue;  // Model::predict names the unknown input
    given_specs.push_back(*spec);
    given.push_back(in.tensor.view());
  }
  const auto plan = plan_batches(given_specs, given);
  for (std::size_t i = 0; i < given.size(); ++i) {
    if (!plan.batched[i]) {
      throw Error(ErrorKind::invalid_argument,
                  "data-parallel predict splits every input by rows, but input '" +
                      given_specs[i].name +
                      "' goes whole to every call (scalar, or given as declared): use one device");
    }
  }
  const std::int64_t samples = inputs.front().tensor.batch();
  const auto bounds =
      split_samples(samples, static_cast<int>(models.size()), models.front().batch_size());
  DataParallelResult result;
  std::vector<NamedTensors> parts(models.size());
  for (std::size_t i = 0; i < models.size(); ++i) {
    result.shares.push_back({models[i].requested().device, bounds[i].first, bounds[i].second, 0});
  }
  // Each share is copied before the clock starts, so the timing covers only the devices' work.
  std::vector<NamedTensors> share_inputs(models.size());
  for (std::size_t i = 0; i < models.size(); ++i) {
    for (const auto& in : inputs) {
      share_inputs[i].push_back(
          {in.name, in.tensor.slice_batch(bounds[i].first, bounds[i].second)});
    }
  }
  // The threads start together, once all exist, so that the wall time is the devices' work.
  std::latch start(static_cast<std::ptrdiff_t>(models.size()) + 1);
  std::vector<std::exception_ptr> errors(models.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < models.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      if (bounds[i].second == 0) return;
      try {
        const auto begin = Clock::now();
        parts[i] = models[i].predict(share_inputs[i]);
        result.shares[i].seconds = std::chrono::duration<double>(Clock::now() - begin).count();
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  const auto t0 = Clock::now();
  start.count_down();
  for (auto& t : threads) t.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  // Reassemble: output k of every non-empty share, in share (= sample) order.
  std::size_t reference = 0;
  while (reference < parts.size() && parts[reference].empty()) ++reference;
  if (reference == parts.size()) return result;  // no samples at all
  for (std::size_t k = 0; k < parts[reference].size(); ++k) {
    std::vector<Tensor> pieces;
    for (auto& part : parts) {
      if (!part.empty()) pieces.push_back(std::move(part[k].tensor));
    }
    result.outputs.push_back({parts[reference][k].name, Tensor::concat_batch(pieces)});
  }
  return result;
}

}  // namespace infbench
