"""CPU time of two wacost trees on the same campaign, run side by side (A/B on a shared machine).

    python benchmarks/ab_cpu.py /tmp/main /work/wt-NAME --runs 8
    python benchmarks/ab_cpu.py /tmp/main "MIMALLOC_PURGE_DELAY=1000@/tmp/main"

Each TREE is a checkout (its src/, benchmarks/, pricing/ and samples/; `git archive COMMIT src
benchmarks pricing samples | tar -x -C DIR` makes one), optionally prefixed with environment
settings `K=V,K=V@`. Each run starts one estimate child of each tree at the same moment
(bench_estimate.py's own child, from that tree), so both see the same load; the order alternates.
On a machine shared with other work, wall times swing by 2x from run to run, and CPU time
(user+sys of every thread) by 10%; the CPU ratio of the two children of one pair moves least:
it is printed per pair and as a median. Reports must be identical (the sha256 of each child's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench_estimate import child_result  # this folder, run as a script

HERE = Path(__file__).resolve().parent


def start(tree: str, path: Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    if "@" in tree:
        settings, tree = tree.split("@", 1)
        env.update(item.split("=", 1) for item in settings.split(","))
    root = Path(tree).resolve()
    env["PYTHONPATH"] = str(root / "src")
    bench = root / "benchmarks" / "bench_estimate.py"
    command = [sys.executable, str(bench), "--child", "estimate", str(path), "0", ""]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    path = HERE / "data" / f"campaign_{args.rows}.csv"
    if not path.exists():
        raise SystemExit(f"{path}: make it first (python benchmarks/bench_estimate.py --rows N)")
    runs: dict[str, list[dict[str, object]]] = {args.a: [], args.b: []}
    for i in range(args.runs):
        order = [args.a, args.b] if i % 2 == 0 else [args.b, args.a]
        procs = [start(tree, path) for tree in order]
        for tree, proc in zip(order, procs):
            runs[tree].append(child_result(proc, "a child"))
    same = len({run["sha256"] for tree in runs for run in runs[tree]}) == 1
    print(f"{args.runs} pairs, load {os.getloadavg()[0]:.1f}, reports identical: {same}")
    for tree, results in runs.items():
        cpu = [float(r["cpu"]) for r in results]
        print(
            f"  {tree}: CPU median {statistics.median(cpu):.2f} s "
            f"(system {statistics.median(float(r['sys']) for r in results):.2f} s), "
            f"peak {max(float(r['peak_mib']) for r in results):.0f} MiB; "
            + " ".join(f"{c:.2f}" for c in cpu)
        )
    ratios = [float(b["cpu"]) / float(a["cpu"]) for a, b in zip(runs[args.a], runs[args.b])]
    print(
        f"  CPU of b / a, per pair: median {statistics.median(ratios):.3f} "
        f"(from {min(ratios):.3f} to {max(ratios):.3f})"
    )
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
