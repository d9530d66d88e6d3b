// The child side of a sweep: load the group's model once, measure every point, stream results.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <type_traits>

#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "infbench/registry.hpp"
#include "sweep.hpp"

namespace infbench {
namespace {

// Results go to fd 3, so that whatever frameworks print on stdout/stderr cannot corrupt them.
void emit(const nlohmann::json& message) {
  const std::string line = json_text(message) + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const auto n = ::write(3, line.data() + written, line.size() - written);
    if (n <= 0) std::_Exit(3);  // the parent is gone
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace

// The worker's JSON carries every Params and RunConfig field through their visitors, so a
// setting added there reaches the worker without being listed here.
nlohmann::json point_to_json(const PlanPoint& p) {
  nlohmann::json params, config;
  visit_fields(p.params, [&](const char* name, const auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::filesystem::path>) {
      params[name] = field.string();
    } else {
      params[name] = field;
    }
  });
  params["options"] = p.params.options;
  config["scenario"] = std::string(to_string(p.config.scenario));
  visit_fields(p.config, [&](const ConfigField& f, const auto& member) {
    config[std::string(f.name)] = member;
  });
  return {{"id", p.id},
          {"group_id", p.group_id},
          {"model", p.model},
          {"framework", p.framework},
          {"model_file", p.model_file.string()},
          {"params", params},
          {"config", config}};
}

PlanPoint point_from_json(const nlohmann::json& j) {
  PlanPoint p;
  p.id = j.at("id");
  p.group_id = j.at("group_id");
  p.model = j.at("model");
  p.framework = j.at("framework");
  p.model_file = j.at("model_file").get<std::string>();
  const auto& params = j.at("params");
  visit_fields(p.params, [&](const char* name, auto& field) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::filesystem::path>) {
      field = params.at(name).template get<std::string>();
    } else {
      field = params.at(name).template get<T>();
    }
  });
  p.params.options = params.at("options").get<std::map<std::string, std::string>>();
  const auto& config = j.at("config");
  p.config.scenario = parse_scenario(config.at("scenario"));
  visit_fields(p.config, [&](const ConfigField& f, auto& member) {
    member = config.at(std::string(f.name)).template get<std::decay_t<decltype(member)>>();
  });
  return p;
}

void run_sweep_worker() {
  std::vector<PlanPoint> points;
  try {
    for (const auto& j : nlohmann::json::parse(std::cin)) points.push_back(point_from_json(j));
  } catch (const std::exception& e) {  // main maps it to exit code 2, as for any bad input
    throw Error(ErrorKind::invalid_argument,
                std::string("sweep-worker: bad group on stdin: ") + e.what());
  }
  if (points.empty()) return;
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
}

}  // namespace infbench
