#include "summary.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace infbench::tune {
namespace {

bool on_front_eligible(const CandidateResult& c) {
  return c.latest && c.latest->status == "ok" && !c.latest->gate_failed();
}

std::optional<double> axis_value(const Trial& t, FrontAxis axis) {
  return axis == FrontAxis::p99_latency ? t.p99_ms : t.memory_bytes;
}

std::string mib(const std::optional<double>& bytes) {
  return bytes ? fmt::format("{:.0f} MiB", *bytes / (1 << 20)) : "memory not measured";
}

std::string describe(const TuneOutcome& o, const CandidateResult& c) {
  return fmt::format("{} batch {}", o.space.combos[c.combo].label(), c.batch_size);
}

void print_front(const TuneOutcome& o, FrontAxis axis, std::FILE* out) {
  const auto front = pareto_front(o.candidates, axis);
  const char* name = axis == FrontAxis::p99_latency ? "p99 latency" : "memory";
  if (front.empty()) {
    fmt::print(out, "Pareto front, throughput vs {}: no successful trial measured it\n", name);
    return;
  }
  fmt::print(out, "Pareto front, throughput vs {} ({} of {} candidates):\n", name, front.size(),
             o.candidates.size());
  for (const auto i : front) {
    const auto& t = *o.candidates[i].latest;
    const double v = *axis_value(t, axis);
    fmt::print(out, "  {:>12.1f} samples/s  {:>10}  {}\n", t.throughput,
               axis == FrontAxis::p99_latency ? fmt::format("{:.3f} ms", v) : mib(v),
               describe(o, o.candidates[i]));
  }
}

}  // namespace

std::vector<std::size_t> pareto_front(const std::vector<CandidateResult>& candidates,
                                      FrontAxis axis) {
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& a = candidates[i];
    if (!on_front_eligible(a) || !axis_value(*a.latest, axis)) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < candidates.size() && !dominated; ++j) {
      const auto& b = candidates[j];
      if (j == i || !on_front_eligible(b) || !axis_value(*b.latest, axis)) continue;
      const double ta = a.latest->throughput, tb = b.latest->throughput;
      const double va = *axis_value(*a.latest, axis), vb = *axis_value(*b.latest, axis);
      dominated = tb >= ta && vb <= va && (tb > ta || vb < va);
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](std::size_t x, std::size_t y) {
    return candidates[x].latest->throughput > candidates[y].latest->throughput;
  });
  return front;
}

void print_summary(const TuneOutcome& o, const Objective& objective, std::FILE* out) {
  fmt::print(out,
             "tune {}: {} trials run, {} reused from the database, {} not run (budget), {:.1f} s\n",
             o.label, o.trials_run, o.trials_reused, o.trials_not_run_budget, o.elapsed_s);
  for (const auto& p : o.pruned) fmt::print(out, "pruned: {}\n", p);
  std::size_t gate_failures = 0;
  for (const auto& c : o.candidates)
    gate_failures += c.excluded.rfind("accuracy gate", 0) == 0 ? 1 : 0;
  if (gate_failures > 0)
    fmt::print(out, "excluded: {} candidates failed the accuracy gate\n", gate_failures);
  if (o.budget_exhausted)
    fmt::print(out, "budget reached: continue with --resume and a larger --budget-s\n");
  if (o.interrupted) fmt::print(out, "interrupted: stored trials are kept (--resume)\n");
  if (!o.winner) {
    fmt::print(out, "best: none of the {} candidates met the objective {}\n", o.candidates.size(),
               objective.label());
    return;
  }
  const auto& w = o.candidates[*o.winner];
  const auto& t = *w.latest;
  const auto& rung = o.rungs[static_cast<std::size_t>(w.rung)];
  fmt::print(out, "best ({}): {}: {}, p99 {}, {}\n", objective.label(), describe(o, w),
             objective_value(t, objective),
             t.p99_ms ? fmt::format("{:.3f} ms", *t.p99_ms) : std::string("-"),
             mib(t.memory_bytes));
  fmt::print(out, "  measured at rung {} ({} x {:g} s), point {} in run {}\n", w.rung, rung.repeat,
             rung.min_duration_s, t.point_id, o.run);
  print_front(o, FrontAxis::p99_latency, out);
  print_front(o, FrontAxis::memory, out);
  if (t.peak_compute_share) {
    fmt::print(out, "roofline: {}{:.1f} % of the device's peak compute; gap {:.1f} %\n",
               t.achieved_tflops ? fmt::format("{:.1f} TFLOP/s = ", *t.achieved_tflops) : "",
               *t.peak_compute_share * 100, (1 - *t.peak_compute_share) * 100);
  } else {
    fmt::print(out, "roofline: not measured (no peak_compute_share in this database)\n");
  }
}

std::string winner_plan(const TuneOutcome& o) {
  const auto& w = o.candidates.at(o.winner.value());
  auto context = o.context;
  context.name = "tune-winner-" + o.label.substr(5);
  return "# Written by `infbench tune`: the winner of run " + std::to_string(o.run) + " (" +
         o.label + "). `infbench sweep` on this plan measures the same point.\n" +
         plan_yaml(context, o.space.combos[w.combo], {w.batch_size},
                   o.rungs[static_cast<std::size_t>(w.rung)]);
}

}  // namespace infbench::tune
