#!/usr/bin/env python3
"""Per model and batch size of a sweep database's first run: each framework at its fastest setting
(offline throughput), the winner and its margin, among the points that do not fail their accuracy
gate (docs/metrics.md "Accuracy"; those are listed below the table). Usage: tools/winners_table.py DB"""
import json
import sqlite3
import sys


def main():
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    run = db.execute("select min(run_id) from runs").fetchone()[0]
    # Databases written before the accuracy fields have no m_accuracy_gate: nothing was gated.
    columns = {row[1] for row in db.execute("pragma table_info(metrics)")}
    gate = "m.m_accuracy_gate" if "m_accuracy_gate" in columns else "''"
    best, excluded = {}, []
    for model, fw, req, b, t, stable, verdict in db.execute(
            "select p.model, p.framework, p.requested_json, p.batch_size, m.m_throughput_samples_per_s, "
            f"m.m_stable, coalesce({gate}, '') from points p join metrics m using(run_id, point_id) "
            "where p.run_id=? and p.status='ok'", (run,)):
        opts = json.loads(req)["params"].get("options", {})
        name = fw + "".join(f" {k}={v}" for k, v in sorted(opts.items()))
        if verdict.startswith("fail"):
            excluded.append(f"{model} b{b} {name}: {verdict}")
            continue
        key = (model, b)
        if t > best.setdefault(key, {}).get(fw, (0,))[0]:
            best[key][fw] = (t, name, stable)
    print("| model | batch | winner (samples/s) | × next | × slowest | all frameworks at their best setting |")
    print("|---|---|---|---|---|---|")
    for (model, b), fws in sorted(best.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        ranked = sorted(fws.values(), reverse=True)
        top, last = ranked[0], ranked[-1]
        everyone = ", ".join(f"{n.split()[0]} {t:.2f}" for t, n, _ in ranked)
        if len(ranked) < 2:  # the others failed their gate or did not run
            print(f"| {model} | {b} | {top[1]}: {top[0]:.2f} | (only one framework) | | {everyone} |")
            continue
        nxt = ranked[1]
        print(f"| {model} | {b} | {top[1]}: {top[0]:.2f} | {top[0] / nxt[0]:.2f}× ({nxt[1].split()[0]}) "
              f"| {top[0] / last[0]:.2f}× ({last[1].split()[0]}) | {everyone} |")
    if excluded:
        print(f"\nLeft out: {len(excluded)} point(s) outside their precision's accuracy gate "
              "(marked FAIL):")
        for line in excluded:
            print(f"- FAIL {line}")


if __name__ == "__main__":
    main()
