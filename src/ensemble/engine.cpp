// The ensemble engine: one worker thread per member instance, loading and running it (see
// infbench/ensemble.hpp).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include "core/zoo_manifest.hpp"
#include "engine_parts.hpp"
#include "infbench/probe.hpp"

namespace infbench {

std::vector<Tensor> run_member(Model& model, const std::vector<TensorView>& inputs,
                               const std::string& name) {
  try {
    return model.run_batch(inputs);
  } catch (const Error& e) {
    throw Error(e.kind(), "ensemble member '" + name + "': " + e.what());
  } catch (const std::exception& e) {
    throw Error(ErrorKind::framework, "ensemble member '" + name + "': " + e.what());
  }
}

namespace {

// The ensemble's inputs are its members' (which must agree): taken from the first member whose
// format records them, else from the model zoo's manifest.
std::vector<TensorSpec> ensemble_inputs(const EnsembleSpec& spec,
                                        const std::vector<const Signature*>& members) {
  const auto count = members.front()->inputs.size();
  for (std::size_t m = 0; m < members.size(); ++m) {
    if (members[m]->inputs.size() != count) {
      throw Error(ErrorKind::invalid_argument,
                  spec.path.string() + ": member '" + spec.members[m].name + "' takes " +
                      std::to_string(members[m]->inputs.size()) + " inputs, member '" +
                      spec.members[0].name + "' " + std::to_string(count) +
                      "; every member must take the same inputs");
    }
  }
  for (const auto* signature : members) {
    if (signature->inputs.front().shape_known) return signature->inputs;
  }
  const auto first = member_model(spec.members.front(), 1);
  auto inputs = inputs_with_manifest_dtypes(members.front()->inputs, first);
  if (const auto shapes = manifest_sample_shapes(first)) {
    for (std::size_t i = 0; i < inputs.size() && i < shapes->size(); ++i) {
      inputs[i].shape = {-1};
      inputs[i].shape.insert(inputs[i].shape.end(), (*shapes)[i].begin(), (*shapes)[i].end());
      inputs[i].shape_known = true;
    }
  }
  return inputs;
}

std::size_t output_index(const MemberSpec& member, const Signature& signature) {
  if (member.output.empty()) return 0;
  for (std::size_t i = 0; i < signature.outputs.size(); ++i) {
    if (signature.outputs[i].name == member.output) return i;
  }
  std::string names;
  for (const auto& o : signature.outputs) names += (names.empty() ? "" : ", ") + o.name;
  throw Error(ErrorKind::invalid_argument, "ensemble member '" + member.name + "': output '" +
                                               member.output + "' not found; outputs: " + names);
}

}  // namespace

Ensemble::Ensemble(EnsembleSpec spec, const EnsembleOptions& options)
    : spec_(std::move(spec)), options_(options) {
  if (options_.mode == EnsembleMode::automatic) {
    throw Error(ErrorKind::invalid_argument, "Ensemble runs one mode; resolve 'auto' first");
  }
  const auto threads = member_thread_budget(spec_, options_.mode, options_.total_threads);
  const auto depth = std::max<std::size_t>(1, options_.queue_depth);
  std::vector<const Signature*> signatures;
  // Members load one after the other, so the resident memory each adds can be told apart.
  for (std::size_t m = 0; m < spec_.members.size(); ++m) {
    const auto& member_spec = spec_.members[m];
    auto params = member_spec.params;
    params.batch_size = options_.batch_size;
    params.threads = std::max(1, threads[m] / member_spec.instances);
    if (params.device < 0) params.device = options_.device;
    auto& member = members_.emplace_back();
    const auto rss_before = current_rss_bytes();
    const auto start = Clock::now();
    for (int i = 0; i < member_spec.instances; ++i) {
      auto& worker = *member.instances.emplace_back(std::make_unique<Worker>(depth));
      worker.call([&] {
        try {
          worker.model = Model::load(member_spec.framework,
                                     member_model(member_spec, params.batch_size), params);
        } catch (const Error& e) {
          throw Error(e.kind(), "ensemble member '" + member_spec.name + "': " + e.what());
        }
      });
    }
    const double load_s = std::chrono::duration<double>(Clock::now() - start).count();
    const auto rss_after = current_rss_bytes();
    member.combined_output = output_index(member_spec, member.model().signature());
    loads_.push_back({member_spec.name, params.threads, member_spec.instances, load_s,
                      std::max<std::int64_t>(0, rss_after - rss_before)});
    signatures.push_back(&member.model().signature());
  }
  signature_.inputs = ensemble_inputs(spec_, signatures);
  const auto& first = signatures.front()->outputs.at(members_.front().combined_output);
  signature_.outputs.push_back(
      {spec_.combine == CombineRule::majority_vote ? "votes" : "probabilities", DType::float32,
       first.shape, first.shape_known});
  for (std::size_t m = 0; m < spec_.members.size(); ++m) {
    const auto& member = spec_.members[m];
    weights_.push_back(member.weight);
    probabilities_.push_back(member.probabilities);
    kept_.push_back(options_.keep_all || std::find(spec_.keep.begin(), spec_.keep.end(),
                                                   member.name) != spec_.keep.end());
    if (!kept_.back()) continue;
    for (auto output : signatures[m]->outputs) {
      output.name = member.name + "/" + output.name;
      signature_.outputs.push_back(output);
    }
  }
  warm_instances();
}

// Batches each copy of a member with several instances runs at load (see warm_instances).
constexpr int kInstanceWarmupBatches = 5;

// Copies of a member see only every n-th batch, so the harness's warm-up can leave them cold, and
// a cold copy is slow: a TorchScript module's first calls on a GPU run its profiling and
// optimising passes (~0.4 s each for DenseNet-201 on an H200), so an H200 run of 6 cold copies
// measured ~1 batch/s for 13 s. Each copy runs a few batches of zeros here, the copies at once;
// it is part of the load. Without input shapes (a format that records none and no zoo entry)
// nothing is warmed.
void Ensemble::warm_instances() {
  if (std::none_of(members_.begin(), members_.end(),
                   [](const Member& m) { return m.instances.size() > 1; })) {
    return;
  }
  std::vector<Tensor> inputs;
  for (const auto& in : signature_.inputs) {
    if (!in.shape_known || in.shape.empty()) return;
    Shape shape = in.shape;
    shape.front() = options_.batch_size;
    if (std::any_of(shape.begin(), shape.end(), [](std::int64_t d) { return d < 0; })) return;
    inputs.emplace_back(in.dtype, shape);
  }
  std::vector<TensorView> views;
  for (const auto& t : inputs) views.push_back(t.view());
  std::vector<std::future<void>> warmed;
  for (std::size_t m = 0; m < members_.size(); ++m) {
    if (members_[m].instances.size() < 2) continue;
    for (auto& worker : members_[m].instances) {
      warmed.push_back(worker->post([&, m, copy = worker.get()] {
        for (int i = 0; i < kInstanceWarmupBatches; ++i) {
          run_member(*copy->model, views, spec_.members[m].name);
        }
      }));
    }
  }
  // Every task refers to `views`: wait for all of them before the first failure propagates.
  std::exception_ptr failure;
  for (auto& f : warmed) {
    try {
      f.get();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

Ensemble::~Ensemble() {
  for (auto& batch : in_flight_) batch->wait_until_done(members_.size());
  // Each model is released on the thread that created it.
  for (auto& member : members_) {
    for (auto& worker : member.instances) {
      try {
        worker->call([&] { worker->model.reset(); });
      } catch (...) {
      }
    }
  }
}

const Model& Ensemble::member(std::size_t i) const {
  return *members_.at(i).instances.front()->model;
}

std::size_t Ensemble::batches_in_flight() const {
  if (options_.mode != EnsembleMode::pipelined) return 1;
  std::size_t most = 1;
  for (const auto& member : members_) most = std::max(most, member.instances.size());
  // Every instance of the member with the most gets queue_depth batches of its own.
  return std::max<std::size_t>(1, options_.queue_depth) * most;
}

Settings Ensemble::effective_settings() const {
  Settings s = {{"batch_size", std::to_string(options_.batch_size)},
                {"device", std::to_string(options_.device)},
                {"threads", std::to_string(options_.total_threads > 0 ? options_.total_threads
                                                                      : default_thread_count())},
                {"mode", std::string(to_string(options_.mode))},
                {"combine", std::string(to_string(spec_.combine))},
                {"members", std::to_string(spec_.members.size())}};
  if (options_.mode == EnsembleMode::pipelined) {
    s.emplace_back("queue_depth", std::to_string(options_.queue_depth));
  }
  for (std::size_t m = 0; m < members_.size(); ++m) {
    const auto& name = spec_.members[m].name;
    s.emplace_back(name + ".framework", spec_.members[m].framework);
    if (spec_.members[m].instances > 1) {
      s.emplace_back(name + ".instances", std::to_string(spec_.members[m].instances));
    }
    for (const auto& [key, value] : members_[m].model().effective_settings()) {
      if (key != "batch_size") s.emplace_back(name + "." + key, value);
    }
  }
  return s;
}

void Ensemble::submit(std::span<const TensorView> inputs) {
  auto batch = std::make_shared<Batch>();
  batch->inputs.assign(inputs.begin(), inputs.end());
  batch->outputs.resize(members_.size());
  const bool one_at_a_time = options_.mode == EnsembleMode::sequential;
  for (std::size_t m = 0; m < members_.size(); ++m) {
    auto& worker = members_[m].take_next();
    const auto& name = spec_.members[m].name;
    worker.tasks.push([batch, m, &worker, &name] {
      std::vector<Tensor> result;
      std::exception_ptr failure;
      try {
        result = run_member(*worker.model, batch->inputs, name);
      } catch (...) {
        failure = std::current_exception();
      }
      // Moved, not copied: the worker then keeps no reference to the exception, so the thread that
      // reads it (collect) is the one that frees it (libstdc++'s exception reference count is
      // invisible to ThreadSanitizer, which otherwise reports the free as a race).
      batch->finish_member(m, std::move(result), std::move(failure));
    });
    if (one_at_a_time) batch->wait_until_done(m + 1);
  }
  in_flight_.push_back(std::move(batch));
}

std::vector<Tensor> Ensemble::collect() {
  if (in_flight_.empty()) throw Error(ErrorKind::invalid_argument, "collect() without submit()");
  auto batch = std::move(in_flight_.front());
  in_flight_.erase(in_flight_.begin());
  batch->wait_until_done(members_.size());
  return finish(*batch);
}

std::vector<Tensor> Ensemble::run_batch(std::span<const TensorView> inputs) {
  submit(inputs);
  return collect();
}

std::vector<Tensor> Ensemble::finish(Batch& batch) {
  if (batch.error) {
    // Taken out of the batch, which a worker may release last: the exception's last reference is
    // this thread's (see submit).
    std::exception_ptr error;
    {
      std::lock_guard lock(batch.mutex);
      error = std::exchange(batch.error, nullptr);
    }
    std::rethrow_exception(error);
  }
  std::vector<TensorView> scores;
  for (std::size_t m = 0; m < members_.size(); ++m) {
    scores.push_back(batch.outputs[m].at(members_[m].combined_output).view());
  }
  std::vector<Tensor> outputs;
  outputs.push_back(combine_outputs(spec_.combine, scores, weights_, probabilities_));
  for (std::size_t m = 0; m < members_.size(); ++m) {
    if (!kept_[m]) continue;
    for (auto& t : batch.outputs[m]) outputs.push_back(std::move(t));
  }
  return outputs;
}

}  // namespace infbench
