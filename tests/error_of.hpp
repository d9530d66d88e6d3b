#pragma once
// The message of the infbench::Error an action throws, or "(no error)": tests of error messages
// assert on what the user reads.
#include <functional>
#include <string>

#include "infbench/error.hpp"

namespace infbench::test_support {

inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace infbench::test_support
