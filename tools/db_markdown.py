#!/usr/bin/env python3
"""A results database's latest run as a markdown table (one row per point), so that a results
README quotes its database instead of copying numbers by hand.
Usage: tools/db_markdown.py DB [--run N]   (prints to stdout)"""
import argparse
import json
import sqlite3


def fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}" if isinstance(v, float) else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--run", type=int)
    args = ap.parse_args()
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)  # never modifies the file
    db.row_factory = sqlite3.Row
    run = args.run or db.execute("select max(run_id) from runs").fetchone()[0]
    env = json.loads(db.execute("select environment_json from runs where run_id=?",
                                (run,)).fetchone()[0])
    print(f"Run {run} of `{args.db}`: {env.get('gpu0_name', env.get('cpu_model', '?'))}, "
          f"commit {env.get('git_commit', '?')}\n")
    print("| framework | precision | settings | batch | samples/s | 95% CI | CV | stable | repeats "
          "| p50 ms | load s | throttle mask | status |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = db.execute(
        "select p.*, m.* from points p join metrics m using(run_id, point_id) where p.run_id=? "
        "order by p.model, p.framework, m.m_precision, p.requested_json, p.batch_size", (run,))
    for r in rows:
        options = json.loads(r["requested_json"])["params"].get("options", {})
        settings = " ".join(f"{k}={v}" for k, v in sorted(options.items())) or "-"
        ci = (f"{fmt(r['m_throughput_ci95_low'])}-{fmt(r['m_throughput_ci95_high'])}"
              if r["m_throughput_ci95_low"] is not None else "-")
        stable = {1: "yes", 0: "no", None: "not assessed"}[r["m_stable"]]
        print(f"| {r['framework']} | {r['m_precision']} | {settings} | {r['batch_size']} "
              f"| {fmt(r['m_throughput_samples_per_s'])} | {ci} | {fmt(r['m_throughput_cv'], 4)} "
              f"| {stable} | {r['m_repeats']} | {fmt(r['m_latency_p50_ms'], 2)} "
              f"| {fmt(r['m_load_time_s'], 2)} | {fmt(r['m_gpu_throttle_reasons'])} | {r['status']} |")


if __name__ == "__main__":
    main()
