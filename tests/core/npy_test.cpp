#include "infbench/npy.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace infbench {
namespace {

const std::filesystem::path kData = INFBENCH_TEST_DATA_DIR;

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("infbench_npy_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Files written by NumPy itself (tests/data, made with np.save).
TEST_F(NpyTest, ReadsNumpyWrittenFilesOfEveryDtype) {
  const Tensor f = read_npy(kData / "f4_2x3.npy");
  EXPECT_EQ(f.dtype(), DType::float32);
  EXPECT_EQ(f.shape(), (Shape{2, 3}));
  EXPECT_EQ(f.values<float>()[5], 1.25F);

  const Tensor h = read_npy(kData / "f2_3.npy");
  EXPECT_EQ(h.dtype(), DType::float16);
  EXPECT_EQ(h.to_float(), (std::vector<float>{1.0F, -2.5F, 65504.0F}));

  const Tensor l = read_npy(kData / "i8_5.npy");
  EXPECT_EQ(l.values<std::int64_t>()[3], std::int64_t{1} << 40);
  EXPECT_EQ(read_npy(kData / "i4_2x2.npy").values<std::int32_t>()[3], -4);
  EXPECT_EQ(read_npy(kData / "u1_4.npy").values<std::uint8_t>()[3], 255);
  const Tensor b = read_npy(kData / "b1_2x2.npy");
  EXPECT_EQ(b.dtype(), DType::boolean);
  EXPECT_EQ(b.to_float(), (std::vector<float>{1, 0, 0, 1}));
  const Tensor s = read_npy(kData / "f4_scalar.npy");
  EXPECT_TRUE(s.shape().empty());
  EXPECT_EQ(s.values<float>()[0], 3.5F);
}

TEST_F(NpyTest, WritesByteIdenticalToNumpy) {
  const Tensor f = read_npy(kData / "f4_2x3.npy");
  write_npy(dir_ / "copy.npy", f);
  std::ifstream a(kData / "f4_2x3.npy", std::ios::binary), b(dir_ / "copy.npy", std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(a)), {}),
      sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(sa, sb);
  for (const char* name : {"i8_5.npy", "b1_2x2.npy", "f4_scalar.npy", "f2_3.npy"}) {
    write_npy(dir_ / name, read_npy(kData / name));
    std::ifstream x(kData / name, std::ios::binary), y(dir_ / name, std::ios::binary);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(x)), {}),
              std::string((std::istreambuf_iterator<char>(y)), {}))
        << name;
  }
}

TEST_F(NpyTest, RoundTripsBfloat16) {
  Tensor t(DType::bfloat16, {3});
  t.values<std::uint16_t>()[1] = float_to_bfloat16(2.5F);
  write_npy(dir_ / "bf.npy", t);
  const Tensor back = read_npy(dir_ / "bf.npy");
  EXPECT_EQ(back.dtype(), DType::bfloat16);
  EXPECT_EQ(back.to_float()[1], 2.5F);
}

TEST_F(NpyTest, HeaderIsAlignedTo64Bytes) {
  write_npy(dir_ / "a.npy", Tensor(DType::float32, {7, 1, 3}));
  EXPECT_EQ((std::filesystem::file_size(dir_ / "a.npy") - 7 * 3 * 4) % 64, 0U);
}

void expect_error(const std::filesystem::path& path, const std::string& fragment) {
  try {
    read_npy(path);
    ADD_FAILURE() << path << " was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.filename().string()), std::string::npos) << e.what();
  }
}

TEST_F(NpyTest, ReadsAndWritesFloat64AndInt8) {
  const Tensor d = read_npy(kData / "f8_2.npy");
  ASSERT_EQ(d.dtype(), DType::float64);
  EXPECT_EQ(std::vector<double>(d.values<double>().begin(), d.values<double>().end()),
            (std::vector<double>{1.0, 2.0}));
  write_npy(dir_ / "f8.npy", d);  // byte-identical to NumPy's file
  std::ifstream a(kData / "f8_2.npy", std::ios::binary), b(dir_ / "f8.npy", std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(a)), {}),
            std::string((std::istreambuf_iterator<char>(b)), {}));
  const std::vector<std::int8_t> values{-128, 0, 127};
  write_npy(dir_ / "i1.npy", Tensor::from_values<std::int8_t>({3}, values));
  const Tensor i = read_npy(dir_ / "i1.npy");
  ASSERT_EQ(i.dtype(), DType::int8);
  EXPECT_EQ(i.to_float(), (std::vector<float>{-128.0F, 0.0F, 127.0F}));
}

TEST_F(NpyTest, RefusesWhatItCannotReadFaithfully) {
  {
    // f8_2.npy with its descriptor changed to int16 (same length): a type infbench does not hold.
    std::ifstream in(kData / "f8_2.npy", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    bytes.replace(bytes.find("<f8"), 3, "<i2");
    std::ofstream(dir_ / "i2.npy", std::ios::binary) << bytes;
  }
  expect_error(dir_ / "i2.npy", "dtype '<i2' unsupported");
  expect_error(kData / "f4_fortran.npy", "Fortran order");
  expect_error(kData / "f4_bigendian.npy", "dtype '>f4' unsupported");
  expect_error(dir_ / "missing.npy", "missing.npy: .npy file not found");
}

TEST_F(NpyTest, RefusesTruncatedAndMalformedFiles) {
  std::ifstream in(kData / "f4_2x3.npy", std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), {});
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return dir_ / name;
  };
  expect_error(write("short.npy", good.substr(0, good.size() - 4)), "truncated data");
  expect_error(write("header.npy", good.substr(0, 40)), "truncated header");
  expect_error(write("magic.npy", "PK\x03\x04 not numpy at all"), "magic");
  expect_error(write("trailing.npy", good + "xx"), "trailing bytes");
  std::string bad_shape = good;
  bad_shape.replace(bad_shape.find("(2, 3)"), 6, "(2, x)");
  expect_error(write("shape.npy", bad_shape), "bad shape");
}

// Headers that lie about the data are refused from the file's size, before anything is allocated
// (a claim of 4 TB used to end in std::bad_alloc, and 2^80 elements wrapped to a small count).
TEST_F(NpyTest, RefusesHeadersClaimingMoreThanTheFileHolds) {
  const auto write = [&](const std::string& name, const std::string& shape, std::size_t data) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::ofstream out(dir_ / name, std::ios::binary);
    out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size() & 0xFF)
        << static_cast<char>(header.size() >> 8) << header << std::string(data, '\0');
    return dir_ / name;
  };
  expect_error(write("huge.npy", "(1000000000, 1000)", 16),
               "truncated data: shape [1000000000,1000] needs 4000000000000 bytes, the file holds "
               "16 after the header");
  expect_error(write("overflow.npy", "(1099511627776, 1099511627776)", 16),
               "has more elements than 64-bit sizes can count");
  expect_error(write("negative.npy", "(-1, 4)", 16), "dimensions must be integers >= 0");
  EXPECT_EQ(read_npy(write("ok.npy", "(2, 2)", 16)).shape(), (Shape{2, 2}));
  {
    std::ofstream out(dir_ / "long_header.npy", std::ios::binary);
    out << "\x93NUMPY" << '\x01' << '\x00' << '\x60' << '\xEA' << std::string(90, '{');
  }
  expect_error(dir_ / "long_header.npy",
               "truncated header: its length 60000 runs past the end of the 100-byte file");
  std::filesystem::create_directory(dir_ / "dir.npy");
  expect_error(dir_ / "dir.npy", "dir.npy: is a directory; give the .npy file itself");
}

// The header is read as the Python dict NumPy writes, not as any text that contains the keys:
// spacing NumPy may use is accepted, items that are not sizes are refused, and a header made of
// many unterminated values is refused (the scan once rescanned to its end from each: quadratic).
TEST_F(NpyTest, ReadsTheHeaderDictStrictly) {
  const auto write = [&](const std::string& name, const std::string& dict, std::size_t data) {
    std::string header = dict;
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::ofstream out(dir_ / name, std::ios::binary);
    out << "\x93NUMPY" << '\x02' << '\x00';
    for (int shift = 0; shift < 32; shift += 8) out << static_cast<char>(header.size() >> shift);
    out << header << std::string(data, '\0');
    return dir_ / name;
  };
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, ";
  EXPECT_EQ(read_npy(write("spaced.npy",
                           "{ 'descr' :\t'<f4' ,'fortran_order':False,\n"
                           "'shape' : ( 2 ,3 , ) }",
                           24))
                .shape(),
            (Shape{2, 3}));
  EXPECT_EQ(read_npy(write("long.npy", f4 + "'shape': (2L, 1L), }", 8)).shape(), (Shape{2, 1}));
  EXPECT_EQ(read_npy(write("scalar.npy", f4 + "'shape': (), }", 4)).shape(), (Shape{}));
  EXPECT_EQ(read_npy(write("one.npy", f4 + "'shape': (3,), }", 12)).shape(), (Shape{3}));
  // A key quoted as another key's value is not that key.
  EXPECT_EQ(read_npy(write("value.npy", "{'x': 'shape', " + f4.substr(1) + "'shape': (1,), }", 4))
                .shape(),
            (Shape{1}));
  for (const std::string shape : {"(,,3)", "(,)", "(L,)", "(3,,)", "(3 4,)", "(0x10,)", "(1e3,)"}) {
    expect_error(write("bad.npy", f4 + "'shape': " + shape + ", }", 64), "bad shape " + shape);
  }
  expect_error(write("no_shape.npy", f4 + "'shape': (3, }", 12), "header has no 'shape'");
  // An unterminated descriptor runs to the next quote: a dtype no reader knows.
  expect_error(write("descr.npy", "{'descr': '<f4, 'fortran_order': False, 'shape': (3,), }", 12),
               "unsupported");
  expect_error(write("truex.npy", "{'descr': '<f4', 'fortran_order': Truex, 'shape': (1,), }", 4),
               "Fortran order");
  std::string many = f4;
  for (int i = 0; i < 100000; ++i) many += "'shape': (";
  expect_error(write("quadratic.npy", many, 0), "header has no 'shape'");
}

TEST_F(NpyTest, FailedWriteLeavesNoFile) {
  const auto target = dir_ / "no_such_dir" / "out.npy";
  EXPECT_THROW(write_npy(target, Tensor(DType::float32, {1})), Error);
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_FALSE(std::filesystem::exists(target.string() + ".tmp"));
}

}  // namespace
}  // namespace infbench
