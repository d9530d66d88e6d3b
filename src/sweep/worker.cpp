// The child side of a sweep: load the group's model once, measure every point, stream results.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "infbench/report.hpp"
#include "sweep.hpp"

namespace infbench {
namespace {

// Results go to fd 3, so that whatever frameworks print on stdout/stderr cannot corrupt them.
void emit(const nlohmann::json& message) {
  const std::string line = message.dump() + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const auto n = ::write(3, line.data() + written, line.size() - written);
    if (n <= 0) std::_Exit(3);  // the parent is gone
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace

nlohmann::json point_to_json(const PlanPoint& p) {
  const auto& c = p.config;
  return {{"id", p.id},
          {"group_id", p.group_id},
          {"model", p.model},
          {"framework", p.framework},
          {"model_file", p.model_file.string()},
          {"params",
           {{"batch_size", p.params.batch_size},
            {"device", p.params.device},
            {"threads", p.params.threads},
            {"precision", p.params.precision},
            {"optimization", p.params.optimization},
            {"cache_dir", p.params.cache_dir.string()},
            {"options", p.params.options}}},
          {"config",
           {{"scenario", std::string(to_string(c.scenario))},
            {"min_duration_s", c.min_duration_s},
            {"min_queries", c.min_queries},
            {"max_duration_s", c.max_duration_s},
            {"warmup_s", c.warmup_s},
            {"warmup_queries", c.warmup_queries},
            {"samples_per_query", c.samples_per_query},
            {"target_qps", c.target_qps},
            {"latency_bound_ms", c.latency_bound_ms},
            {"repeat", c.repeat},
            {"seed", c.seed},
            {"pool_samples", c.pool_samples},
            {"overlap", c.overlap},
            {"idle_power_s", c.idle_power_s}}}};
}

PlanPoint point_from_json(const nlohmann::json& j) {
  PlanPoint p;
  p.id = j.at("id");
  p.group_id = j.at("group_id");
  p.model = j.at("model");
  p.framework = j.at("framework");
  p.model_file = j.at("model_file").get<std::string>();
  const auto& pa = j.at("params");
  p.params.batch_size = pa.at("batch_size");
  p.params.device = pa.at("device");
  p.params.threads = pa.at("threads");
  p.params.precision = pa.at("precision");
  p.params.optimization = pa.at("optimization");
  p.params.cache_dir = pa.at("cache_dir").get<std::string>();
  p.params.options = pa.at("options").get<std::map<std::string, std::string>>();
  const auto& c = j.at("config");
  p.config.scenario = parse_scenario(c.at("scenario"));
  p.config.min_duration_s = c.at("min_duration_s");
  p.config.min_queries = c.at("min_queries");
  p.config.max_duration_s = c.at("max_duration_s");
  p.config.warmup_s = c.at("warmup_s");
  p.config.warmup_queries = c.at("warmup_queries");
  p.config.samples_per_query = c.at("samples_per_query");
  p.config.target_qps = c.at("target_qps");
  p.config.latency_bound_ms = c.at("latency_bound_ms");
  p.config.repeat = c.at("repeat");
  p.config.seed = c.at("seed");
  p.config.pool_samples = c.at("pool_samples");
  p.config.overlap = c.at("overlap");
  p.config.idle_power_s = c.at("idle_power_s");
  return p;
}

int run_sweep_worker() {
  std::vector<PlanPoint> points;
  try {
    for (const auto& j : nlohmann::json::parse(std::cin)) points.push_back(point_from_json(j));
  } catch (const std::exception& e) {
    std::cerr << "sweep-worker: bad group on stdin: " << e.what() << "\n";
    return 2;
  }
  if (points.empty()) return 0;
  RunResult loaded;
  std::optional<Model> model;
  auto load = [&](const PlanPoint& point) {
    loaded = RunResult{};
    model.reset();
    emit({{"type", "phase"}, {"point", point.id}, {"phase", "load"}});
    try {
      model =
          load_for_benchmark(point.framework, point.model_file, point.params, point.config, loaded);
    } catch (const Error& e) {  // invalid input for this group: every point fails with it
      loaded.record.status = "failed";
      loaded.record.error = e.what();
      loaded.record.error_phase = "load";
    }
  };
  load(points.front());
  for (const auto& point : points) {
    // A model compiled for one batch size (OpenVINO's static shapes) is loaded again for the
    // next size; its load phases are then this point's own. (A file exported at a fixed batch
    // fails that load with its own message.)
    if (model && model->signature().static_batch() > 0 &&
        model->signature().static_batch() != point.params.batch_size) {
      load(point);
    }
    RunResult result = loaded;
    if (model) {
      try {
        model->set_batch_size(point.params.batch_size);
        measure_loaded(*model, point.model_file, point.config, result,
                       [&](const std::string& phase) {
                         emit({{"type", "phase"}, {"point", point.id}, {"phase", phase}});
                       });
      } catch (const Error& e) {
        result.record.status = "failed";
        result.record.error = e.what();
        result.record.error_phase = "warmup";
      }
    }
    result.record.batch_size = point.params.batch_size;
    result.record.scenario = std::string(to_string(point.config.scenario));
    emit({{"type", "result"}, {"point", point.id}, {"result", to_json(result)}});
  }
  return 0;
}

}  // namespace infbench
