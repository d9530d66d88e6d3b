#pragma once
// What `infbench tune` prints at the end, and the plan file that reproduces its winner.
#include <cstdio>
#include <string>
#include <vector>

#include "search.hpp"

namespace infbench::tune {

enum class FrontAxis { p99_latency, memory };

// Indices into `candidates` of the non-dominated ones (higher throughput and lower `axis`), by
// descending throughput. Only successful trials that did not fail the accuracy gate count.
std::vector<std::size_t> pareto_front(const std::vector<CandidateResult>& candidates,
                                      FrontAxis axis);

void print_summary(const TuneOutcome& outcome, const Objective& objective, std::FILE* out);

// A plan in the configs format (docs/sweeps.md) with the winner's configuration, batch size and
// the measurement of the rung that chose it: `infbench sweep` gives it the winner's point id.
std::string winner_plan(const TuneOutcome& outcome);

}  // namespace infbench::tune
