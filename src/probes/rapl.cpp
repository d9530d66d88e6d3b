// CPU package energy from the powercap RAPL interface (Intel, and AMD Zen on Linux >= 5.8).
// energy_uj counters wrap at max_energy_range_uj; one wrap per measurement is handled.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

#include "infbench/probe.hpp"

namespace infbench {
namespace {

const std::filesystem::path kPowercap = "/sys/class/powercap";

struct Domain {
  std::filesystem::path energy;
  double range_uj = 0;
  double start_uj = 0;
};

std::optional<double> read_number(const std::filesystem::path& path) {
  std::ifstream in(path);
  double value = 0;
  if (in >> value) return value;
  return std::nullopt;
}

// Top-level package domains (intel-rapl:0, intel-rapl:1, ...); sub-domains are inside them.
std::vector<Domain> package_domains() {
  std::vector<Domain> domains;
  std::error_code ec;
  if (!std::filesystem::is_directory(kPowercap, ec)) return domains;
  const std::regex package("intel-rapl:[0-9]+");
  for (const auto& entry : std::filesystem::directory_iterator(kPowercap, ec)) {
    if (!std::regex_match(entry.path().filename().string(), package)) continue;
    const auto energy = entry.path() / "energy_uj";
    const auto range = read_number(entry.path() / "max_energy_range_uj");
    if (read_number(energy) && range) domains.push_back({energy, *range, 0});
  }
  return domains;
}

class RaplProbe final : public Probe {
 public:
  explicit RaplProbe(std::vector<Domain> domains) : domains_(std::move(domains)) {}
  std::string name() const override { return "rapl"; }
  void start() override {
    for (auto& d : domains_) d.start_uj = read_number(d.energy).value_or(0);
    start_ = std::chrono::steady_clock::now();
  }
  ProbeValues stop() override {
    double total_uj = 0;
    for (const auto& d : domains_) {
      double delta = read_number(d.energy).value_or(d.start_uj) - d.start_uj;
      if (delta < 0) delta += d.range_uj;
      total_uj += delta;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double joules = total_uj * 1e-6;
    return {{"energy_j", joules}, {"duration_s", seconds}, {"power_mean_w", joules / seconds}};
  }

 private:
  std::vector<Domain> domains_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::unique_ptr<Probe> make_nvml_probe(int device);  // nvml.cpp
std::string nvml_absence(int device);

std::vector<std::unique_ptr<Probe>> available_power_probes(int device) {
  std::vector<std::unique_ptr<Probe>> probes;
  if (device < 0) {
    auto domains = package_domains();
    if (!domains.empty()) probes.push_back(std::make_unique<RaplProbe>(std::move(domains)));
  } else if (auto nvml = make_nvml_probe(device)) {
    probes.push_back(std::move(nvml));
  }
  return probes;
}

std::vector<std::string> power_probe_absences(int device) {
  if (device >= 0) {
    const auto why = nvml_absence(device);
    return why.empty() ? std::vector<std::string>{} : std::vector<std::string>{why};
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(kPowercap, ec)) {
    return {"power not measured: no RAPL here (/sys/class/powercap absent, e.g. in a VM)"};
  }
  if (package_domains().empty()) {
    return {"power not measured: RAPL package counters unreadable (root-only energy_uj?)"};
  }
  return {};
}

}  // namespace infbench
