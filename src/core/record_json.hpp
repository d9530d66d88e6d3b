#pragma once
// Reporters over the one record definition: JSON (storage) and a readable console summary.
#include <nlohmann/json.hpp>
#include <string>

#include "infbench/record.hpp"

namespace infbench {

// {"schema_version", "record": {every field, null = not measured}, "latencies_ms", "repeats",
//  "peak_search", "environment"}
nlohmann::ordered_json to_json(const RunResult& result);
nlohmann::ordered_json record_to_json(const RunRecord& record);
// The inverse of to_json() (used to pass results between processes); throws on a bad document.
RunResult result_from_json(const nlohmann::json& json);

std::string console_summary(const RunResult& result);

}  // namespace infbench
