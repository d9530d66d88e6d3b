#include "space.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/zoo_manifest.hpp"
#include "infbench/error.hpp"
#include "infbench/registry.hpp"
#include "settings.hpp"

namespace infbench::tune {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(sep, start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// An adapter option, or "optimization": the adapter's optimisation levels, set by plans like an
// option (LibTorch's optimize_for_inference was 1.8x freeze on an H200, results/h200/session13/).
std::optional<OptionSpec> find_option(const BackendInfo& info, const std::string& name) {
  if (name == "optimization" && !info.optimization_levels.empty())
    return OptionSpec{name, "optimisation level", info.optimization_levels.front(),
                      info.optimization_levels};
  for (const auto& o : info.options) {
    if (o.name == name) return o;
  }
  return std::nullopt;
}

// framework -> ordered axes (option, values) after the defaults and the --setting flags.
using Axes = std::vector<std::pair<std::string, std::vector<std::string>>>;

Axes axes_for(const std::string& framework, const BackendInfo& info, int device,
              const std::map<std::string, Axes>& requested, std::vector<std::string>& notes) {
  Axes axes;
  for (const auto& t : tuned_settings()) {
    if (t.framework != framework || (t.gpu_only && device < 0) || (t.cpu_only && device >= 0))
      continue;
    if (!find_option(info, t.option)) {
      notes.push_back(framework + ": option " + t.option + " not in this build, not searched");
      continue;
    }
    axes.emplace_back(t.option, t.values);
  }
  if (const auto it = requested.find(framework); it != requested.end()) {
    for (const auto& [option, values] : it->second) {
      const auto same =
          std::find_if(axes.begin(), axes.end(), [&](const auto& a) { return a.first == option; });
      if (same != axes.end())
        same->second = values;
      else
        axes.emplace_back(option, values);
    }
  }
  return axes;
}

std::vector<Settings> grid(const Axes& axes) {
  std::vector<Settings> out{{}};
  for (const auto& [option, values] : axes) {
    std::vector<Settings> next;
    for (const auto& partial : out) {
      for (const auto& v : values) {
        auto s = partial;
        s.emplace_back(option, v);
        next.push_back(std::move(s));
      }
    }
    out = std::move(next);
  }
  return out;
}

std::map<std::string, Axes> parse_setting_specs(const std::vector<std::string>& specs) {
  std::map<std::string, Axes> out;
  for (const auto& spec : specs) {
    const auto dot = spec.find('.');
    const auto eq = spec.find('=');
    if (dot == std::string::npos || eq == std::string::npos || eq < dot || eq + 1 == spec.size())
      throw Error(
          ErrorKind::invalid_argument,
          "--setting '" + spec + "': expected FRAMEWORK.OPTION=V1,V2 (e.g. xla.in_flight=1,2)");
    out[spec.substr(0, dot)].emplace_back(spec.substr(dot + 1, eq - dot - 1),
                                          split(spec.substr(eq + 1), ','));
  }
  return out;
}

}  // namespace

std::string Combo::label() const {
  std::string out = framework + " " + precision;
  for (const auto& [k, v] : settings) out += " " + k + "=" + v;
  return out;
}

std::size_t Space::candidate_count() const {
  std::size_t n = 0;
  for (const auto& c : combos) n += c.batch_sizes.size();
  return n;
}

Space build_space(const SpaceRequest& r) {
  Space space;
  const Zoo zoo(r.models_dir);
  const auto requested = parse_setting_specs(r.setting_specs);
  const std::vector<std::string> precisions =
      r.precisions.empty() ? std::vector<std::string>{"fp32", "fp16"} : r.precisions;
  std::vector<int> batches = r.batch_sizes;
  if (batches.empty())
    batches =
        r.device >= 0 ? std::vector<int>{1, 32, 64, 128, 256} : std::vector<int>{1, 8, 32, 64};
  std::sort(batches.begin(), batches.end());

  std::set<std::string> wanted(r.frameworks.begin(), r.frameworks.end());
  for (const auto& name : wanted)
    (void)create_backend(name);  // an unknown name lists the built ones
  for (const auto& entry : requested) {
    if (!wanted.empty() && !wanted.contains(entry.first))
      throw Error(ErrorKind::invalid_argument,
                  "--setting " + entry.first + ".*: " + entry.first + " is not in --frameworks");
  }
  bool model_needed = false;
  for (const auto& entry : backend_table()) {
    const std::string framework(entry.name);
    const auto info = entry.create()->info();
    if (wanted.empty() ? !info.needs_model_file : !wanted.contains(framework)) continue;
    model_needed = model_needed || info.needs_model_file;
    if (r.device >= 0 &&
        std::find(info.gpus.begin(), info.gpus.end(), r.device) == info.gpus.end()) {
      space.notes.push_back(framework + ": cannot use GPU " + std::to_string(r.device) +
                            " in this build on this machine, left out");
      continue;
    }
    if (const auto it = requested.find(framework); it != requested.end()) {
      for (const auto& [option, values] : it->second) {
        const auto spec = find_option(info, option);
        if (!spec)
          throw Error(ErrorKind::invalid_argument,
                      "--setting " + framework + "." + option + ": " + framework +
                          " has no such option (see `infbench info " + framework + "`)");
        for (const auto& v : values) {
          if (!spec->choices.empty() &&
              std::find(spec->choices.begin(), spec->choices.end(), v) == spec->choices.end())
            throw Error(ErrorKind::invalid_argument, "--setting " + framework + "." + option +
                                                         ": '" + v + "' is not a valid value");
        }
      }
    }
    const auto settings_list = grid(axes_for(framework, info, r.device, requested, space.notes));
    for (const auto& precision : precisions) {
      if (std::find(info.precisions.begin(), info.precisions.end(), precision) ==
          info.precisions.end()) {
        space.notes.push_back(framework + ": no " + precision + " in this build");
        continue;
      }
      std::vector<int> available;
      for (const int b : batches) {
        if (!info.needs_model_file || !zoo.file_for(r.model, info.zoo_files, precision, b).empty())
          available.push_back(b);
      }
      if (available.empty()) {
        space.notes.push_back(framework + " " + precision + ": the zoo has no file of " + r.model +
                              " for it at these batch sizes, left out");
        continue;
      }
      if (available.size() < batches.size())
        space.notes.push_back(framework + " " + precision + ": only the exported batch sizes (" +
                              std::to_string(available.size()) + " of " +
                              std::to_string(batches.size()) + ")");
      for (std::size_t i = 0; i < settings_list.size(); ++i)
        space.combos.push_back(
            {framework, precision, settings_list[i], available, i == 0, info.cache});
    }
  }
  if (model_needed && !zoo.has_model(r.model))
    throw Error(ErrorKind::not_found, r.model + ": not in " +
                                          (r.models_dir / "manifest.json").string() +
                                          " (a zoo model name, e.g. resnet50; tools/README.md)");
  if (space.combos.empty()) {
    std::string why;
    for (const auto& n : space.notes) why += "; " + n;
    throw Error(ErrorKind::not_found, "tune " + r.model + ": no candidate configuration" + why);
  }
  return space;
}

}  // namespace infbench::tune
