#include "plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "core/file_key.hpp"
#include "core/input_file.hpp"
#include "core/yaml_error.hpp"
#include "core/zoo_manifest.hpp"
#include "infbench/registry.hpp"

namespace infbench {
namespace {

// Fields of a plan file; anything else is refused (typos must not silently do nothing).
const std::set<std::string> kTopKeys = {
    "name",    "models_dir", "models",          "frameworks", "batch_sizes",
    "devices", "threads",    "scenarios",       "measure",    "timeout_s",
    "exclude", "max_points", "memory_limit_mib"};
// Settings a framework entry may list that are Params fields; other keys are framework options.
const std::set<std::string> kParamKeys = {"optimization", "precision", "cache_dir", "file"};

using PlanError = YamlFieldError;  // src/core/yaml_error.hpp, shared with ensemble specs

std::vector<std::string> scalar_list(const std::filesystem::path& path, const YAML::Node& node,
                                     const std::string& field) {
  std::vector<std::string> out;
  if (node.IsScalar()) return {node.as<std::string>()};
  if (!node.IsSequence()) PlanError(path, node).fail(field, "expected a value or a list of values");
  for (const auto& item : node) {
    if (!item.IsScalar()) PlanError(path, item).fail(field, "expected plain values in the list");
    out.push_back(item.as<std::string>());
  }
  if (out.empty()) PlanError(path, node).fail(field, "the list is empty");
  return out;
}

std::vector<long long> int_list(const std::filesystem::path& path, const YAML::Node& node,
                                const std::string& field, long long min, long long max) {
  std::vector<long long> out;
  for (const auto& text : scalar_list(path, node, field)) {
    try {
      std::size_t used = 0;
      const long long v = std::stoll(text, &used);
      if (used != text.size() || v < min) throw std::invalid_argument(text);
      out.push_back(v);
    } catch (const std::exception&) {
      PlanError(path, node)
          .fail(field, "'" + text + "' is not an integer >= " + std::to_string(min));
    }
    if (out.back() > max) {
      PlanError(path, node)
          .fail(field, "'" + text + "' is above the limit; valid: " + std::to_string(min) + " to " +
                           std::to_string(max));
    }
  }
  return out;
}

double number(const std::filesystem::path& path, const YAML::Node& node, const std::string& field) {
  try {
    return node.as<double>();
  } catch (const YAML::Exception&) {
    PlanError(path, node).fail(field, "expected a number");
  }
}

// Plan defaults are shorter than the bench command's: a sweep has many points.
RunConfig plan_defaults() {
  RunConfig c;
  c.min_duration_s = 3;
  c.warmup_s = 0.5;
  c.warmup_queries = 1;
  return c;
}

template <class T>
void read_setting(const std::filesystem::path& path, const YAML::Node& node,
                  const std::string& field, T& into) {
  if constexpr (std::is_same_v<T, bool>) {
    try {
      into = node.as<bool>();
    } catch (const YAML::Exception&) {
      PlanError(path, node).fail(field, "expected true or false");
    }
  } else {
    const double v = number(path, node, field);
    if constexpr (std::is_integral_v<T>) {
      // Out of T's range the conversion below would be undefined: refused first.
      if (v != std::floor(v) || v < 0 || v >= static_cast<double>(std::numeric_limits<T>::max()))
        PlanError(path, node).fail(field, "expected an integer >= 0 (and within range)");
    }
    into = static_cast<T>(v);
  }
}

RunConfig read_measure(const std::filesystem::path& path, const YAML::Node& node) {
  RunConfig c = plan_defaults();
  if (!node) return c;
  if (!node.IsMap()) PlanError(path, node).fail("measure", "expected a mapping of settings");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    bool known = false;
    visit_fields(c, [&](const ConfigField& f, auto& member) {
      if (f.name != key) return;
      known = true;
      read_setting(path, kv.second, "measure." + key, member);
    });
    if (!known) {
      PlanError(path, kv.first)
          .fail("measure." + key, "unknown setting; valid: " + config_field_names());
    }
  }
  try {
    check_config_ranges(c);
  } catch (const Error& e) {
    PlanError(path, node).fail("measure", e.what());
  }
  return c;
}

// a x b, saturating instead of wrapping: only compared with a limit.
std::uint64_t times(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
    return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

// How many combinations settings_grid() would build, without building them.
std::uint64_t settings_count(const std::filesystem::path& path, const YAML::Node& node,
                             const std::string& framework) {
  if (!node || node.IsNull() || !node.IsMap()) return 1;  // settings_grid() reports a bad node
  std::uint64_t n = 1;
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    n = times(n, scalar_list(path, kv.second, "frameworks." + framework + "." + key).size());
  }
  return n;
}

// Cartesian product of a framework's settings axes, in file order.
std::vector<std::vector<std::pair<std::string, std::string>>> settings_grid(
    const std::filesystem::path& path, const YAML::Node& node, const std::string& framework) {
  std::vector<std::vector<std::pair<std::string, std::string>>> grid{{}};
  if (!node || node.IsNull()) return grid;
  if (!node.IsMap())
    PlanError(path, node).fail("frameworks." + framework, "expected a mapping of settings");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    const auto values = scalar_list(path, kv.second, "frameworks." + framework + "." + key);
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& partial : grid) {
      for (const auto& v : values) {
        auto combo = partial;
        combo.emplace_back(key, v);
        next.push_back(std::move(combo));
      }
    }
    grid = std::move(next);
  }
  return grid;
}

// The zoo kinds a framework reads (its adapter's BackendInfo), asked once per framework. nullopt:
// the framework is not built into this binary; its points still exist and fail at load with the
// registry's message (failures are data). An empty list: it reads no file (fake, ensemble).
std::optional<std::vector<std::string>> zoo_kinds_of(const std::string& framework) {
  for (const auto& entry : backend_table()) {
    if (entry.name != framework) continue;
    const auto info = entry.create()->info();
    return info.needs_model_file ? info.zoo_files : std::vector<std::string>{};
  }
  return std::nullopt;
}

std::filesystem::path zoo_file(const Zoo& zoo, const std::string& model,
                               const std::optional<std::vector<std::string>>& kinds,
                               long long batch, const std::string& precision,
                               const std::string& explicit_file) {
  if (kinds && kinds->empty()) return model;  // the fake backend needs no file
  if (!explicit_file.empty()) return zoo.dir() / model / explicit_file;
  if (!kinds) return zoo.has_model(model) ? zoo.dir() / model : std::filesystem::path();
  return zoo.file_for(model, *kinds, precision, batch);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool excluded(const std::vector<std::map<std::string, std::string>>& rules, const PlanPoint& p) {
  // A rule matches on any of these facts, the framework settings included.
  std::map<std::string, std::string> facts = {
      {"model", p.model},
      {"framework", p.framework},
      {"batch_size", std::to_string(p.params.batch_size)},
      {"device", std::to_string(p.params.device)},
      {"scenario", std::string(to_string(p.config.scenario))},
      {"optimization", p.params.optimization},
      {"precision", p.params.precision}};
  for (const auto& [k, v] : p.params.options) facts[k] = v;
  for (const auto& rule : rules) {
    bool all = true;
    for (const auto& [k, v] : rule) {
      const auto it = facts.find(k);
      all = all && it != facts.end() && it->second == v;
    }
    if (all) return true;
  }
  return false;
}

void apply_override(YAML::Node root, const std::string& text) {
  const auto [key, value] = parse_key_value(text);
  YAML::Node parsed = YAML::Load(value);
  const auto dot = key.find('.');
  if (dot == std::string::npos) {
    root[key] = parsed;
  } else {
    root[key.substr(0, dot)][key.substr(dot + 1)] = parsed;
  }
}

// What defines a point (its id): the model, framework and settings, and (with_batch) the batch
// size, scenario and the RunConfig fields marked Identity::yes, or when_not_default and set.
std::string definition(const PlanPoint& p, bool with_batch) {
  std::ostringstream out;
  out << p.model << '|' << p.framework << '|' << p.model_file.string();
  visit_fields(p.params, [&](const char* name, const auto& field) {
    if (std::string_view(name) == "batch_size") return;
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::filesystem::path>) {
      out << '|' << field.string();
    } else {
      out << '|' << field;
    }
  });
  for (const auto& [k, v] : p.params.options) out << '|' << k << '=' << v;
  if (with_batch) {
    const RunConfig defaults = plan_defaults();
    out << "|b" << p.params.batch_size << '|' << to_string(p.config.scenario);
    visit_fields(p.config, [&](const ConfigField& f, const auto& member) {
      if (f.identity == Identity::no) return;
      if (f.identity == Identity::when_not_default) {
        bool is_default = false;
        visit_fields(defaults, [&](const ConfigField& g, const auto& d) {
          if constexpr (std::is_same_v<decltype(d), decltype(member)>) {
            if (g.name == f.name) is_default = d == member;
          }
        });
        if (is_default) return;
        out << '|' << f.name << '=' << member;
        return;
      }
      out << '|' << member;
    });
  }
  return out.str();
}

std::string short_hash(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(text)));
  return std::string(hex, 12);
}

}  // namespace

std::string PlanPoint::label() const {
  std::string settings;
  if (params.precision != "fp32") settings += " " + params.precision;
  if (!params.optimization.empty()) settings += " optimization=" + params.optimization;
  for (const auto& [k, v] : params.options) settings += " " + k + "=" + v;
  return model + " " + framework + settings + " batch " + std::to_string(params.batch_size) + " " +
         std::string(to_string(config.scenario)) +
         (params.device >= 0 ? " gpu" + std::to_string(params.device) : "");
}

std::size_t Plan::point_count() const {
  std::size_t n = 0;
  for (const auto& g : groups) n += g.points.size();
  return n;
}

std::int64_t default_memory_limit_mib() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0;
  while (meminfo >> key >> kib) {
    if (key == "MemTotal:") return kib * 3 / 4 / 1024;
    meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;  // unknown: no limit
}

Plan load_plan(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  check_input_path(path, "plan file");  // a FIFO would block the read below
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::not_found, path.string() + ": plan file not found");
  return parse_plan(std::string(std::istreambuf_iterator<char>(in), {}), path, overrides);
}

namespace {

Plan expand_plan(const std::string& text, const std::filesystem::path& path,
                 const std::vector<std::string>& overrides) {
  Plan plan;
  plan.path = path;
  plan.text = text;
  YAML::Node root;
  try {
    root = YAML::Load(plan.text);
    for (const auto& o : overrides) apply_override(root, o);
  } catch (const YAML::Exception& e) {
    const std::string line = e.mark.line >= 0 ? ":" + std::to_string(e.mark.line + 1) : "";
    throw Error(ErrorKind::invalid_argument, path.string() + line + ": YAML error: " + e.msg);
  }
  if (!root.IsMap())
    PlanError(path, root).fail("(top level)", "expected a mapping (name:, models:, ...)");
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    if (!kTopKeys.contains(key)) {
      PlanError(path, kv.first)
          .fail(key,
                "unknown field; valid: name, models_dir, models, frameworks, batch_sizes, "
                "devices, threads, scenarios, measure, timeout_s, exclude, max_points, "
                "memory_limit_mib");
    }
  }
  for (const char* required : {"models", "frameworks", "batch_sizes"}) {
    if (!root[required]) PlanError(path, root).fail(required, "missing (required)");
  }
  plan.name = root["name"] ? root["name"].as<std::string>() : path.stem().string();
  if (root["timeout_s"]) {
    plan.timeout_s = number(path, root["timeout_s"], "timeout_s");
    if (!(plan.timeout_s > 0 && plan.timeout_s <= 604800))
      PlanError(path, root["timeout_s"]).fail("timeout_s", "valid: above 0 to 604800 (a week)");
  }
  plan.memory_limit_mib = root["memory_limit_mib"]
                              ? int_list(path, root["memory_limit_mib"], "memory_limit_mib", 0,
                                         std::numeric_limits<long long>::max())
                                    .front()
                              : default_memory_limit_mib();

  std::filesystem::path zoo_dir =
      root["models_dir"] ? std::filesystem::path(root["models_dir"].as<std::string>()) : "models";
  // The error_code overloads: a name the OS refuses (too long, say) is not an existing path,
  // where the throwing ones escaped as std::filesystem_error (found by fuzz/plan_fuzz.cpp).
  std::error_code no_such_path;
  if (zoo_dir.is_relative() && !std::filesystem::exists(zoo_dir, no_such_path))
    zoo_dir = path.parent_path() / zoo_dir;
  const Zoo zoo(zoo_dir);

  const auto models = scalar_list(path, root["models"], "models");
  const auto batches = int_list(path, root["batch_sizes"], "batch_sizes", 1, kMaxBatchSize);
  const auto devices = root["devices"] ? int_list(path, root["devices"], "devices", -1, 1023)
                                       : std::vector<long long>{-1};
  const auto threads = root["threads"]
                           ? int_list(path, root["threads"], "threads", 0, max_thread_count())
                           : std::vector<long long>{0};
  std::vector<Scenario> scenarios;
  for (const auto& s : root["scenarios"] ? scalar_list(path, root["scenarios"], "scenarios")
                                         : std::vector<std::string>{"offline"}) {
    try {
      scenarios.push_back(parse_scenario(s));
    } catch (const Error& e) {
      PlanError(path, root["scenarios"]).fail("scenarios", e.what());
    }
  }
  const RunConfig measure = read_measure(path, root["measure"]);
  std::vector<std::map<std::string, std::string>> exclusions;
  if (root["exclude"]) {
    if (!root["exclude"].IsSequence())
      PlanError(path, root["exclude"]).fail("exclude", "expected a list of mappings");
    for (const auto& rule : root["exclude"]) {
      std::map<std::string, std::string> r;
      for (const auto& kv : rule) r[kv.first.as<std::string>()] = kv.second.as<std::string>();
      exclusions.push_back(std::move(r));
    }
  }
  const auto& fw_node = root["frameworks"];
  if (!fw_node.IsMap())
    PlanError(path, fw_node).fail("frameworks", "expected a mapping: name -> settings");

  // Counted before anything is expanded: a plan of millions of points would take the memory of
  // its expansion and weeks to run (an upper bound: exclude rules are not applied to the count).
  if (root["max_points"])
    plan.max_points = static_cast<std::uint64_t>(
        int_list(path, root["max_points"], "max_points", 0, std::numeric_limits<long long>::max())
            .front());
  std::uint64_t settings = 0;
  for (const auto& fw : fw_node) {
    const auto n = settings_count(path, fw.second, fw.first.as<std::string>());
    settings = settings + n < settings ? std::numeric_limits<std::uint64_t>::max() : settings + n;
  }
  const std::uint64_t upper =
      times(times(times(times(times(models.size(), settings), devices.size()), threads.size()),
                  batches.size()),
            scenarios.size());
  if (plan.max_points > 0 && upper > plan.max_points) {
    PlanError(path, root)
        .fail("max_points", "the plan expands to " + std::to_string(upper) +
                                " points (before exclude rules), above the limit of " +
                                std::to_string(plan.max_points) +
                                "; shorten its axes, or raise max_points (0 = no limit)");
  }

  std::map<std::string, std::optional<std::vector<std::string>>> kinds_of;
  for (const auto& fw : fw_node) {
    const auto framework = fw.first.as<std::string>();
    kinds_of[framework] = zoo_kinds_of(framework);
  }
  for (const auto& model : models) {
    for (const auto& fw : fw_node) {
      const auto framework = fw.first.as<std::string>();
      const auto& kinds = kinds_of[framework];
      for (const auto& combo : settings_grid(path, fw.second, framework)) {
        for (const auto device : devices) {
          for (const auto thread_count : threads) {
            std::map<std::string, LoadGroup> by_file;  // static-batch files split a group
            std::vector<std::string> order;
            for (const auto batch : batches) {
              for (const auto scenario : scenarios) {
                PlanPoint p;
                p.model = model;
                p.framework = framework;
                p.params.batch_size = static_cast<int>(batch);
                p.params.device = static_cast<int>(device);
                p.params.threads = static_cast<int>(thread_count);
                std::string explicit_file;
                for (const auto& [k, v] : combo) {
                  if (k == "optimization")
                    p.params.optimization = v;
                  else if (k == "precision")
                    p.params.precision = v;
                  else if (k == "cache_dir")
                    p.params.cache_dir = v;
                  else if (k == "file")
                    explicit_file = v;
                  else
                    p.params.options[k] = v;
                }
                p.config = measure;
                p.config.scenario = scenario;
                if (scenario != Scenario::server) {
                  // One measure block serves every scenario of a plan: the server-only fields do
                  // not apply to the others (nor enter their ids), as `bench` refuses them there.
                  p.config.target_qps = 0;
                  p.config.find_peak = false;
                  p.config.latency_bound_ms = 0;
                }
                if (excluded(exclusions, p)) continue;
                p.model_file =
                    std::filesystem::exists(model, no_such_path)
                        ? std::filesystem::path(model)
                        : zoo_file(zoo, model, kinds, batch, p.params.precision, explicit_file);
                if (p.model_file.empty()) {
                  PlanError(path, root["models"])
                      .fail("models", "'" + model + "' has no " + framework + " file (" +
                                          joined(kinds.value_or(std::vector<std::string>{})) +
                                          ") in " + (zoo.dir() / "manifest.json").string() +
                                          " (build it with the zoo's tools: tools/README.md)");
                }
                p.id = short_hash(definition(p, true));
                p.group_id = short_hash(definition(p, false));
                auto& group = by_file[p.group_id];
                if (group.id.empty()) {
                  group.id = p.group_id;
                  order.push_back(p.group_id);
                }
                group.points.push_back(std::move(p));
              }
            }
            for (const auto& id : order) plan.groups.push_back(std::move(by_file[id]));
          }
        }
      }
    }
  }
  if (plan.groups.empty()) PlanError(path, root).fail("(plan)", "expands to no points");
  return plan;
}

}  // namespace

Plan parse_plan(const std::string& text, const std::filesystem::path& path,
                const std::vector<std::string>& overrides) {
  try {
    return expand_plan(text, path, overrides);
  } catch (const YAML::Exception& e) {  // e.g. a key written as a list: a bad conversion
    throw yaml_exception_error(path, e);
  }
}

}  // namespace infbench
