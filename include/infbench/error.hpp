#pragma once
// One error type for the whole library. Adapters translate framework exceptions into it at their
// boundary; only the CLI's main() maps it to an exit code.
#include <stdexcept>
#include <string>

namespace infbench {

enum class ErrorKind {
  invalid_argument,  // a setting, option or input that cannot be used (user can fix it)
  not_found,         // a file, framework, model input or device that does not exist
  unsupported,       // valid request that this build / machine / framework cannot honour
  io,                // reading or writing a file failed
  framework,         // the framework itself failed (load, optimise, run)
  interrupted,       // the user stopped the run (Ctrl-C)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// First line of a framework message: libraries such as LibTorch append multi-line C++ backtraces.
std::string first_line(const std::string& text);

}  // namespace infbench
