// Load a model with one of the built-in frameworks, predict a batch of samples, print top-1.
// Usage: example_predict FRAMEWORK MODEL INPUT.npy [BATCH_SIZE]
#include <infbench/infbench.hpp>

#include <algorithm>
#include <iostream>

int main(int argc, char** argv) try {
  if (argc < 4) {
    std::cerr << "usage: " << argv[0] << " FRAMEWORK MODEL INPUT.npy [BATCH_SIZE]\n";
    return 2;
  }
  infbench::Params params;
  params.batch_size = argc > 4 ? std::stoi(argv[4]) : 8;
  auto model = infbench::Model::load(argv[1], argv[2], params);
  const auto outputs = model.predict({{"", infbench::read_npy(argv[3])}});
  const auto& logits = outputs.front().tensor;
  const auto values = logits.to_float();
  const auto classes = static_cast<std::size_t>(logits.shape()[1]);
  for (std::size_t row = 0; row < values.size() / classes; ++row) {
    const auto begin = values.begin() + static_cast<std::ptrdiff_t>(row * classes);
    std::cout << "sample " << row << ": top-1 "
              << std::max_element(begin, begin + static_cast<std::ptrdiff_t>(classes)) - begin
              << "\n";
  }
  return 0;
} catch (const infbench::Error& e) {
  std::cerr << "example_predict: " << e.what() << "\n";
  return 1;
}
