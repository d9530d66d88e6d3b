// The ensemble study: modes x batch sizes through the measurement engine, members alone, the
// interference matrix and accuracy (include/infbench/ensemble_study.hpp, docs/ensembles.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/sample_pool.hpp"
#include "helpers.hpp"
#include "infbench/ensemble_study.hpp"
#include "infbench/npy.hpp"
#include "infbench/registry.hpp"

namespace infbench {
namespace {

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json run_summary(const RunResult& r) {
  const auto& rec = r.record;
  return {{"status", rec.status},
          {"error", rec.error},
          {"throughput_samples_per_s", rec.throughput_samples_per_s},
          {"latency_p50_ms", optional_number(rec.latency_p50_ms)},
          {"latency_p99_ms", optional_number(rec.latency_p99_ms)},
          {"host_peak_rss_bytes", rec.host_peak_rss_inference_bytes
                                      ? nlohmann::json(*rec.host_peak_rss_inference_bytes)
                                      : nlohmann::json(nullptr)},
          {"energy_per_sample_j", optional_number(rec.energy_per_sample_j)},
          {"effective_settings", rec.effective_settings}};
}

// One batch for the interference runs: the first rows of the sample files, else seeded random
// values of the ensemble's input shapes and types (the runner's SamplePool).
std::vector<Tensor> interference_batch(const Signature& signature, const RunConfig& run,
                                       int batch_size) {
  std::vector<Tensor> batch;
  if (!run.input_files.empty()) {
    for (const auto& f : run.input_files) {
      const auto all = read_npy(f);
      const auto rows = std::min<std::int64_t>(batch_size, all.shape().at(0));
      Tensor t = all.slice_batch(0, rows);
      // Repeat rows when the file holds fewer samples than a batch.
      if (rows < batch_size) {
        Shape shape = all.shape();
        shape[0] = batch_size;
        Tensor full(all.dtype(), shape);
        const auto row_bytes = t.view().byte_size() / static_cast<std::size_t>(rows);
        for (std::int64_t i = 0; i < batch_size; ++i) {
          std::memcpy(full.data() + static_cast<std::size_t>(i) * row_bytes,
                      t.data() + static_cast<std::size_t>(i % rows) * row_bytes, row_bytes);
        }
        t = std::move(full);
      }
      batch.push_back(std::move(t));
    }
    return batch;
  }
  std::vector<Shape> shapes;
  for (const auto& spec : signature.inputs) {
    if (!spec.shape_known || spec.shape.empty()) {
      throw Error(ErrorKind::invalid_argument,
                  "interference: input '" + spec.name +
                      "' has no known shape; give --input files (or add the model to the zoo "
                      "manifest)");
    }
    shapes.emplace_back(spec.shape.begin() + 1, spec.shape.end());
  }
  // Random data of each input's type (uint8 pixels, float16 for fp16 packages).
  return SamplePool::random(signature.inputs, shapes, batch_size,
                            static_cast<std::uint64_t>(run.seed))
      .tensors();
}

nlohmann::json interference(const EnsembleSpec& spec, const EnsembleStudyConfig& config,
                            int batch_size,
                            const std::function<void(const std::string&)>& progress) {
  EnsembleOptions options;
  options.mode = EnsembleMode::concurrent;
  options.batch_size = batch_size;
  options.total_threads = config.threads;
  Ensemble engine(spec, options);
  const auto inputs = interference_batch(engine.signature(), config.run, batch_size);
  std::vector<TensorView> views;
  for (const auto& t : inputs) views.push_back(t.view());
  const auto n = spec.members.size();
  auto rate = [&](std::vector<bool> active) {
    return engine.co_run(active, views, config.interference_warmup_s,
                         config.interference_duration_s);
  };
  std::vector<double> alone(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<bool> active(n, false);
    active[i] = true;
    alone[i] = rate(active).samples_per_s[i];
    progress(fmt::format("  interference b{}: {} alone {:.1f}/s", batch_size, spec.members[i].name,
                         alone[i]));
  }
  nlohmann::json with = nlohmann::json::object(), slowdown = nlohmann::json::object();
  auto record = [&](std::size_t i, const std::string& other, double r) {
    with[spec.members[i].name][other] = r;
    slowdown[spec.members[i].name][other] = r > 0 ? nlohmann::json(alone[i] / r) : nullptr;
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      std::vector<bool> active(n, false);
      active[i] = active[j] = true;
      const auto r = rate(active);
      record(i, spec.members[j].name, r.samples_per_s[i]);
      record(j, spec.members[i].name, r.samples_per_s[j]);
    }
  }
  const auto all = rate(std::vector<bool>(n, true));
  for (std::size_t i = 0; i < n; ++i) record(i, "all", all.samples_per_s[i]);
  progress(fmt::format("  interference b{}: all together measured", batch_size));
  nlohmann::json alone_json = nlohmann::json::object(), memory = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i) alone_json[spec.members[i].name] = alone[i];
  for (const auto& load : engine.member_loads()) {
    memory.push_back({{"member", load.name},
                      {"threads", load.threads},
                      {"instances", load.instances},
                      {"load_s", load.load_s},
                      {"rss_added_bytes", load.rss_added_bytes}});
  }
  return {{"threads_per_member", memory},
          {"alone_samples_per_s", alone_json},
          {"with_samples_per_s", with},
          {"slowdown", slowdown}};
}

}  // namespace

EnsembleStudy run_ensemble_study(const std::filesystem::path& spec_path,
                                 const EnsembleStudyConfig& config,
                                 const std::function<void(const std::string&)>& progress) {
  EnsembleStudy study;
  study.spec = load_ensemble_spec(spec_path);
  if (!config.placement.empty()) place_members(study.spec, config.placement);
  const std::string placement = fmt::format("{}", fmt::join(config.placement, ","));
  const auto& spec = study.spec;
  nlohmann::json batches = nlohmann::json::array();
  const auto shares = member_thread_budget(spec, EnsembleMode::concurrent, config.threads);
  for (const int batch : config.batch_sizes) {
    if (interrupt_flag()) break;
    nlohmann::json entry = {{"batch_size", batch}};
    std::optional<double> sequential;
    for (const auto mode : config.modes) {
      if (interrupt_flag()) break;
      Params params;
      params.batch_size = batch;
      params.threads = config.threads;
      params.device = shared_member_device(spec);
      params.options["mode"] = std::string(to_string(mode));
      if (!placement.empty()) params.options["placement"] = placement;
      auto result = run_benchmark("ensemble", spec_path, params, config.run);
      const auto& rec = result.record;
      progress(fmt::format("  ensemble b{} {:<10} {:>9.2f} samples/s  {}", batch, to_string(mode),
                           rec.throughput_samples_per_s, rec.status == "ok" ? "" : rec.error));
      entry["modes"][std::string(to_string(mode))] = run_summary(result);
      if (mode == EnsembleMode::sequential && rec.status == "ok") {
        sequential = rec.throughput_samples_per_s;
      }
      study.runs.push_back({"ensemble", std::string(to_string(mode)), batch, std::move(result)});
    }
    if (sequential && *sequential > 0) {
      for (auto& [mode, summary] : entry["modes"].items()) {
        if (summary["status"] == "ok") {
          entry["speedup_vs_sequential"][mode] =
              summary["throughput_samples_per_s"].get<double>() / *sequential;
        }
      }
    }
    if (config.members_alone) {
      for (std::size_t m = 0; m < spec.members.size() && !interrupt_flag(); ++m) {
        const auto& member = spec.members[m];
        auto params = member.params;
        params.batch_size = batch;
        params.threads = shares[m];
        auto result =
            run_benchmark(member.framework, member_model(member, batch), params, config.run);
        progress(fmt::format("  member   b{} {:<10} {:>9.2f} samples/s alone, {} threads", batch,
                             member.name, result.record.throughput_samples_per_s, shares[m]));
        entry["members_alone"][member.name] = run_summary(result);
        study.runs.push_back({"member", member.name, batch, std::move(result)});
      }
    }
    // A second baseline: the members one after the other at the rates they reach alone with the
    // share of threads they have in the ensemble (1 / sum of 1 / rate). Unlike the measured
    // sequential mode, it carries no cost of idle thread pools of the other members.
    if (entry.contains("members_alone")) {
      double seconds_per_sample = 0;
      bool all_ok = true;
      for (const auto& [name, r] : entry["members_alone"].items()) {
        const double rate = r["throughput_samples_per_s"].get<double>();
        all_ok = all_ok && r["status"] == "ok" && rate > 0;
        if (rate > 0) seconds_per_sample += 1.0 / rate;
      }
      if (all_ok && seconds_per_sample > 0) {
        entry["members_alone_in_turn_samples_per_s"] = 1.0 / seconds_per_sample;
        for (auto& [mode, summary] : entry["modes"].items()) {
          if (summary["status"] == "ok") {
            entry["speedup_vs_members_alone_in_turn"][mode] =
                summary["throughput_samples_per_s"].get<double>() * seconds_per_sample;
          }
        }
      }
    }
    if (config.interference && !interrupt_flag()) {
      try {
        entry["interference"] = interference(spec, config, batch, progress);
      } catch (const Error& e) {
        entry["interference"] = {{"error", e.what()}};
        progress(std::string("  interference failed: ") + e.what());
      }
    }
    batches.push_back(entry);
  }
  nlohmann::json summary = {
      {"ensemble", spec.name},
      {"spec", spec_path.string()},
      {"combine", std::string(to_string(spec.combine))},
      {"threads", config.threads > 0 ? config.threads : default_thread_count()},
      {"batches", batches},
      {"interrupted", interrupt_flag().load()}};
  for (const auto& m : spec.members) {
    summary["members"].push_back({{"name", m.name},
                                  {"framework", m.framework},
                                  {"model", m.model.string()},
                                  {"device", m.params.device}});
  }
  if (!config.labels.empty() && !interrupt_flag()) {
    Params params;
    params.batch_size = config.batch_sizes.back();
    params.threads = config.threads;
    nlohmann::json accuracy = nlohmann::json::array();
    for (const auto& a :
         measure_top1("ensemble", spec_path, params, config.run.input_files, config.labels)) {
      accuracy.push_back({{"name", a.name}, {"top1", a.top1}});
      progress(fmt::format("  accuracy {:<12} top-1 {:.4f}", a.name, a.top1));
    }
    summary["accuracy"] = accuracy;
    summary["accuracy_labels"] = config.labels.string();
  }
  study.summary_json = json_text(summary);
  return study;
}

std::string ensemble_study_table(const EnsembleStudy& study) {
  const auto s = nlohmann::json::parse(study.summary_json);
  std::string out = fmt::format("ensemble {} ({} members, combine {}, {} threads in all)\n",
                                s["ensemble"].get<std::string>(), study.spec.members.size(),
                                s["combine"].get<std::string>(), s["threads"].get<int>());
  out +=
      "| batch | mode | samples/s | speed-up vs sequential | vs members alone in turn | p50 ms | "
      "p99 ms |\n";
  out += "|---|---|---|---|---|---|---|\n";
  auto cell = [](const nlohmann::json& v, const char* format) {
    return v.is_number() ? fmt::format(fmt::runtime(format), v.get<double>()) : std::string("-");
  };
  for (const auto& b : s["batches"]) {
    for (const auto& [mode, r] : b["modes"].items()) {
      const auto speedup =
          b.contains("speedup_vs_sequential") && b["speedup_vs_sequential"].contains(mode)
              ? b["speedup_vs_sequential"][mode]
              : nlohmann::json(nullptr);
      const auto in_turn = b.contains("speedup_vs_members_alone_in_turn") &&
                                   b["speedup_vs_members_alone_in_turn"].contains(mode)
                               ? b["speedup_vs_members_alone_in_turn"][mode]
                               : nlohmann::json(nullptr);
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", b["batch_size"].get<int>(), mode,
                         r["status"] == "ok" ? cell(r["throughput_samples_per_s"], "{:.2f}")
                                             : "failed: " + r["error"].get<std::string>(),
                         cell(speedup, "{:.3f}x"), cell(in_turn, "{:.3f}x"),
                         cell(r["latency_p50_ms"], "{:.2f}"), cell(r["latency_p99_ms"], "{:.2f}"));
    }
  }
  for (const auto& b : s["batches"]) {
    if (!b.contains("interference") || b["interference"].contains("error")) continue;
    const auto& in = b["interference"];
    out += fmt::format("\ninterference at batch {} (slowdown = alone / co-located rate)\n",
                       b["batch_size"].get<int>());
    out += "| member | threads | alone samples/s | alone in bench | ";
    for (const auto& m : study.spec.members) out += "with " + m.name + " | ";
    out += "with all |\n|---|---|---|---|";
    for (std::size_t i = 0; i <= study.spec.members.size(); ++i) out += "---|";
    out += "\n";
    for (std::size_t i = 0; i < study.spec.members.size(); ++i) {
      const auto& name = study.spec.members[i].name;
      const auto bench = b.contains("members_alone")
                             ? b["members_alone"][name]["throughput_samples_per_s"]
                             : nlohmann::json(nullptr);
      out += fmt::format("| {} | {} | {} | {} | ", name,
                         in["threads_per_member"][i]["threads"].get<int>(),
                         cell(in["alone_samples_per_s"][name], "{:.2f}"), cell(bench, "{:.2f}"));
      for (const auto& other : study.spec.members) {
        out +=
            other.name == name ? "- | " : cell(in["slowdown"][name][other.name], "{:.2f}x") + " | ";
      }
      out += cell(in["slowdown"][name]["all"], "{:.2f}x") + " |\n";
    }
  }
  if (s.contains("accuracy")) {
    out += "\ntop-1 accuracy on " + s["accuracy_labels"].get<std::string>() + "\n";
    for (const auto& a : s["accuracy"]) {
      out +=
          fmt::format("  {:<14} {:.4f}\n", a["name"].get<std::string>(), a["top1"].get<double>());
    }
  }
  return out;
}

}  // namespace infbench
