"""Measurement-engine checks against the fake backend, whose costs are known exactly.

1. Pipeline overlap: a preparation stage (busy --prep-us-per-sample) costing about as much as
   inference (the fake backend's delay). Overlapped throughput must be >= 0.9 x the slower stage
   alone, and above the non-overlapped run.
2. Timing truth: single-stream against a fixed 5 ms delay: reported p50 within 3 % of 5 ms.
   Server at a set QPS: realised arrival rate and completion rate within 2 % of the target, and
   exponential gaps (coefficient of variation ~1).

Usage: /usr/bin/python3 bench/engine_checks.py [--seconds 10] [--out results/engine_checks_cpu.md]
All runs are side by side in this one invocation.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "build" / "infbench"


def bench(*args):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [str(BINARY), "bench", "--framework", "fake", "--model", "fake", "--idle-power-s", "0",
               "--json", out.name, *map(str, args)]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(Path(out.name).read_text())["record"], " ".join(cmd[1:]).replace(out.name, "OUT")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--out", default=str(ROOT / "results" / "engine_checks_cpu.md"))
    args = ap.parse_args()
    s = args.seconds
    lines = ["# Measurement-engine checks (fake backend)", "",
             f"Command: `/usr/bin/python3 bench/engine_checks.py --seconds {s}`", ""]
    ok = True

    # 1. Pipeline overlap: batch 8, inference 20 ms per batch, preparation 2.5 ms x 8 = 20 ms.
    common = ["--scenario", "offline", "--batch-size", 8, "--set", "features=150528",
              "--min-duration-s", s, "--warmup-s", 0.5]
    compute_only, _ = bench(*common, "--set", "delay_ms=20")
    prep_only, _ = bench(*common, "--prep-us-per-sample", 2500)
    overlapped, cmd_o = bench(*common, "--set", "delay_ms=20", "--prep-us-per-sample", 2500)
    serial, cmd_s = bench(*common, "--set", "delay_ms=20", "--prep-us-per-sample", 2500, "--no-overlap")
    slower = min(compute_only["throughput_samples_per_s"], prep_only["throughput_samples_per_s"])
    ratio = overlapped["throughput_samples_per_s"] / slower
    gain = overlapped["throughput_samples_per_s"] / serial["throughput_samples_per_s"]
    ok &= ratio >= 0.9 and gain > 1.05
    lines += ["## Pipeline overlap (batch 8 of 150528 floats, 20 ms inference, 20 ms preparation)", "",
              "| run | samples/s |", "|---|---|",
              f"| inference alone | {compute_only['throughput_samples_per_s']:.2f} |",
              f"| preparation alone | {prep_only['throughput_samples_per_s']:.2f} |",
              f"| both, overlapped | {overlapped['throughput_samples_per_s']:.2f} |",
              f"| both, --no-overlap | {serial['throughput_samples_per_s']:.2f} |", "",
              f"Overlapped / slower stage alone = **{ratio:.3f}** (target >= 0.9); overlapped / serial = "
              f"**{gain:.3f}** (ideal 2.0).", "", f"`{cmd_o}`", ""]

    # 2a. Single-stream p50 against a fixed 5 ms delay.
    single, cmd = bench("--scenario", "single-stream", "--set", "delay_ms=5", "--min-duration-s", s,
                        "--warmup-s", 0.5)
    err = single["latency_p50_ms"] / 5.0 - 1
    ok &= abs(err) <= 0.03
    lines += ["## Timing truth", "",
              f"Single-stream, fake delay 5 ms: p50 **{single['latency_p50_ms']:.4f} ms** "
              f"({100 * err:+.2f} %, target within 3 %), p99 {single['latency_p99_ms']:.4f} ms, "
              f"{single['queries_completed']} queries.", "", f"`{cmd}`", ""]

    # 2b. Server at a set rate (fast backend, so the rate is not limited by service).
    qps = 400
    server, cmd = bench("--scenario", "server", "--target-qps", qps, "--batch-size", 4, "--set",
                        "delay_ms=1", "--min-duration-s", 3 * s, "--warmup-s", 0.5)
    issued_err = server["issued_qps"] / qps - 1
    done_err = server["queries_per_s"] / qps - 1
    ok &= abs(issued_err) <= 0.02 and abs(done_err) <= 0.02 and abs(server["arrival_gap_cv"] - 1) <= 0.05
    lines += [f"Server at {qps} QPS for {3 * s:.0f} s ({server['queries_completed']} queries): issued "
              f"**{server['issued_qps']:.2f} QPS** ({100 * issued_err:+.2f} %), completed "
              f"**{server['queries_per_s']:.2f} QPS** ({100 * done_err:+.2f} %), inter-arrival gap CV "
              f"**{server['arrival_gap_cv']:.3f}** (exponential: 1), p99 {server['latency_p99_ms']:.3f} ms, "
              f"verdict {server['server_verdict']}.", "", f"`{cmd}`", "",
              f"All targets met: **{'yes' if ok else 'NO'}**"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
