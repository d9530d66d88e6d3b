// NVIDIA GPU telemetry through NVML, loaded with dlopen so that builds and machines without the
// driver still work (the probe is then absent). Energy comes from the device's energy counter
// (Volta and later); a 100 ms sampler adds mean/max power, min/mean SM clock, peak device memory
// used and the union of throttle reasons seen. Prototypes are declared here (nvml.h is not needed
// to build); they follow NVML's C API, whose signatures are stable across driver versions. Note:
// NVML numbers GPUs in PCI order, CUDA may not (CUDA_DEVICE_ORDER).
#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "infbench/probe.hpp"

namespace infbench {
namespace {

using Device = void*;
struct Memory {
  unsigned long long total, free, used;
};
constexpr int kClockSm = 1;
constexpr unsigned long long kSwPowerCap = 0x4;  // nvmlClocksEventReasonSwPowerCap

struct Nvml {
  int (*init)() = nullptr;
  int (*handle)(unsigned, Device*) = nullptr;
  int (*energy)(Device, unsigned long long*) = nullptr;
  int (*power)(Device, unsigned*) = nullptr;
  int (*memory)(Device, Memory*) = nullptr;
  int (*clock)(Device, int, unsigned*) = nullptr;
  int (*throttle)(Device, unsigned long long*) = nullptr;
  int (*name)(Device, char*, unsigned) = nullptr;
  int (*driver)(char*, unsigned) = nullptr;
  bool ok = false;
  std::string why;
};

template <class F>
void bind(void* lib, const char* symbol, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
}

// Loaded once per process; kept loaded (NVML's own advice: init once, shut down at exit).
const Nvml& nvml() {
  static const Nvml loaded = [] {
    Nvml n;
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      n.why = "GPU power not measured: libnvidia-ml.so.1 not found (no NVIDIA driver)";
      return n;
    }
    bind(lib, "nvmlInit_v2", n.init);
    bind(lib, "nvmlDeviceGetHandleByIndex_v2", n.handle);
    bind(lib, "nvmlDeviceGetTotalEnergyConsumption", n.energy);
    bind(lib, "nvmlDeviceGetPowerUsage", n.power);
    bind(lib, "nvmlDeviceGetMemoryInfo", n.memory);
    bind(lib, "nvmlDeviceGetClockInfo", n.clock);
    // Renamed "event reasons" in NVML 12.2 (same bits); older drivers have only the first name.
    bind(lib, "nvmlDeviceGetCurrentClocksEventReasons", n.throttle);
    if (n.throttle == nullptr) bind(lib, "nvmlDeviceGetCurrentClocksThrottleReasons", n.throttle);
    bind(lib, "nvmlDeviceGetName", n.name);
    bind(lib, "nvmlSystemGetDriverVersion", n.driver);
    if (n.init == nullptr || n.handle == nullptr || n.power == nullptr || n.init() != 0) {
      n.why = "GPU power not measured: NVML present but failed to initialise";
      return n;
    }
    n.ok = true;
    return n;
  }();
  return loaded;
}

Device device_handle(int index) {
  Device device = nullptr;
  if (!nvml().ok || nvml().handle(static_cast<unsigned>(index), &device) != 0) return nullptr;
  return device;
}

class NvmlProbe final : public Probe {
 public:
  explicit NvmlProbe(Device device) : device_(device) {}
  ~NvmlProbe() override { stop_sampler(); }
  std::string name() const override { return "nvml"; }

  void start() override {
    stop_sampler();
    power_sum_w_ = 0;
    power_max_w_ = 0;
    samples_ = 0;
    memory_max_ = 0;
    clock_min_ = 0;
    clock_sum_ = 0;
    clock_samples_ = 0;
    throttle_ = 0;
    throttle_samples_ = 0;
    power_capped_samples_ = 0;
    energy_start_mj_ = 0;
    has_energy_ = nvml().energy != nullptr && nvml().energy(device_, &energy_start_mj_) == 0;
    start_ = std::chrono::steady_clock::now();
    running_ = true;
    sampler_ = std::thread([this] {
      while (running_) {
        sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }

  ProbeValues stop() override {
    stop_sampler();
    sample();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::lock_guard lock(mutex_);
    const double mean_w = samples_ > 0 ? power_sum_w_ / samples_ : 0;
    ProbeValues values{
        {"duration_s", seconds}, {"power_mean_w", mean_w}, {"power_max_w", power_max_w_}};
    unsigned long long end_mj = 0;
    if (has_energy_ && nvml().energy(device_, &end_mj) == 0) {
      values.emplace_back("energy_j", static_cast<double>(end_mj - energy_start_mj_) * 1e-3);
    } else if (samples_ > 0) {
      values.emplace_back("energy_j", mean_w * seconds);  // integrated samples (older GPUs)
    }
    if (memory_max_ > 0)
      values.emplace_back("gpu_memory_used_bytes", static_cast<double>(memory_max_));
    if (clock_min_ > 0) values.emplace_back("gpu_sm_clock_mhz", clock_min_);
    if (clock_samples_ > 0)
      values.emplace_back("gpu_sm_clock_mean_mhz", clock_sum_ / clock_samples_);
    values.emplace_back("gpu_throttle_reasons", static_cast<double>(throttle_));
    if (throttle_samples_ > 0) {
      values.emplace_back("gpu_throttle_samples", throttle_samples_);
      values.emplace_back("gpu_power_capped_samples", power_capped_samples_);
    }
    return values;
  }

 private:
  void sample() {
    unsigned milliwatts = 0, mhz = 0;
    Memory memory{};
    unsigned long long reasons = 0;
    std::lock_guard lock(mutex_);
    if (nvml().power(device_, &milliwatts) == 0) {
      power_sum_w_ += milliwatts * 1e-3;
      power_max_w_ = std::max(power_max_w_, milliwatts * 1e-3);
      ++samples_;
    }
    if (nvml().memory != nullptr && nvml().memory(device_, &memory) == 0) {
      memory_max_ = std::max(memory_max_, memory.used);
    }
    if (nvml().clock != nullptr && nvml().clock(device_, kClockSm, &mhz) == 0) {
      clock_min_ = clock_min_ == 0 ? mhz : std::min<double>(clock_min_, mhz);
      clock_sum_ += mhz;
      ++clock_samples_;
    }
    if (nvml().throttle != nullptr && nvml().throttle(device_, &reasons) == 0) {
      throttle_ |= reasons;
      ++throttle_samples_;
      if ((reasons & kSwPowerCap) != 0) ++power_capped_samples_;
    }
  }
  void stop_sampler() {
    running_ = false;
    if (sampler_.joinable()) sampler_.join();
  }

  Device device_;
  std::thread sampler_;
  std::atomic<bool> running_ = false;
  std::mutex mutex_;
  double power_sum_w_ = 0, power_max_w_ = 0, clock_min_ = 0, clock_sum_ = 0;
  int samples_ = 0, clock_samples_ = 0, throttle_samples_ = 0, power_capped_samples_ = 0;
  unsigned long long memory_max_ = 0, throttle_ = 0, energy_start_mj_ = 0;
  bool has_energy_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::unique_ptr<Probe> make_nvml_probe(int device) {
  Device handle = device_handle(device);
  if (handle == nullptr) return nullptr;
  return std::make_unique<NvmlProbe>(handle);
}

std::string nvml_absence(int device) {
  if (!nvml().ok) return nvml().why;
  if (device_handle(device) == nullptr) {
    return "GPU power not measured: NVML has no device " + std::to_string(device);
  }
  return {};
}

std::string nvml_device_name(int device) {
  char text[96] = {};
  Device d = device_handle(device);
  if (d == nullptr || nvml().name == nullptr || nvml().name(d, text, sizeof text) != 0) return {};
  return text;
}

// GPU facts for the environment record; empty without NVML.
std::vector<std::pair<std::string, std::string>> nvml_environment() {
  std::vector<std::pair<std::string, std::string>> facts;
  if (!nvml().ok) return facts;
  char text[96] = {};
  if (nvml().driver != nullptr && nvml().driver(text, sizeof text) == 0)
    facts.emplace_back("gpu_driver", text);
  for (int i = 0; i < 16; ++i) {
    Device d = device_handle(i);
    if (d == nullptr) break;
    const std::string prefix = "gpu" + std::to_string(i);
    if (nvml().name != nullptr && nvml().name(d, text, sizeof text) == 0)
      facts.emplace_back(prefix + "_name", text);
    unsigned mhz = 0;
    if (nvml().clock != nullptr && nvml().clock(d, kClockSm, &mhz) == 0) {
      facts.emplace_back(prefix + "_sm_clock_mhz", std::to_string(mhz));
    }
    Memory memory{};
    if (nvml().memory != nullptr && nvml().memory(d, &memory) == 0) {
      facts.emplace_back(prefix + "_memory_total_bytes", std::to_string(memory.total));
    }
  }
  return facts;
}

}  // namespace infbench
