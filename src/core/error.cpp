#include "infbench/error.hpp"

namespace infbench {

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  std::string line = end == std::string::npos ? text : text.substr(0, end);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace infbench
