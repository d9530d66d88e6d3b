#pragma once
// JSON text for every document infbench writes or sends between its processes.
#include <string>

namespace infbench {

// Invalid UTF-8 in a string (a path given in another encoding, a framework's message) becomes
// U+FFFD instead of nlohmann's type_error 316, which would end the command after its work was done
// (a finished ensemble study, a sweep group) with "unexpected error" and lose what it measured.
template <class Json>
std::string json_text(const Json& json, int indent = -1) {
  return json.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace infbench
