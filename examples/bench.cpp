// Measure a model in the offline scenario (the library's measurement engine) and print the result.
// Usage: example_bench FRAMEWORK MODEL [BATCH_SIZE] [SECONDS]
#include <infbench/infbench.hpp>

#include <iostream>

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " FRAMEWORK MODEL [BATCH_SIZE] [SECONDS]\n";
    return 2;
  }
  infbench::Params params;
  params.batch_size = argc > 3 ? std::stoi(argv[3]) : 8;
  infbench::RunConfig config;
  config.scenario = infbench::Scenario::offline;
  config.min_duration_s = argc > 4 ? std::stod(argv[4]) : 2;
  const auto result = infbench::run_benchmark(argv[1], argv[2], params, config);
  const auto& r = result.record;
  std::cout << r.framework << " " << r.framework_version << " batch " << r.batch_size << ": "
            << r.status << ", " << r.throughput_samples_per_s << " samples/s, p99 "
            << r.latency_p99_ms.value_or(0) << " ms, load " << r.load_time_s.value_or(0) << " s\n";
  return r.status == "ok" ? 0 : 1;
} catch (const infbench::Error& e) {
  std::cerr << "example_bench: " << e.what() << "\n";
  return 1;
}
