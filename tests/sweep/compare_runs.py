#!/usr/bin/env python3
"""Compares the latest run of two sweep databases: the same point ids, and the same row for each
point up to what depends on timing or on where it ran. Every other column is compared, so a column
added later is checked by default. Usage: compare_runs.py A.db B.db [--ignore COLUMN ...]
Prints one line per difference and a summary; exit status 1 when anything differs."""
import re
import sqlite3
import sys

# Measured values (they vary from run to run) and where/when a point ran.
TIMING = re.compile(
    r"^(run_id|finished_at|host|device_used|duration_s|throughput.*|queries_per_s|"
    r"samples_completed|queries_completed|latency_(min|mean|p\d+|max|stddev|cv).*|"
    r"latency_p99_ci95.*|batch_compute_mean_ms|stable|load_(time|read|optimize)_s|load_phases|"
    r"first_inference_s|settle_time_s|host_.*_bytes|idle_power_w|power_mean_w|energy.*|"
    r"issued_qps|arrival_gap_cv)$")


# Warnings that follow from timing (src/core/runner.cpp): how many queries fit, how stable they were.
TIMING_WARNINGS = ("unstable", "stability not assessed", "latency never settled", "target QPS",
                   "no tried QPS", "GPU clocks were throttled")


def comparable(col, value):
    """The value with its timing-dependent part removed (warnings that follow from timing)."""
    if col == "warnings" and value:
        return "; ".join(w for w in value.split("; ") if not w.startswith(TIMING_WARNINGS))
    return value


def rows(path):
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    run = db.execute("select max(run_id) from runs").fetchone()[0]
    query = ("select p.*, m.* from points p join metrics m using(run_id, point_id) "
             "where p.run_id = ?")
    return {r["point_id"]: dict(r) for r in db.execute(query, (run,))}


def main():
    a_path, b_path = sys.argv[1], sys.argv[2]
    ignored = set(sys.argv[sys.argv.index("--ignore") + 1:]) if "--ignore" in sys.argv else set()
    a, b = rows(a_path), rows(b_path)
    problems = []
    if set(a) != set(b):
        problems.append(f"point ids differ: only in A {sorted(set(a) - set(b))}, "
                        f"only in B {sorted(set(b) - set(a))}")
    compared = set()
    for pid in sorted(set(a) & set(b)):
        for key, value in a[pid].items():
            col = key[2:] if key.startswith("m_") else key  # metrics columns are m_<field>
            if TIMING.match(col) or col in ignored:
                continue
            compared.add(key)
            if comparable(col, b[pid].get(key)) != comparable(col, value):
                problems.append(f"{a[pid]['label']}: {key}: {value!r} vs {b[pid].get(key)!r}")
    for p in problems[:20]:
        print("DIFF", p)
    print(f"{len(a)} vs {len(b)} points; {len(compared)} columns compared per point "
          f"(timing and placement columns skipped); {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
