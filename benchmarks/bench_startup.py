"""How long the sample takes end to end, as a whole process, against `import pandas, pyarrow`.

    python benchmarks/bench_startup.py              # 10 runs of each, interleaved
    python benchmarks/bench_startup.py --runs 20 --importtime

Each run is a fresh interpreter (`python -m wacost estimate samples/campaign.csv ...`), timed
from the outside like hyperfine does; the runs of the two commands alternate, so both see the
same machine. Prints the best, the median and the mean of each, and their ratio.
`--importtime` also prints the 15 slowest imports of one estimate run (python -X importtime).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ESTIMATE = [
    sys.executable,
    "-m",
    "wacost",
    "estimate",
    "samples/campaign.csv",
    "--templates",
    "samples/templates.json",
    "--date",
    "2026-11-25",
    "--format",
    "json",
]
IMPORTS = [sys.executable, "-c", "import pandas, pyarrow"]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def slowest_imports(count: int) -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *ESTIMATE[1:]],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if cumulative.strip().isdigit():
            rows.append((int(cumulative), name.rstrip()))
    top = [(us, name) for us, name in rows if not name.startswith("    ")]
    print(f"slowest top-level imports of one estimate run ({len(rows)} modules):")
    for us, name in sorted(top, reverse=True)[:count]:
        print(f"  {us / 1000:7.1f} ms {name.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    timed(ESTIMATE), timed(IMPORTS)  # warm the page cache and .pyc files
    estimate, imports = [], []
    for _ in range(args.runs):
        estimate.append(timed(ESTIMATE))
        imports.append(timed(IMPORTS))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.runs} runs each, interleaved; load average {load:.2f}, {os.cpu_count()} CPUs")
    for name, times in (
        ("wacost estimate (sample)", estimate),
        ("import pandas, pyarrow", imports),
    ):
        print(
            f"  {name:26} best {min(times):.3f} s  median {statistics.median(times):.3f} s  "
            f"mean {statistics.mean(times):.3f} s"
        )
    print(
        f"  ratio estimate/imports: best {min(estimate) / min(imports):.2f}x, "
        f"median {statistics.median(estimate) / statistics.median(imports):.2f}x"
    )
    if args.importtime:
        slowest_imports(15)


if __name__ == "__main__":
    main()
