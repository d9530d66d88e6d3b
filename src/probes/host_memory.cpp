// Host memory from procfs: VmRSS now, VmHWM (peak) since the last write of "5" to clear_refs.
#include <fstream>
#include <optional>
#include <string>

#include "infbench/probe.hpp"

namespace infbench {
namespace {

std::optional<std::int64_t> status_kb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  }
  return std::nullopt;
}

bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

class HostMemoryProbe final : public Probe {
 public:
  std::string name() const override { return "host_memory"; }
  void start() override { reset_ok_ = reset_peak(); }
  ProbeValues stop() override {
    ProbeValues values;
    if (const auto rss = status_kb("VmRSS"))
      values.emplace_back("rss_bytes", static_cast<double>(*rss));
    if (reset_ok_) {
      if (const auto peak = status_kb("VmHWM")) {
        values.emplace_back("peak_rss_bytes", static_cast<double>(*peak));
      }
    }
    return values;
  }

 private:
  bool reset_ok_ = false;
};

}  // namespace

std::unique_ptr<Probe> make_host_memory_probe() { return std::make_unique<HostMemoryProbe>(); }

std::int64_t current_rss_bytes() { return status_kb("VmRSS").value_or(-1); }

}  // namespace infbench
