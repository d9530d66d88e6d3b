#include "search.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <map>
#include <set>

#include "core/json_text.hpp"
#include "infbench/environment.hpp"
#include "infbench/error.hpp"
#include "infbench/registry.hpp"
#include "store/database.hpp"
#include "sweep/plan.hpp"
#include "sweep/sweep.hpp"

namespace infbench::tune {
namespace {

using Clock = std::chrono::steady_clock;

void on_interrupt(int) { request_sweep_interrupt(); }

Rung make_rung(int index, const TuneRequest& r) {
  Rung g;
  g.index = index;
  g.min_duration_s = r.short_s * std::pow(3.0, index);
  g.repeat = index == 0 ? 1 : 3;
  g.min_queries = index == 0 ? 3 : 10;
  g.warmup_s = r.warmup_s;
  // The idle baseline costs a second per trial; only the energy objective needs it.
  g.idle_power_s = r.objective.kind == Objective::Kind::energy ? 1 : 0;
  return g;
}

// Stores what a trial's worker process reports. When the load group was given less time than its
// own timeout because the budget was ending, a timeout is the budget's doing, not the trial's: its
// points are not stored, so that --resume with more budget runs them.
class TuneSink final : public GroupSink {
 public:
  TuneSink(ResultStore& store, std::int64_t run) : store_(store), run_(run), host_(host_name()) {}
  bool budget_limited = false;
  std::size_t stored = 0, dropped = 0;
  int rung = 0;

  void phase(const PlanPoint&, const std::string&) override {}
  void result(const PlanPoint& point, const RunResult& result) override {
    const auto& r = result.record;
    if (budget_limited && r.status != "ok" && r.error.rfind("timeout", 0) == 0) {
      ++dropped;
      fmt::print(stderr, "tune: rung {}  {}: cut by the time budget (not stored)\n", rung,
                 point.label());
      return;
    }
    auto identity = identity_of(point);
    identity.host = host_;
    identity.device_used = describe_placement(point.params.device);
    store_.add_point(run_, identity, result);
    ++stored;
    if (r.status == "ok")
      fmt::print(stderr, "tune: rung {}  {}: {:.1f} samples/s\n", rung, point.label(),
                 r.throughput_samples_per_s);
    else
      fmt::print(stderr, "tune: rung {}  {}: failed ({}): {}\n", rung, point.label(), r.error_phase,
                 r.error);
  }

 private:
  ResultStore& store_;
  std::int64_t run_;
  std::string host_;
};

class Search {
 public:
  Search(const TuneRequest& request, TuneOutcome& outcome, ResultStore& store,
         Clock::time_point start)
      : request_(request),
        out_(outcome),
        store_(store),
        sink_(store, outcome.run),
        start_(start),
        log_(request.db.string() + ".worker.log") {
    reload();
    for (const auto& entry : trials_) stored_before_.insert(entry.first);
  }

  void search() {
    const auto& combos = out_.space.combos;
    const Rung first = out_.rungs[0];
    // Probes: the smallest batch of each framework x precision at its default settings.
    for (std::size_t ci = 0; ci < combos.size() && !stop(); ++ci) {
      if (!combos[ci].is_default) continue;
      const int batch = combos[ci].batch_sizes.front();
      run(ci, {batch}, first);
      const auto trial = trial_of(ci, batch, 0);
      if (!trial) continue;  // not run: budget
      std::string why;
      if (trial->status != "ok") why = "failed: " + trial->error;
      if (trial->gate_failed()) why = "accuracy gate " + trial->accuracy_gate;
      if (why.empty()) continue;
      const auto key = combos[ci].framework + " " + combos[ci].precision;
      pruned_[key] = why;
      out_.pruned.push_back(fmt::format("{}: probe at batch {} {}", key, batch, why));
    }
    for (std::size_t ci = 0; ci < combos.size() && !stop(); ++ci) {
      if (!is_pruned(ci)) run(ci, combos[ci].batch_sizes, first);
    }
    // The highest rung whose candidates were all measured (a rung the budget cut is not).
    int complete = stop() ? -1 : 0;
    for (std::size_t r = 1; r < out_.rungs.size() && !stop(); ++r) {
      // Ranked by their trials of rung r-1 (not their latest ones), so that a resumed search
      // takes the same path as an uninterrupted one.
      std::vector<std::pair<CandidateResult, Trial>> pool;
      for (const auto& c : candidates()) {
        if (c.excluded.rfind("accuracy gate", 0) == 0) continue;
        const auto t = trial_of(c.combo, c.batch_size, static_cast<int>(r) - 1);
        if (t && infeasible_reason(*t, request_.objective).empty()) pool.emplace_back(c, *t);
      }
      if (pool.empty() || (pool.size() == 1 && r > 1)) break;
      std::stable_sort(pool.begin(), pool.end(), [&](const auto& a, const auto& b) {
        return better(a.second, b.second, request_.objective);
      });
      // The best third goes on; when none of them stays feasible when measured longer (a p99
      // over the bound, a failure), the next third follows, so that a rung is never left empty
      // while candidates remain.
      const std::size_t third = std::max<std::size_t>(1, (pool.size() + 2) / 3);
      for (std::size_t from = 0; from < pool.size() && !stop(); from += third) {
        promote(pool, from, std::min(pool.size(), from + third), out_.rungs[r]);
        if (any_feasible_at(static_cast<int>(r))) break;
      }
      if (!stop()) complete = static_cast<int>(r);
    }
    // The winner comes from the candidates that reached the highest complete rung, each by its
    // longest measurement. Not from the highest rung reached: when the budget cuts a rung, the
    // few candidates measured in it need not include the leaders of the rung below (a leader
    // whose rung was cut still competes with the measurement it has).
    out_.candidates = candidates();
    int top = -1;
    for (const auto& c : out_.candidates) {
      if (c.excluded.empty()) top = std::max(top, c.rung);
    }
    top = std::min(top, std::max(complete, 0));
    for (std::size_t i = 0; i < out_.candidates.size(); ++i) {
      const auto& c = out_.candidates[i];
      if (!c.excluded.empty() || c.rung < top) continue;
      if (!out_.winner ||
          better(*c.latest, *out_.candidates[*out_.winner].latest, request_.objective))
        out_.winner = i;
    }
    out_.elapsed_s = elapsed();
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  bool stop() const { return out_.budget_exhausted || out_.interrupted; }
  bool is_pruned(std::size_t ci) const {
    const auto& c = out_.space.combos[ci];
    return pruned_.contains(c.framework + " " + c.precision);
  }

  // Runs pool[from, to) at `rung`, leaders first: configurations in the order of their best
  // candidate, and within one the batch sizes in rank order (where each batch size is a load
  // group of its own, e.g. XLA's one file per batch, that is the order they run in; a budget
  // that ends the rung then leaves out the weakest, not the largest batch sizes).
  void promote(const std::vector<std::pair<CandidateResult, Trial>>& pool, std::size_t from,
               std::size_t to, const Rung& rung) {
    std::vector<std::size_t> order;
    std::map<std::size_t, std::vector<int>> batches;
    for (std::size_t i = from; i < to; ++i) {
      const auto& c = pool[i].first;
      if (!batches.contains(c.combo)) order.push_back(c.combo);
      batches[c.combo].push_back(c.batch_size);
    }
    for (const auto ci : order) {
      if (stop()) break;
      run(ci, batches[ci], rung);
    }
  }

  bool any_feasible_at(int rung) const {
    for (const auto& c : candidates()) {
      if (c.rung == rung && c.excluded.empty()) return true;
    }
    return false;
  }

  void reload() {
    for (const auto& row : store_.point_rows(out_.run)) {
      auto trial = trial_from_row(row, request_.space.device);
      const auto id = trial.point_id;
      trials_[id] = std::move(trial);
    }
  }

  std::optional<Trial> trial_of(std::size_t ci, int batch, int rung) const {
    const auto ids = ids_.find({ci, batch});
    if (ids == ids_.end()) return std::nullopt;
    const auto id = ids->second.find(rung);
    if (id == ids->second.end()) return std::nullopt;
    const auto t = trials_.find(id->second);
    return t == trials_.end() ? std::nullopt : std::optional<Trial>(t->second);
  }

  // Seconds a group is expected to take: its configuration's load time when one was measured
  // (otherwise 1 s on the CPU, 10 s on a GPU, where loads compile), plus each point's phases.
  double estimate(std::size_t ci, const std::vector<PlanPoint>& todo, const Rung& rung) const {
    double load = request_.space.device >= 0 ? 10 : 1;
    if (const auto it = load_s_.find(ci); it != load_s_.end()) load = it->second;
    double total = load + 0.2;
    for (std::size_t i = 0; i < todo.size(); ++i)
      total += rung.warmup_s + rung.min_duration_s * rung.repeat + rung.idle_power_s + 0.05;
    return total;
  }

  void run(std::size_t ci, const std::vector<int>& batches, const Rung& rung) {
    const auto& combo = out_.space.combos[ci];
    for (const auto& group : trial_groups(out_.context, combo, batches, rung)) {
      std::vector<PlanPoint> todo;
      for (const auto& p : group.points) {
        ids_[{ci, p.params.batch_size}][rung.index] = p.id;
        if (!trials_.contains(p.id))
          todo.push_back(p);
        else if (stored_before_.contains(p.id) && counted_.insert(p.id).second)
          ++out_.trials_reused;
      }
      if (todo.empty()) continue;
      if (stop()) return;
      const double remaining = request_.budget_s - elapsed();
      if (estimate(ci, todo, rung) > remaining) {
        out_.budget_exhausted = true;
        out_.trials_not_run_budget += todo.size();
        return;
      }
      sink_.budget_limited = remaining < request_.trial_timeout_s;
      sink_.rung = rung.index;
      sink_.stored = sink_.dropped = 0;
      const double timeout = std::min(request_.trial_timeout_s, remaining);
      // A trial that runs away fails as "out of memory" like a sweep point (plan.hpp's default).
      if (!run_load_group(todo, GroupLimits{timeout, default_memory_limit_mib()}, log_, sink_)) {
        out_.interrupted = true;
        return;
      }
      out_.trials_run += sink_.stored;
      out_.trials_not_run_budget += sink_.dropped;
      if (sink_.dropped > 0) out_.budget_exhausted = true;
      reload();
      for (const auto& p : todo) {
        const auto t = trials_.find(p.id);
        if (t != trials_.end() && t->second.load_time_s) load_s_[ci] = *t->second.load_time_s;
      }
    }
  }

  std::vector<CandidateResult> candidates() const {
    std::vector<CandidateResult> out;
    const auto& combos = out_.space.combos;
    for (std::size_t ci = 0; ci < combos.size(); ++ci) {
      for (const int batch : combos[ci].batch_sizes) {
        CandidateResult c{ci, batch, -1, std::nullopt, ""};
        std::string gate;
        for (int r = 0; r < static_cast<int>(out_.rungs.size()); ++r) {
          const auto t = trial_of(ci, batch, r);
          if (!t) continue;
          c.rung = r;
          c.latest = t;
          if (t->gate_failed()) gate = "accuracy gate " + t->accuracy_gate;
        }
        if (!c.latest) {
          const auto p = pruned_.find(combos[ci].framework + " " + combos[ci].precision);
          c.excluded = p != pruned_.end() ? "pruned (" + p->second + ")" : "not measured";
        } else {
          c.excluded = gate.empty() ? infeasible_reason(*c.latest, request_.objective) : gate;
        }
        out.push_back(std::move(c));
      }
    }
    return out;
  }

  const TuneRequest& request_;
  TuneOutcome& out_;
  ResultStore& store_;
  TuneSink sink_;
  Clock::time_point start_;
  std::filesystem::path log_;
  std::map<std::string, Trial> trials_;
  std::set<std::string> stored_before_, counted_;
  std::map<std::pair<std::size_t, int>, std::map<int, std::string>> ids_;
  std::map<std::size_t, double> load_s_;
  std::map<std::string, std::string> pruned_;  // "framework precision" -> why
};

std::string describe_request(const TuneRequest& r, const Space& space) {
  nlohmann::ordered_json j;
  j["command"] = "infbench tune";
  j["model"] = r.space.model;
  j["device"] = r.space.device;
  j["objective"] = r.objective.label();
  j["budget_s"] = r.budget_s;
  j["short_s"] = r.short_s;
  j["rungs"] = r.rungs;
  for (const auto& c : space.combos) j["configurations"].push_back(c.label());
  return json_text(j, 2);
}

}  // namespace

TuneOutcome run_tune(const TuneRequest& request) {
  const auto start = Clock::now();  // the budget counts everything from here
  TuneOutcome out;
  out.space = build_space(request.space);
  const int device = request.space.device;
  out.label = "tune-" + request.space.model + "-" +
              (device >= 0 ? "gpu" + std::to_string(device) : std::string("cpu")) + "-" +
              request.objective.label();
  out.context = {out.label, request.space.model,     request.space.models_dir,
                 device,    request.trial_timeout_s, request.db.string() + ".cache"};
  for (int r = 0; r < std::max(1, request.rungs); ++r) out.rungs.push_back(make_rung(r, request));

  ResultStore store(request.db);
  const auto environment = collect_environment(framework_versions());
  if (request.resume) {
    const auto last = store.latest_run(out.label);
    if (!last)
      throw Error(ErrorKind::not_found, request.db.string() + ": no earlier run '" + out.label +
                                            "' to resume; run without --resume");
    out.run = *last;
  } else {
    out.run = store.begin_run(out.label, "(infbench tune)", describe_request(request, out.space),
                              environment);
  }
  store.add_host(out.run, environment);
  fmt::print(stderr, "tune '{}': run {} in {}, {} configurations, {} candidates, budget {:g} s\n",
             out.label, out.run, request.db.string(), out.space.combos.size(),
             out.space.candidate_count(), request.budget_s);
  auto previous = std::signal(SIGINT, on_interrupt);
  Search(request, out, store, start).search();
  std::signal(SIGINT, previous);
  store.end_run(out.run, out.interrupted ? "interrupted" : "complete");
  return out;
}

}  // namespace infbench::tune
