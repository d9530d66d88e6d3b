#include "infbench/npy.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <system_error>

#include "atomic_file.hpp"
#include "input_file.hpp"

namespace infbench {
namespace {

constexpr std::array<char, 6> kMagic{'\x93', 'N', 'U', 'M', 'P', 'Y'};

struct DescrRow {
  DType dtype;
  std::string_view descr;
};
// Accepted descriptors; the first of each dtype is the one written. '<' and '|' are the only
// byte orders read: a big-endian file is refused rather than silently misread.
constexpr std::array<DescrRow, 13> kDescrs{{
    {DType::float32, "<f4"},
    {DType::float16, "<f2"},
    {DType::bfloat16, "bfloat16"},
    {DType::int64, "<i8"},
    {DType::int32, "<i4"},
    {DType::uint8, "|u1"},
    {DType::boolean, "|b1"},
    {DType::float64, "<f8"},
    {DType::int8, "|i1"},
    {DType::uint8, "<u1"},
    {DType::boolean, "<b1"},
    {DType::bfloat16, "<V2"},
    {DType::int8, "<i1"},
}};

Error npy_error(const std::filesystem::path& path, const std::string& what) {
  return Error(ErrorKind::invalid_argument, path.string() + ": not a valid .npy file: " + what);
}

// Which closing characters no longer occur after some point of the header: every later candidate
// value that needs one fails too, so it is not searched for again (a header of 10^5 unterminated
// "'shape': (" would otherwise rescan to its end each time: quadratic).
struct Unterminated {
  bool quote = false, paren = false;
};

// The value after `'key':` at `at` (just past the key), as the text of one of the forms NumPy
// writes: a quoted string, True, False or a tuple; empty when none starts there.
std::string value_at(const std::string& header, std::size_t at, Unterminated& unterminated) {
  const auto skip_spaces = [&](std::size_t i) {
    return std::min(header.find_first_not_of(" \t\n\r\f\v", i), header.size());
  };
  at = skip_spaces(at);
  if (at >= header.size() || header[at] != ':') return {};
  at = skip_spaces(at + 1);
  if (at >= header.size()) return {};
  if (header[at] == '\'' || header[at] == '(') {
    const char closing = header[at] == '\'' ? '\'' : ')';
    bool& none_left = closing == '\'' ? unterminated.quote : unterminated.paren;
    const auto end = none_left ? std::string::npos : header.find(closing, at + 1);
    if (end == std::string::npos) {
      none_left = true;
      return {};
    }
    return header.substr(at, end - at + 1);
  }
  for (const std::string word : {"True", "False"}) {
    if (header.compare(at, word.size(), word) == 0) return word;
  }
  return {};
}

std::string dict_value(const std::string& header, const std::string& key,
                       const std::filesystem::path& path) {
  // The header is a Python dict literal written by NumPy, e.g.
  // {'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }
  // A scan rather than std::regex, which was compiled on every read and dominated the reader's
  // time under the fuzzer. As the regex did, the first 'key' followed by a value wins.
  const std::string quoted = "'" + key + "'";
  Unterminated unterminated;
  for (auto at = header.find(quoted); at != std::string::npos; at = header.find(quoted, at + 1)) {
    if (auto value = value_at(header, at + quoted.size(), unterminated); !value.empty()) {
      return value;
    }
  }
  throw npy_error(path, "header has no '" + key + "'");
}

// A Python tuple of sizes as NumPy writes it: (), (n,), (n, m), ... (Python 2 wrote 3L); every
// item a size, none empty but the one after a trailing comma.
Shape parse_shape(const std::string& tuple, const std::filesystem::path& path) {
  const auto bad = [&] {
    return npy_error(path, "bad shape " + tuple + ": dimensions must be integers >= 0");
  };
  const std::string inner = tuple.substr(1, tuple.size() - 2);
  Shape shape;
  if (inner.find_first_not_of(" \t") == std::string::npos) return shape;  // () : a scalar
  std::size_t pos = 0;
  while (true) {
    const auto comma = inner.find(',', pos);
    std::string item =
        inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) {
      if (comma == std::string::npos && pos > 0) break;  // after the trailing comma of (n,)
      throw bad();
    }
    if (item.size() > 1 && item.back() == 'L') item.pop_back();
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {  // not a number, or out of range
      throw bad();
    }
    if (used != item.size() || v < 0) throw bad();
    shape.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return shape;
}

// Bytes the data of `shape` takes, or nullopt when the count does not fit in 63 bits (a header
// such as (2**40, 2**40) must be refused before anything is allocated from it).
std::optional<std::uint64_t> data_bytes(const Shape& shape, std::size_t element_size) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t bytes = element_size;
  for (const auto d : shape) {
    const auto dim = static_cast<std::uint64_t>(d);
    if (dim != 0 && bytes > kMax / dim) return std::nullopt;
    bytes *= dim;
  }
  return bytes;
}

}  // namespace

Tensor read_npy(const std::filesystem::path& path) {
  // Not a FIFO (would block), directory or link loop; the size bounds every length read below.
  const std::uintmax_t file_bytes = input_file_size(path, ".npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, path.string() + ": cannot open for reading (permissions?)");
  std::array<char, 8> preamble{};
  if (!in.read(preamble.data(), preamble.size()) ||
      !std::equal(kMagic.begin(), kMagic.end(), preamble.begin())) {
    throw npy_error(path, "missing the \\x93NUMPY magic");
  }
  const int major = static_cast<unsigned char>(preamble[6]);
  std::uint32_t header_len = 0;
  if (major == 1) {
    std::array<unsigned char, 2> b{};
    in.read(reinterpret_cast<char*>(b.data()), 2);
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    std::array<unsigned char, 4> b{};
    in.read(reinterpret_cast<char*>(b.data()), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  } else {
    throw npy_error(path, "unsupported format version " + std::to_string(major));
  }
  if (!in) throw npy_error(path, "truncated header length");
  const std::uintmax_t header_start = static_cast<std::uintmax_t>(in.tellg());
  if (header_len > file_bytes - header_start) {
    throw npy_error(path, "truncated header: its length " + std::to_string(header_len) +
                              " runs past the end of the " + std::to_string(file_bytes) +
                              "-byte file (save it again with numpy.save)");
  }
  if (header_len > (1U << 20)) throw npy_error(path, "oversized header (over 1 MiB)");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw npy_error(path, "truncated header");

  std::string descr = dict_value(header, "descr", path);
  descr = descr.substr(1, descr.size() - 2);
  if (dict_value(header, "fortran_order", path) != "False") {
    throw npy_error(path, "Fortran order is not supported; save with np.ascontiguousarray");
  }
  const std::string shape_text = dict_value(header, "shape", path);
  if (shape_text.front() != '(') throw npy_error(path, "bad shape " + shape_text);
  const Shape shape = parse_shape(shape_text, path);

  const DescrRow* row = nullptr;
  for (const auto& r : kDescrs) {
    if (r.descr == descr) row = &r;
  }
  if (row == nullptr) {
    throw npy_error(
        path, "dtype '" + descr +
                  "' unsupported (float32, float16, bfloat16, float64, int64, int32, int8, uint8, "
                  "bool, little-endian)");
  }
  // The header's claim is checked against the file before allocating anything from it.
  const auto needed = data_bytes(shape, dtype_size(row->dtype));
  if (!needed) {
    throw npy_error(path, "shape " + shape_text + " has more elements than 64-bit sizes can count");
  }
  const std::uintmax_t held = file_bytes - header_start - header_len;
  if (*needed > held) {
    throw npy_error(path, "truncated data: shape " + to_string(shape) + " needs " +
                              std::to_string(*needed) + " bytes, the file holds " +
                              std::to_string(held) + " after the header");
  }
  if (*needed < held) {
    throw npy_error(path, "trailing bytes after the data of shape " + to_string(shape));
  }
  Tensor tensor(row->dtype, shape);
  if (!in.read(reinterpret_cast<char*>(tensor.data()),
               static_cast<std::streamsize>(tensor.byte_size()))) {
    throw Error(ErrorKind::io, path.string() + ": read failed (file changed while reading?)");
  }
  return tensor;
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  std::string descr;
  for (const auto& r : kDescrs) {
    if (r.dtype == tensor.dtype()) {
      descr = std::string(r.descr);
      break;
    }
  }
  // Python tuple syntax: (), (n,), (a, b, c).
  std::string shape = "(";
  for (std::size_t i = 0; i < tensor.shape().size(); ++i) {
    shape += (i > 0 ? ", " : "") + std::to_string(tensor.shape()[i]);
  }
  shape += tensor.shape().size() == 1 ? ",)" : ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic + version + length + header is a multiple of 64, ending in '\n'.
  const std::size_t unpadded = kMagic.size() + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';

  write_file_atomically(path, [&](std::ostream& out) {
    out.write(kMagic.data(), kMagic.size());
    const std::array<char, 4> version_len{1, 0, static_cast<char>(header.size() & 0xFF),
                                          static_cast<char>(header.size() >> 8)};
    out.write(version_len.data(), version_len.size());
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(tensor.data()),
              static_cast<std::streamsize>(tensor.byte_size()));
  });
}

}  // namespace infbench
