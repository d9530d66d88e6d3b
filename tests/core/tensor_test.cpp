#include "infbench/tensor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace infbench {
namespace {

Tensor iota(Shape shape) {
  Tensor t(DType::float32, std::move(shape));
  auto v = t.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return t;
}

TEST(Tensor, ZeroFilledWithShapeAndSize) {
  Tensor t(DType::int64, {2, 3});
  EXPECT_EQ(t.element_count(), 6);
  EXPECT_EQ(t.byte_size(), 48U);
  for (auto v : t.values<std::int64_t>()) EXPECT_EQ(v, 0);
}

TEST(Tensor, RejectsWrongByteCountAndNegativeDims) {
  const std::vector<std::byte> bytes(5);
  EXPECT_THROW(Tensor(DType::float32, {2}, bytes), Error);
  EXPECT_THROW(Tensor(DType::float32, {-1, 2}), Error);
}

TEST(Tensor, TypedAccessChecksDtype) {
  Tensor t(DType::float32, {2});
  EXPECT_THROW(t.values<std::int32_t>(), Error);
  Tensor h(DType::float16, {2});
  EXPECT_EQ(h.values<std::uint16_t>().size(), 2U);
  EXPECT_THROW(t.values<std::uint16_t>(), Error);
}

TEST(Tensor, SliceConcatRoundTrip) {
  const Tensor t = iota({5, 2});
  const Tensor a = t.slice_batch(0, 3);
  const Tensor b = t.slice_batch(3, 2);
  EXPECT_EQ(a.shape(), (Shape{3, 2}));
  EXPECT_EQ(b.values<float>()[0], 6.0F);
  const std::vector<Tensor> parts{a, b};
  const Tensor joined = Tensor::concat_batch(parts);
  EXPECT_EQ(joined.shape(), t.shape());
  EXPECT_TRUE(std::equal(joined.bytes().begin(), joined.bytes().end(), t.bytes().begin()));
  EXPECT_THROW(t.slice_batch(4, 2), Error);
}

TEST(Tensor, ConcatRefusesMismatchedTails) {
  const std::vector<Tensor> parts{iota({1, 2}), iota({1, 3})};
  EXPECT_THROW(Tensor::concat_batch(parts), Error);
}

TEST(Tensor, ViewSliceSharesMemory) {
  const Tensor t = iota({4, 3});
  const TensorView v = t.view().slice_batch(2, 2);
  EXPECT_EQ(v.shape, (Shape{2, 3}));
  EXPECT_EQ(v.data, t.data() + 2 * 3 * sizeof(float));
  EXPECT_EQ(Tensor(v).values<float>()[0], 6.0F);
}

TEST(Tensor, PaddedBatchAddsZeroRows) {
  const Tensor p = iota({2, 2}).padded_batch(4);
  EXPECT_EQ(p.shape(), (Shape{4, 2}));
  EXPECT_EQ(p.values<float>()[3], 3.0F);
  EXPECT_EQ(p.values<float>()[7], 0.0F);
}

TEST(Tensor, DTypeNamesRoundTrip) {
  for (auto d : {DType::float32, DType::float16, DType::bfloat16, DType::int64, DType::int32,
                 DType::uint8, DType::boolean, DType::float64, DType::int8}) {
    EXPECT_EQ(parse_dtype(to_string(d)), d);
  }
  EXPECT_FALSE(parse_dtype("complex64").has_value());
  EXPECT_EQ(to_string(Shape{-1, 3}), "[?,3]");
}

TEST(Half, KnownBitPatterns) {
  EXPECT_EQ(float_to_half(1.0F), 0x3C00);
  EXPECT_EQ(float_to_half(-2.0F), 0xC000);
  EXPECT_EQ(float_to_half(65504.0F), 0x7BFF);
  EXPECT_EQ(float_to_half(1e6F), 0x7C00);                    // overflow -> inf
  EXPECT_EQ(float_to_half(5.960464477539063e-08F), 0x0001);  // smallest subnormal
  EXPECT_EQ(half_to_float(0x0001), 5.960464477539063e-08F);
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125F);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Half, RoundTripsEveryFiniteHalf) {
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    if ((h & 0x7C00) == 0x7C00) continue;  // inf/NaN
    ASSERT_EQ(float_to_half(half_to_float(h)), h) << "bits " << bits;
  }
}

TEST(Half, RoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even -> 1.
  EXPECT_EQ(float_to_half(1.0F + 0.00048828125F), 0x3C00);
  EXPECT_EQ(float_to_half(1.0F + 0.00048828125F * 3), 0x3C02);
}

TEST(BFloat16, RoundTripAndRounding) {
  EXPECT_EQ(float_to_bfloat16(1.0F), 0x3F80);
  EXPECT_EQ(bfloat16_to_float(0x3F80), 1.0F);
  EXPECT_EQ(bfloat16_to_float(float_to_bfloat16(3.140625F)), 3.140625F);
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::nanf("")))));
}

TEST(Tensor, ToFloatConvertsEveryDtype) {
  Tensor b(DType::boolean, {2});
  b.values<bool>()[1] = true;
  EXPECT_EQ(b.to_float(), (std::vector<float>{0.0F, 1.0F}));
  Tensor h(DType::float16, {1});
  h.values<std::uint16_t>()[0] = float_to_half(-1.5F);
  EXPECT_EQ(h.to_float()[0], -1.5F);
}

}  // namespace
}  // namespace infbench
