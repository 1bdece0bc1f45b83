"""Time what a `wacost` run pays for the classifier: import, load the model, classify templates.

Usage:
    PYTHONPATH=src python scripts/classifier_benchmark.py [TEMPLATES.json] [--runs N]

Each run is a fresh interpreter (so nothing is cached) that imports wacost.classify, loads
the shipped model and classifies every template of the file (default: the 9 language
versions of the 5 sample templates in samples/templates.json). Prints the median and the
worst of the runs; the target is under 50 ms. Interpreter start-up is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, sys, time
started, cpu = time.perf_counter(), time.process_time()
from wacost.classify import classify_templates
data = json.load(open(sys.argv[1], encoding="utf-8"))
templates = data["data"] if isinstance(data, dict) else data
results = classify_templates(templates)
wall = (time.perf_counter() - started) * 1000
print(f"{wall:.2f} {(time.process_time() - cpu) * 1000:.2f} {len(results)}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("templates", nargs="?", default=ROOT / "samples" / "templates.json")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    times: list[float] = []
    cpus: list[float] = []
    count = 0
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.templates)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(ROOT / "src")},
        ).stdout.split()
        times.append(float(out[0]))
        cpus.append(float(out[1]))
        count = int(out[2])
    print(
        f"import + load + classify {count} templates: median {statistics.median(times):.1f} ms, "
        f"worst {max(times):.1f} ms over {args.runs} fresh runs "
        f"(CPU time: median {statistics.median(cpus):.1f} ms; a busy machine inflates wall time)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
