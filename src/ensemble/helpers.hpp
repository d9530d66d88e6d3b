#pragma once
// The ensemble engine's helpers (not part of the public API, infbench/ensemble.hpp): where a
// member's file is, which device members share, how outputs combine and how threads are shared.
// Used by src/ensemble and its tests.
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "infbench/ensemble.hpp"
#include "infbench/tensor.hpp"

namespace infbench {

// The file a member loads at this batch size ("{batch}" in its path replaced).
std::filesystem::path member_model(const MemberSpec& member, int batch_size);

// The GPU every member runs on, or -1 when a member runs on the CPU or members use different
// devices. A study measures the whole ensemble on that device, so that its power, energy and GPU
// memory come from that GPU's probe (NVML) rather than from none.
int shared_member_device(const EnsembleSpec& spec);

// The combination rules, on members' [N, C] outputs (float32). Each member's output is turned into
// probabilities first (softmax over C unless `probabilities[i]`). mean_softmax and weighted_mean
// return the (weighted) mean probability; majority_vote returns each class's share of the
// (weighted) votes, a member voting for its arg-max (the first one on ties).
Tensor combine_outputs(CombineRule rule, std::span<const TensorView> outputs,
                       std::span<const double> weights, const std::vector<bool>& probabilities);
// Row-wise arg-max of an [N, C] float32 tensor (first index on ties).
std::vector<std::int64_t> argmax_rows(const TensorView& scores);

// Threads each member gets: its own `threads` when set, else the whole budget (sequential) or an
// even share of it (other modes; at least 1 each, the remainder to the first members).
std::vector<int> member_thread_budget(const EnsembleSpec& spec, EnsembleMode mode,
                                      int total_threads);

}  // namespace infbench
