#include "sample_pool.hpp"

#include <cstring>

namespace infbench {
namespace {

void fill_random(Tensor& t, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::uniform_int_distribution<int> small(0, 9);
  const auto n = static_cast<std::size_t>(t.element_count());
  switch (t.dtype()) {
    case DType::float32:
      for (auto& v : t.values<float>()) v = normal(rng);
      break;
    case DType::float16:
      for (auto& v : t.values<std::uint16_t>()) v = float_to_half(normal(rng));
      break;
    case DType::bfloat16:
      for (auto& v : t.values<std::uint16_t>()) v = float_to_bfloat16(normal(rng));
      break;
    case DType::int64:
      for (auto& v : t.values<std::int64_t>()) v = small(rng);
      break;
    case DType::int32:
      for (auto& v : t.values<std::int32_t>()) v = small(rng);
      break;
    case DType::uint8:
      for (auto& v : t.values<std::uint8_t>()) v = static_cast<std::uint8_t>(small(rng));
      break;
    case DType::boolean:
      for (std::size_t i = 0; i < n; ++i) t.data()[i] = std::byte(small(rng) % 2);
      break;
    case DType::float64:
      for (auto& v : t.values<double>()) v = normal(rng);
      break;
    case DType::int8:
      for (auto& v : t.values<std::int8_t>()) v = static_cast<std::int8_t>(small(rng));
      break;
  }
}

}  // namespace

SamplePool SamplePool::random(const std::vector<TensorSpec>& inputs,
                              const std::vector<Shape>& shapes, std::int64_t samples,
                              std::uint64_t seed) {
  SamplePool pool;
  pool.samples_ = samples;
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Shape shape{samples};
    shape.insert(shape.end(), shapes[i].begin(), shapes[i].end());
    Tensor t(inputs[i].dtype, std::move(shape));
    fill_random(t, rng);
    pool.tensors_.push_back(std::move(t));
  }
  return pool;
}

SamplePool SamplePool::from_tensors(std::vector<Tensor> tensors) {
  SamplePool pool;
  if (tensors.empty()) throw Error(ErrorKind::invalid_argument, "sample pool needs an input");
  pool.samples_ = tensors.front().batch();
  for (const auto& t : tensors) {
    if (t.batch() != pool.samples_) {
      throw Error(ErrorKind::invalid_argument, "input files disagree on the number of samples");
    }
  }
  pool.tensors_ = std::move(tensors);
  return pool;
}

std::vector<Tensor> SamplePool::make_batch(std::int64_t rows) const {
  std::vector<Tensor> batch;
  for (const auto& t : tensors_) {
    Shape shape = t.shape();
    shape[0] = rows;
    batch.emplace_back(t.dtype(), std::move(shape));
  }
  return batch;
}

void SamplePool::gather(const std::vector<std::int64_t>& indices,
                        std::vector<Tensor>& batch) const {
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const auto row = tensors_[i].sample_bytes();
    std::byte* out = batch[i].data();
    for (std::size_t k = 0; k < indices.size(); ++k) {
      std::memcpy(out + k * row, tensors_[i].data() + static_cast<std::size_t>(indices[k]) * row,
                  row);
    }
  }
}

}  // namespace infbench
