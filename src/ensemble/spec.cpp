// Ensemble spec files (docs/ensembles.md): YAML in, EnsembleSpec out, every problem named by file,
// line and field.
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <set>

#include "core/input_file.hpp"
#include "core/yaml_error.hpp"
#include "helpers.hpp"

namespace infbench {
namespace {

const std::set<std::string> kTopKeys = {"name", "members", "combine", "keep", "mode", "placement"};
const std::set<std::string> kMemberKeys = {"name",   "framework",     "model",     "weight",
                                           "output", "probabilities", "instances", "settings"};

struct RuleName {
  CombineRule rule;
  std::string_view name;
};
constexpr std::array kRules = {RuleName{CombineRule::mean_softmax, "mean_softmax"},
                               RuleName{CombineRule::weighted_mean, "weighted_mean"},
                               RuleName{CombineRule::majority_vote, "majority_vote"}};
struct ModeName {
  EnsembleMode mode;
  std::string_view name;
};
constexpr std::array kModes = {ModeName{EnsembleMode::sequential, "sequential"},
                               ModeName{EnsembleMode::concurrent, "concurrent"},
                               ModeName{EnsembleMode::pipelined, "pipelined"},
                               ModeName{EnsembleMode::automatic, "auto"}};

std::string join_keys(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::string scalar(const std::filesystem::path& path, const YAML::Node& node,
                   const std::string& field) {
  if (!node.IsScalar()) YamlFieldError(path, node).fail(field, "expected a single value");
  return node.as<std::string>();
}

int integer(const std::filesystem::path& path, const YAML::Node& node, const std::string& field) {
  const auto text = scalar(path, node, field);
  try {
    std::size_t used = 0;
    const int v = std::stoi(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  YamlFieldError(path, node).fail(field, "'" + text + "' is not an integer");
}

// Member settings use the plan's vocabulary: Params fields by name, anything else is a framework
// option (checked against the framework when the member loads).
Params read_settings(const std::filesystem::path& path, const YAML::Node& node,
                     const std::string& field) {
  Params p;
  if (!node) return p;
  if (!node.IsMap()) YamlFieldError(path, node).fail(field, "expected a mapping of settings");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    const auto where = field + "." + key;
    if (key == "batch_size") {
      YamlFieldError(path, kv.first)
          .fail(where, "the ensemble's batch size applies to every member; remove it here");
    }
    if (key == "threads") {
      p.threads = integer(path, kv.second, where);
      if (p.threads < 0) YamlFieldError(path, kv.second).fail(where, "must be >= 0");
    } else if (key == "device") {
      p.device = integer(path, kv.second, where);
    } else if (key == "precision") {
      p.precision = scalar(path, kv.second, where);
    } else if (key == "optimization") {
      p.optimization = scalar(path, kv.second, where);
    } else if (key == "cache_dir") {
      p.cache_dir = scalar(path, kv.second, where);
    } else {
      p.options[key] = scalar(path, kv.second, where);
    }
  }
  return p;
}

MemberSpec read_member(const std::filesystem::path& path, const YAML::Node& node,
                       const std::string& field) {
  if (!node.IsMap()) YamlFieldError(path, node).fail(field, "expected a mapping");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (!kMemberKeys.contains(key)) {
      YamlFieldError(path, kv.first)
          .fail(field + "." + key, "unknown field; valid: " + join_keys(kMemberKeys));
    }
  }
  MemberSpec m;
  for (const char* required : {"framework", "model"}) {
    if (!node[required]) {
      YamlFieldError(path, node).fail(field + "." + required, "missing (every member needs one)");
    }
  }
  m.framework = scalar(path, node["framework"], field + ".framework");
  m.model = scalar(path, node["model"], field + ".model");
  if (m.model.is_relative() && m.framework != "fake") {
    m.model = (path.parent_path() / m.model).lexically_normal();
  }
  m.name = node["name"] ? scalar(path, node["name"], field + ".name") : m.model.stem().string();
  if (m.name.empty() || m.name.find('/') != std::string::npos) {
    YamlFieldError(path, node).fail(field + ".name", "must be non-empty and contain no '/'");
  }
  if (node["weight"]) {
    try {
      m.weight = node["weight"].as<double>();
    } catch (const YAML::Exception&) {
      YamlFieldError(path, node["weight"]).fail(field + ".weight", "expected a number");
    }
    if (!(m.weight > 0)) {
      YamlFieldError(path, node["weight"]).fail(field + ".weight", "must be > 0");
    }
  }
  if (node["output"]) m.output = scalar(path, node["output"], field + ".output");
  if (node["instances"]) {
    m.instances = integer(path, node["instances"], field + ".instances");
    if (m.instances < 1 || m.instances > 64) {
      YamlFieldError(path, node["instances"]).fail(field + ".instances", "must be 1..64");
    }
  }
  if (node["probabilities"]) {
    const auto text = scalar(path, node["probabilities"], field + ".probabilities");
    if (text != "true" && text != "false") {
      YamlFieldError(path, node["probabilities"])
          .fail(field + ".probabilities", "expected true or false");
    }
    m.probabilities = text == "true";
  }
  m.params = read_settings(path, node["settings"], field + ".settings");
  return m;
}

}  // namespace

std::string_view to_string(CombineRule rule) {
  for (const auto& row : kRules) {
    if (row.rule == rule) return row.name;
  }
  return "?";
}

std::string_view to_string(EnsembleMode mode) {
  for (const auto& row : kModes) {
    if (row.mode == mode) return row.name;
  }
  return "?";
}

CombineRule parse_combine_rule(const std::string& name) {
  for (const auto& row : kRules) {
    if (row.name == name) return row.rule;
  }
  throw Error(ErrorKind::invalid_argument, "combine rule '" + name +
                                               "' is unknown; valid: mean_softmax, weighted_mean, "
                                               "majority_vote");
}

EnsembleMode parse_ensemble_mode(const std::string& name) {
  for (const auto& row : kModes) {
    if (row.name == name) return row.mode;
  }
  throw Error(ErrorKind::invalid_argument, "ensemble mode '" + name +
                                               "' is unknown; valid: sequential, concurrent, "
                                               "pipelined, auto");
}

void place_members(EnsembleSpec& spec, const std::vector<int>& devices) {
  if (devices.empty())
    throw Error(ErrorKind::invalid_argument, "placement: give at least one device (e.g. 0,1)");
  for (const int d : devices) {
    if (d < -1)
      throw Error(ErrorKind::invalid_argument,
                  "placement: device " + std::to_string(d) + " is not -1 (the CPU) or a GPU index");
  }
  for (std::size_t i = 0; i < spec.members.size(); ++i)
    spec.members[i].params.device = devices[i % devices.size()];
  if (!spec.placement.empty()) spec.name.erase(spec.name.rfind('@'));  // placed again
  spec.placement = devices;
  spec.name += fmt::format("@{}", fmt::join(devices, ","));
}

std::vector<int> parse_placement(const std::string& text, const std::string& what) {
  std::vector<int> devices;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = std::min(text.find(',', pos), text.size());
    const std::string part = text.substr(pos, comma - pos);
    try {
      std::size_t used = 0;
      devices.push_back(std::stoi(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      throw Error(ErrorKind::invalid_argument,
                  what + " '" + text + "': expected device numbers like 0,1 (-1 = the CPU)");
    }
    pos = comma + 1;
  }
  return devices;
}

int shared_member_device(const EnsembleSpec& spec) {
  if (spec.members.empty()) return -1;
  const int first = spec.members.front().params.device;
  for (const auto& m : spec.members) {
    if (m.params.device != first) return -1;
  }
  return first;
}

std::filesystem::path member_model(const MemberSpec& member, int batch_size) {
  static constexpr std::string_view kBatch = "{batch}";
  auto text = member.model.string();
  for (auto at = text.find(kBatch); at != std::string::npos; at = text.find(kBatch, at)) {
    text.replace(at, kBatch.size(), std::to_string(batch_size));
  }
  return text;
}

namespace {

EnsembleSpec read_ensemble_spec(const std::filesystem::path& path) {
  // Missing, a directory, a FIFO (the read would block), a link loop or a name the OS refuses:
  // one line each, as for a plan file.
  check_input_path(path, "ensemble spec (.yaml)");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::invalid_argument, path.string() + ":" + std::to_string(e.mark.line + 1) +
                                                 ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) YamlFieldError(path, root).fail("(top)", "expected a mapping");
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    if (!kTopKeys.contains(key)) {
      YamlFieldError(path, kv.first).fail(key, "unknown field; valid: " + join_keys(kTopKeys));
    }
  }
  EnsembleSpec spec;
  spec.path = path;
  spec.name = root["name"] ? scalar(path, root["name"], "name") : path.stem().string();
  const auto members = root["members"];
  if (!members || !members.IsSequence() || members.size() < 2) {
    YamlFieldError(path, members ? members : root)
        .fail("members", "expected a list of at least two members");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto m = read_member(path, members[i], "members[" + std::to_string(i) + "]");
    if (!names.insert(m.name).second) {
      YamlFieldError(path, members[i])
          .fail("members[" + std::to_string(i) + "].name",
                "'" + m.name + "' is used twice; give each member a distinct name");
    }
    spec.members.push_back(std::move(m));
  }
  for (const char* field : {"combine", "mode"}) {
    if (!root[field]) continue;
    const auto text = scalar(path, root[field], field);
    try {
      if (std::string_view(field) == "combine") spec.combine = parse_combine_rule(text);
      if (std::string_view(field) == "mode") spec.mode = parse_ensemble_mode(text);
    } catch (const Error& e) {
      YamlFieldError(path, root[field]).fail(field, e.what());
    }
  }
  if (const auto placement = root["placement"]) {
    // placement: {devices: [0, 1]}: member i on devices[i mod n], instead of settings.device.
    if (!placement.IsMap() || placement.size() != 1 || !placement["devices"] ||
        !placement["devices"].IsSequence()) {
      YamlFieldError(path, placement)
          .fail("placement", "expected {devices: [0, 1, ...]} (member i on devices[i mod n])");
    }
    std::vector<int> devices;
    for (const auto& d : placement["devices"])
      devices.push_back(integer(path, d, "placement.devices"));
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i]["settings"] && members[i]["settings"]["device"]) {
        YamlFieldError(path, members[i]["settings"]["device"])
            .fail("members[" + std::to_string(i) + "].settings.device",
                  "placement places every member; remove the member's own device (or placement)");
      }
    }
    try {
      place_members(spec, devices);
    } catch (const Error& e) {
      YamlFieldError(path, placement).fail("placement.devices", e.what());
    }
  }
  if (root["keep"]) {
    const auto keep = root["keep"];
    if (!keep.IsSequence()) YamlFieldError(path, keep).fail("keep", "expected a list of members");
    for (const auto& item : keep) {
      const auto name = scalar(path, item, "keep");
      if (!names.contains(name)) {
        YamlFieldError(path, item)
            .fail("keep", "'" + name + "' is not a member; members: " + join_keys(names));
      }
      spec.keep.push_back(name);
    }
  }
  return spec;
}

}  // namespace

EnsembleSpec load_ensemble_spec(const std::filesystem::path& path) {
  try {
    return read_ensemble_spec(path);
  } catch (const YAML::Exception& e) {
    throw yaml_exception_error(path, e);
  }
}

}  // namespace infbench
