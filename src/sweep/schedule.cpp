#include "schedule.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include <fmt/core.h>

namespace infbench {

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

std::string srun_without_mpi_problem() {
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  if (tasks == nullptr || std::atoi(tasks) <= 1 || launched_by_mpi()) return {};
  return fmt::format(
      "sweep: srun started {} tasks without an MPI plugin (no PMIX_RANK or PMI_RANK), so each "
      "would run the whole plan into the same database: run srun --mpi=pmix (Debian's Open MPI "
      "has no PMI-2 client), or one task (srun -n 1) for a single-process sweep",
      tasks);
}

double estimated_seconds(const LoadGroup& group,
                         const std::map<std::string, MeasuredCost>& measured) {
  std::error_code ec;
  const auto bytes =
      group.points.empty() ? 0 : std::filesystem::file_size(group.points.front().model_file, ec);
  const double file_mib = ec ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0);
  double load_s = 1 + 0.02 * file_mib;
  double total_s = 0;
  bool load_measured = false;
  for (const auto& p : group.points) {
    const auto it = measured.find(p.id);
    if (it != measured.end()) {
      total_s += it->second.measure_s;
      load_s = load_measured ? std::max(load_s, it->second.load_s) : it->second.load_s;
      load_measured = true;
      continue;
    }
    const auto& c = p.config;
    const double query_s =
        static_cast<double>(c.min_queries) * p.params.batch_size * 1e-3 * file_mib;
    total_s += std::max(1, c.repeat) * std::max(c.min_duration_s, query_s) + c.warmup_s + 0.2;
  }
  return load_s + total_s;
}

std::vector<LoadGroup> longest_first(const Plan& plan, const std::set<std::string>& done,
                                     const std::map<std::string, MeasuredCost>& measured) {
  std::vector<std::pair<double, LoadGroup>> units;
  for (const auto& group : plan.groups) {
    LoadGroup todo{group.id, {}};
    for (const auto& p : group.points) {
      if (!done.contains(p.id)) todo.points.push_back(p);
    }
    if (!todo.points.empty())
      units.emplace_back(estimated_seconds(todo, measured), std::move(todo));
  }
  // Stable: equal estimates keep the plan's order, so a schedule is reproducible.
  std::stable_sort(units.begin(), units.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<LoadGroup> ordered;
  for (auto& [seconds, group] : units) ordered.push_back(std::move(group));
  return ordered;
}

std::vector<int> cores_for_rank(const std::vector<int>& node_cores, int index, int count,
                                bool& shared) {
  const auto n = static_cast<int>(node_cores.size());
  shared = n < count;
  if (n == 0) return {};
  if (shared) return {node_cores[static_cast<std::size_t>(index % n)]};
  const int begin = index * n / count, end = (index + 1) * n / count;
  return {node_cores.begin() + begin, node_cores.begin() + end};
}

int visible_gpu_count() {
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES"); visible != nullptr) {
    std::stringstream in(visible);
    std::string item;
    int count = 0;
    while (std::getline(in, item, ',')) count += item.empty() ? 0 : 1;
    return count;
  }
  int count = 0;
  std::error_code ec;
  const std::regex gpu_file("nvidia[0-9]+");
  for (const auto& entry : std::filesystem::directory_iterator("/dev", ec)) {
    count += std::regex_match(entry.path().filename().string(), gpu_file) ? 1 : 0;
  }
  return count;
}

std::string core_list_text(const std::vector<int>& cores) {
  std::string text;
  for (std::size_t i = 0; i < cores.size(); ++i) {
    std::size_t last = i;
    while (last + 1 < cores.size() && cores[last + 1] == cores[last] + 1) ++last;
    text += (text.empty() ? "" : ",") +
            (last == i ? std::to_string(cores[i]) : fmt::format("{}-{}", cores[i], cores[last]));
    i = last;
  }
  return text;
}

}  // namespace infbench
