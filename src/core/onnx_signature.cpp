// A minimal reader of the protobuf wire format, enough to walk ModelProto.graph's input/output
// ValueInfoProto messages (field numbers from onnx.proto). The file is memory-mapped so that a
// 500 MB model costs no copy: only the small messages we visit are touched.
#include "onnx_signature.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string_view>

namespace infbench {
namespace {

struct Malformed {};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : data_(bytes) {}
  bool done() const { return pos_ >= data_.size(); }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) throw Malformed{};
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw Malformed{};
  }

  // Reads the next field key; the value is then read by bytes()/varint() or skipped by skip().
  std::pair<std::uint32_t, std::uint32_t> key() {
    const auto k = varint();
    return {static_cast<std::uint32_t>(k >> 3), static_cast<std::uint32_t>(k & 7)};
  }

  std::string_view bytes() {
    const auto size = varint();
    if (size > data_.size() - pos_) throw Malformed{};
    const auto out = data_.substr(pos_, size);
    pos_ += size;
    return out;
  }

  void skip(std::uint32_t wire_type) {
    switch (wire_type) {
      case 0: varint(); return;
      case 1: advance(8); return;
      case 2: bytes(); return;
      case 5: advance(4); return;
      default: throw Malformed{};
    }
  }

 private:
  void advance(std::size_t n) {
    if (n > data_.size() - pos_) throw Malformed{};
    pos_ += n;
  }
  std::string_view data_;
  std::size_t pos_ = 0;
};

// ONNX TensorProto.DataType values we map.
std::optional<DType> onnx_dtype(std::uint64_t type) {
  switch (type) {
    case 1: return DType::float32;
    case 2: return DType::uint8;
    case 6: return DType::int32;
    case 7: return DType::int64;
    case 9: return DType::boolean;
    case 3: return DType::int8;
    case 11: return DType::float64;
    case 10: return DType::float16;
    case 16: return DType::bfloat16;
    default: return std::nullopt;
  }
}

Shape read_shape(std::string_view shape_bytes) {
  Shape shape;
  Reader shape_reader(shape_bytes);
  while (!shape_reader.done()) {
    const auto [field, wire] = shape_reader.key();
    if (field != 1 || wire != 2) {
      shape_reader.skip(wire);
      continue;
    }
    std::int64_t dim = -1;  // dim_param (symbolic) or absent: dynamic
    Reader dim_reader(shape_reader.bytes());
    while (!dim_reader.done()) {
      const auto [dfield, dwire] = dim_reader.key();
      if (dfield == 1 && dwire == 0) {
        dim = static_cast<std::int64_t>(dim_reader.varint());
      } else {
        dim_reader.skip(dwire);
      }
    }
    shape.push_back(dim > 0 ? dim : -1);
  }
  return shape;
}

TensorSpec read_value_info(std::string_view message) {
  TensorSpec spec;
  Reader reader(message);
  while (!reader.done()) {
    const auto [field, wire] = reader.key();
    if (field == 1 && wire == 2) {
      spec.name = std::string(reader.bytes());
    } else if (field == 2 && wire == 2) {  // TypeProto
      Reader type_reader(reader.bytes());
      while (!type_reader.done()) {
        const auto [tfield, twire] = type_reader.key();
        if (tfield != 1 || twire != 2) {  // only tensor_type
          type_reader.skip(twire);
          continue;
        }
        Reader tensor_reader(type_reader.bytes());
        while (!tensor_reader.done()) {
          const auto [f, w] = tensor_reader.key();
          if (f == 1 && w == 0) {
            const auto code = tensor_reader.varint();
            const auto dtype = onnx_dtype(code);
            if (!dtype) {
              throw Error(ErrorKind::unsupported, "tensor '" + spec.name +
                                                      "' has ONNX element type " +
                                                      std::to_string(code) + ", not handled");
            }
            spec.dtype = *dtype;
          } else if (f == 2 && w == 2) {
            spec.shape = read_shape(tensor_reader.bytes());
          } else {
            tensor_reader.skip(w);
          }
        }
      }
    } else {
      reader.skip(wire);
    }
  }
  return spec;
}

std::string initializer_name(std::string_view tensor_proto) {
  Reader reader(tensor_proto);
  while (!reader.done()) {
    const auto [field, wire] = reader.key();
    if (field == 8 && wire == 2) return std::string(reader.bytes());
    reader.skip(wire);
  }
  return {};
}

Signature parse_model(std::string_view model) {
  Reader reader(model);
  std::optional<std::string_view> graph;
  while (!reader.done()) {
    const auto [field, wire] = reader.key();
    if (field == 7 && wire == 2) {
      graph = reader.bytes();
    } else {
      reader.skip(wire);
    }
  }
  if (!graph) throw Malformed{};
  Signature signature;
  std::set<std::string> initializers;
  Reader graph_reader(*graph);
  while (!graph_reader.done()) {
    const auto [field, wire] = graph_reader.key();
    if (wire != 2) {
      graph_reader.skip(wire);
    } else if (field == 5) {
      initializers.insert(initializer_name(graph_reader.bytes()));
    } else if (field == 11) {
      signature.inputs.push_back(read_value_info(graph_reader.bytes()));
    } else if (field == 12) {
      signature.outputs.push_back(read_value_info(graph_reader.bytes()));
    } else {
      graph_reader.skip(wire);
    }
  }
  // Old exporters (IR < 4) list initialisers among the graph inputs: they are not model inputs.
  std::erase_if(signature.inputs,
                [&](const TensorSpec& s) { return initializers.contains(s.name); });
  if (signature.inputs.empty() || signature.outputs.empty()) throw Malformed{};
  return signature;
}

}  // namespace

Signature read_onnx_signature(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::not_found, path.string() + ": cannot open model file");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    throw Error(ErrorKind::invalid_argument, path.string() + ": empty or unreadable model file");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) throw Error(ErrorKind::io, path.string() + ": cannot map model file");
  try {
    auto signature = parse_model(std::string_view(static_cast<const char*>(mapped), size));
    ::munmap(mapped, size);
    return signature;
  } catch (const Malformed&) {
    ::munmap(mapped, size);
    throw Error(ErrorKind::invalid_argument,
                path.string() + ": not a valid ONNX model (protobuf could not be parsed)");
  } catch (...) {
    ::munmap(mapped, size);
    throw;
  }
}

}  // namespace infbench
