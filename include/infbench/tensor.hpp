#pragma once
// Tensor: a shape, a dtype and contiguous (C order) host memory that the tensor owns.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "infbench/error.hpp"

namespace infbench {

// New types are appended: the numeric values stay as they were.
enum class DType : std::uint8_t {
  float32,
  float16,
  bfloat16,
  int64,
  int32,
  uint8,
  boolean,
  float64,
  int8
};

std::size_t dtype_size(DType dtype);
std::string_view to_string(DType dtype);
std::optional<DType> parse_dtype(std::string_view name);  // the to_string() names
bool is_float(DType dtype);                               // float32, float16, bfloat16, float64

// Dimension value -1 means "any size" (dynamic) in model signatures; tensors never hold -1.
using Shape = std::vector<std::int64_t>;
std::int64_t element_count(const Shape& shape);
std::string to_string(const Shape& shape);  // "[4,3,224,224]", -1 printed as "?"

template <class T>
constexpr std::optional<DType> dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::float32;
  if constexpr (std::is_same_v<T, std::int64_t>) return DType::int64;
  if constexpr (std::is_same_v<T, std::int32_t>) return DType::int32;
  if constexpr (std::is_same_v<T, std::uint8_t>) return DType::uint8;
  if constexpr (std::is_same_v<T, bool>) return DType::boolean;
  if constexpr (std::is_same_v<T, double>) return DType::float64;
  if constexpr (std::is_same_v<T, std::int8_t>) return DType::int8;
  return std::nullopt;  // float16/bfloat16 are accessed as std::uint16_t bit patterns
}

// A non-owning, read-only view of contiguous tensor memory: how batches reach the adapters, so
// that slicing a large sample pool into batches copies nothing.
struct TensorView {
  DType dtype = DType::float32;
  Shape shape;
  const std::byte* data = nullptr;
  // -1: `data` is host memory. k >= 0: `data` is memory on GPU k, which only backends whose
  // BackendInfo::device_inputs is set receive (the GPU pipeline's staging, src/gpu/staging.hpp).
  int device = -1;

  std::size_t byte_size() const;
  std::int64_t batch() const;
  TensorView slice_batch(std::int64_t begin, std::int64_t count) const;
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled
  Tensor(DType dtype, Shape shape, std::span<const std::byte> bytes);

  template <class T>
  static Tensor from_values(Shape shape, std::span<const T> values) {
    constexpr auto dtype = dtype_of<T>();
    static_assert(dtype.has_value(), "use the DType + bytes constructor for 16-bit floats");
    return Tensor(*dtype, std::move(shape), std::as_bytes(values));
  }

  DType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  std::int64_t element_count() const noexcept;
  std::size_t byte_size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return shape_.empty() && bytes_.empty(); }

  std::byte* data() noexcept { return bytes_.data(); }
  const std::byte* data() const noexcept { return bytes_.data(); }
  std::span<const std::byte> bytes() const noexcept { return bytes_; }

  // Typed views; throw Error if T does not match the dtype (16-bit floats: std::uint16_t).
  template <class T>
  std::span<T> values() {
    check_access(sizeof(T), dtype_of<T>());
    return {reinterpret_cast<T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }
  template <class T>
  std::span<const T> values() const {
    check_access(sizeof(T), dtype_of<T>());
    return {reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }

  TensorView view() const { return {dtype_, shape_, bytes_.data()}; }
  explicit Tensor(const TensorView& view);  // deep copy

  // The leading dimension is the sample (batch) axis.
  std::int64_t batch() const;
  std::size_t sample_bytes() const;
  Tensor slice_batch(std::int64_t begin, std::int64_t count) const;
  // Copy of this tensor with the batch axis grown to `rows`; new rows are zero.
  Tensor padded_batch(std::int64_t rows) const;
  static Tensor concat_batch(std::span<const Tensor> parts);

  // Every element converted to float (for comparisons and top-1; all dtypes supported).
  std::vector<float> to_float() const;

 private:
  void check_access(std::size_t element_size, std::optional<DType> requested) const;

  DType dtype_ = DType::float32;
  Shape shape_;
  std::vector<std::byte> bytes_;
};

// A named tensor: model inputs are matched by name, outputs come back in model order.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};
using NamedTensors = std::vector<NamedTensor>;

// `t`'s values converted to a float type (round to nearest), as a user of that precision converts
// their data. Throws Error(invalid_argument) when `to` is not a float type.
Tensor converted_float(const Tensor& t, DType to);

float half_to_float(std::uint16_t bits);
std::uint16_t float_to_half(float value);
float bfloat16_to_float(std::uint16_t bits);
std::uint16_t float_to_bfloat16(float value);

}  // namespace infbench
