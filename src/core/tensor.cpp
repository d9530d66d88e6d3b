#include "infbench/tensor.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <numeric>

namespace infbench {
namespace {

struct DTypeRow {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

// The one table for dtype names and sizes.
constexpr std::array<DTypeRow, 9> kDTypes{{
    {DType::float32, "float32", 4},
    {DType::float16, "float16", 2},
    {DType::bfloat16, "bfloat16", 2},
    {DType::int64, "int64", 8},
    {DType::int32, "int32", 4},
    {DType::uint8, "uint8", 1},
    {DType::boolean, "bool", 1},
    {DType::float64, "float64", 8},
    {DType::int8, "int8", 1},
}};

const DTypeRow& row(DType dtype) { return kDTypes.at(static_cast<std::size_t>(dtype)); }

std::size_t checked_byte_count(DType dtype, const Shape& shape) {
  for (auto d : shape) {
    if (d < 0)
      throw Error(ErrorKind::invalid_argument,
                  "tensor shape " + to_string(shape) + " has a negative dimension");
  }
  return static_cast<std::size_t>(element_count(shape)) * dtype_size(dtype);
}

}  // namespace

std::size_t dtype_size(DType dtype) { return row(dtype).size; }
std::string_view to_string(DType dtype) { return row(dtype).name; }

bool is_float(DType dtype) {
  return dtype == DType::float32 || dtype == DType::float16 || dtype == DType::bfloat16 ||
         dtype == DType::float64;
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& r : kDTypes) {
    if (r.name == name) return r.dtype;
  }
  return std::nullopt;
}

std::int64_t element_count(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

std::string to_string(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ",";
    out += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return out + "]";
}

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), bytes_(checked_byte_count(dtype_, shape_)) {}

Tensor::Tensor(DType dtype, Shape shape, std::span<const std::byte> bytes)
    : dtype_(dtype), shape_(std::move(shape)) {
  const auto expected = checked_byte_count(dtype_, shape_);
  if (bytes.size() != expected) {
    throw Error(ErrorKind::invalid_argument, "tensor " + to_string(shape_) + " of " +
                                                 std::string(to_string(dtype_)) + " needs " +
                                                 std::to_string(expected) + " bytes, got " +
                                                 std::to_string(bytes.size()));
  }
  bytes_.assign(bytes.begin(), bytes.end());
}

std::size_t TensorView::byte_size() const {
  return static_cast<std::size_t>(element_count(shape)) * dtype_size(dtype);
}

std::int64_t TensorView::batch() const {
  if (shape.empty()) throw Error(ErrorKind::invalid_argument, "a scalar tensor has no batch axis");
  return shape[0];
}

TensorView TensorView::slice_batch(std::int64_t begin, std::int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > batch()) {
    throw Error(ErrorKind::invalid_argument, "batch slice [" + std::to_string(begin) + ", " +
                                                 std::to_string(begin + count) +
                                                 ") outside tensor " + to_string(shape));
  }
  const auto rows = batch();
  const std::size_t row_bytes = rows == 0 ? 0 : byte_size() / static_cast<std::size_t>(rows);
  TensorView out{dtype, shape, data + static_cast<std::size_t>(begin) * row_bytes, device};
  out.shape[0] = count;
  return out;
}

Tensor::Tensor(const TensorView& view)
    : Tensor(view.dtype, view.shape, std::span<const std::byte>(view.data, view.byte_size())) {}

std::int64_t Tensor::element_count() const noexcept { return infbench::element_count(shape_); }

void Tensor::check_access(std::size_t element_size, std::optional<DType> requested) const {
  const bool ok = requested ? *requested == dtype_
                            : element_size == dtype_size(dtype_) &&
                                  (dtype_ == DType::float16 || dtype_ == DType::bfloat16);
  if (!ok) {
    throw Error(ErrorKind::invalid_argument,
                "tensor holds " + std::string(to_string(dtype_)) + ", not the requested type");
  }
}

std::int64_t Tensor::batch() const {
  if (shape_.empty()) throw Error(ErrorKind::invalid_argument, "a scalar tensor has no batch axis");
  return shape_[0];
}

std::size_t Tensor::sample_bytes() const {
  const auto rows = batch();
  return rows == 0 ? 0 : bytes_.size() / static_cast<std::size_t>(rows);
}

Tensor Tensor::slice_batch(std::int64_t begin, std::int64_t count) const {
  return Tensor(view().slice_batch(begin, count));
}

Tensor Tensor::padded_batch(std::int64_t rows) const {
  if (rows < batch()) throw Error(ErrorKind::invalid_argument, "cannot pad a batch to fewer rows");
  Shape shape = shape_;
  shape[0] = rows;
  Tensor out(dtype_, std::move(shape));
  std::memcpy(out.data(), data(), byte_size());
  return out;
}

Tensor Tensor::concat_batch(std::span<const Tensor> parts) {
  if (parts.empty()) throw Error(ErrorKind::invalid_argument, "nothing to concatenate");
  Shape shape = parts.front().shape();
  std::int64_t rows = 0;
  for (const auto& p : parts) {
    Shape tail_a(p.shape().begin() + 1, p.shape().end());
    Shape tail_b(shape.begin() + 1, shape.end());
    if (p.dtype() != parts.front().dtype() || tail_a != tail_b) {
      throw Error(ErrorKind::invalid_argument, "cannot concatenate tensors " + to_string(shape) +
                                                   " and " + to_string(p.shape()));
    }
    rows += p.batch();
  }
  shape[0] = rows;
  Tensor out(parts.front().dtype(), std::move(shape));
  std::size_t offset = 0;
  for (const auto& p : parts) {
    std::memcpy(out.data() + offset, p.data(), p.byte_size());
    offset += p.byte_size();
  }
  return out;
}

std::vector<float> Tensor::to_float() const {
  std::vector<float> out(static_cast<std::size_t>(element_count()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::byte* p = data() + i * dtype_size(dtype_);
    switch (dtype_) {
      case DType::float32: std::memcpy(&out[i], p, 4); break;
      case DType::float16: {
        std::uint16_t b;
        std::memcpy(&b, p, 2);
        out[i] = half_to_float(b);
        break;
      }
      case DType::bfloat16: {
        std::uint16_t b;
        std::memcpy(&b, p, 2);
        out[i] = bfloat16_to_float(b);
        break;
      }
      case DType::int64: {
        std::int64_t v;
        std::memcpy(&v, p, 8);
        out[i] = static_cast<float>(v);
        break;
      }
      case DType::int32: {
        std::int32_t v;
        std::memcpy(&v, p, 4);
        out[i] = static_cast<float>(v);
        break;
      }
      case DType::uint8: out[i] = static_cast<float>(std::to_integer<std::uint8_t>(*p)); break;
      case DType::boolean: out[i] = *p != std::byte{0} ? 1.0F : 0.0F; break;
      case DType::float64: {
        double v;
        std::memcpy(&v, p, 8);
        out[i] = static_cast<float>(v);
        break;
      }
      case DType::int8: out[i] = static_cast<float>(std::to_integer<std::int8_t>(*p)); break;
    }
  }
  return out;
}

// IEEE 754 binary16 <-> binary32, round to nearest even; subnormals, inf and NaN preserved.
float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000U) << 16;
  std::uint32_t exponent = (bits >> 10) & 0x1FU;
  std::uint32_t mantissa = bits & 0x3FFU;
  std::uint32_t out = 0;
  if (exponent == 0x1F) {
    out = sign | 0x7F800000U | (mantissa << 13);
  } else if (exponent != 0) {
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400U) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    out = sign | (exponent << 23) | ((mantissa & 0x3FFU) << 13);
  } else {
    out = sign;
  }
  return std::bit_cast<float>(out);
}

std::uint16_t float_to_half(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (x >> 16) & 0x8000U;
  const std::uint32_t abs = x & 0x7FFFFFFFU;
  if (abs > 0x7F800000U) return static_cast<std::uint16_t>(sign | 0x7E00U);   // NaN
  if (abs >= 0x477FF000U) return static_cast<std::uint16_t>(sign | 0x7C00U);  // overflow -> inf
  if (abs < 0x38800000U) {  // result is subnormal or zero
    if (abs < 0x33000000U) return static_cast<std::uint16_t>(sign);
    const std::uint32_t e = abs >> 23;
    const std::uint32_t m = (abs & 0x7FFFFFU) | 0x800000U;
    // m has 24 significant bits; a subnormal half keeps the top ones after this shift.
    const std::uint32_t shift = 126 - e;
    std::uint32_t h = m >> shift;
    const std::uint32_t rem = m & ((1U << shift) - 1);
    const std::uint32_t halfway = 1U << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1U))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = ((abs - 0x38000000U) >> 13);
  const std::uint32_t rem = abs & 0x1FFFU;
  if (rem > 0x1000U || (rem == 0x1000U && (h & 1U))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

float bfloat16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t float_to_bfloat16(float value) {
  std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  if ((x & 0x7FFFFFFFU) > 0x7F800000U) return static_cast<std::uint16_t>((x >> 16) | 0x40U);
  x += 0x7FFFU + ((x >> 16) & 1U);  // round to nearest even
  return static_cast<std::uint16_t>(x >> 16);
}

Tensor converted_float(const Tensor& t, DType to) {
  if (t.dtype() == to) return t;
  if (!is_float(to)) {
    throw Error(ErrorKind::invalid_argument, "a " + std::string(to_string(t.dtype())) +
                                                 " tensor cannot be converted to " +
                                                 std::string(to_string(to)));
  }
  const auto values = t.to_float();
  Tensor out(to, t.shape());
  switch (to) {
    case DType::float32: std::memcpy(out.data(), values.data(), out.byte_size()); break;
    case DType::float16:
    case DType::bfloat16: {
      auto bits = out.values<std::uint16_t>();
      for (std::size_t i = 0; i < values.size(); ++i)
        bits[i] = to == DType::float16 ? float_to_half(values[i]) : float_to_bfloat16(values[i]);
      break;
    }
    default: {  // float64
      auto d = out.values<double>();
      for (std::size_t i = 0; i < values.size(); ++i) d[i] = values[i];
    }
  }
  return out;
}

}  // namespace infbench
