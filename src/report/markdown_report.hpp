#pragma once
// `infbench report --markdown DB`: a results README's tables generated from its database, so that
// a summary cannot contradict the figures it summarises (issue 15).
#include <cstdint>
#include <optional>
#include <string>

#include "store/database.hpp"

namespace infbench {

// One section per run that has points (only `run` when given): a header naming the plan, the
// devices, hosts and commits, then a table of the points (model, framework, precision, settings,
// batch, throughput with its 95 % interval, CV and stability verdict, p99, achieved TFLOP/s, share
// of the measured peak and of the copy bound, accuracy_gate where the database has that column,
// throttle reasons, status).
std::string markdown_report(ResultStore& store, std::optional<std::int64_t> run,
                            const std::string& db_name);

}  // namespace infbench
