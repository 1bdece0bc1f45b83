"""Benchmark `wacost estimate` on a generated campaign against pyarrow parsing the same file.

    python benchmarks/bench_estimate.py                    # 10,000,000 rows
    python benchmarks/bench_estimate.py --rows 30000000 --no-parse
    python benchmarks/bench_estimate.py --rows 1000000 --check

The campaign (columns phone,template; a realistic mix of countries and number styles, five
templates, about 1% duplicate recipients and 0.5% numbers that cannot be real) is generated
once, deterministically, and cached under benchmarks/data/ (gitignored). Each measurement runs
in its own child process, so "peak" is that child's maximum resident set size (ru_maxrss), and
"time" is measured inside the child around the work alone (imports and interpreter start are
excluded from both sides; the wall time of each child is shown too, and its CPU time, user and
system, of all its threads: on a machine shared with other work, the figure that moves least).

pyarrow's parse is `pyarrow.csv.read_csv(path)` with default options (multithreaded) and every
column read as a string: the floor any CSV-based estimate can reach. The ratio is
estimate time / parse time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ROOT = HERE.parent
TEMPLATES = ROOT / "samples" / "templates.json"
DATE = "2026-11-25"

# (region, share of recipients): roughly where WhatsApp Business campaigns go.
COUNTRIES = [
    ("IN", 0.30),
    ("BR", 0.12),
    ("ID", 0.10),
    ("MX", 0.07),
    ("US", 0.05),
    ("NG", 0.04),
    ("DE", 0.04),
    ("GB", 0.03),
    ("IT", 0.03),
    ("ES", 0.03),
    ("TR", 0.03),
    ("CO", 0.025),
    ("AR", 0.02),
    ("EG", 0.02),
    ("ZA", 0.02),
    ("SA", 0.015),
    ("PK", 0.015),
    ("RU", 0.01),
    ("KZ", 0.005),
    ("FR", 0.01),
    ("CA", 0.01),
    ("PR", 0.005),
    ("AE", 0.01),
    ("KE", 0.01),
]
TEMPLATE_MIX = [
    ("spring_sale", 0.45),
    ("order_shipped", 0.25),
    ("login_code", 0.15),
    ("cart_reminder", 0.10),
    ("appointment_reminder", 0.05),
]
CHUNK = 1_000_000


def generate(rows: int, path: Path, seed: int = 4) -> None:
    """Write a deterministic campaign of `rows` rows to `path` (via a temporary file)."""
    import numpy as np
    import phonenumbers
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    heads: list[str] = []  # "+<code><leading national digits>", the rest is random
    tails: list[int] = []  # how many random digits follow the head
    weights: list[float] = []
    for region, share in COUNTRIES:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        national = str(example.national_number)
        keep = max(2, len(national) - 7)
        heads.append(f"+{example.country_code}{national[:keep]}")
        tails.append(len(national) - keep)
        weights.append(share)
    p = np.array(weights) / sum(weights)
    names = pa.array([n for n, _ in TEMPLATE_MIX])
    tp = np.array([s for _, s in TEMPLATE_MIX])
    tp /= tp.sum()
    head_arr = pa.array(heads)
    tmp = path.with_suffix(".tmp")
    recent = np.zeros(0, dtype=object)
    with pacsv.CSVWriter(
        tmp,
        pa.schema([("phone", pa.string()), ("template", pa.string())]),
        write_options=pacsv.WriteOptions(quoting_style="none"),
    ) as writer:
        done = 0
        while done < rows:
            n = min(CHUNK, rows - done)
            country = rng.choice(len(heads), size=n, p=p)
            width = np.array(tails)[country]
            tail = rng.integers(0, 10 ** width.astype(np.int64), dtype=np.int64)
            tail_text = pc.utf8_lpad(pc.cast(pa.array(tail), pa.string()), 7, "0")
            tail_text = pc.utf8_slice_codeunits(tail_text, 0, 7)
            # cut each tail to its country's width
            tail_text = pa.array([t[:w] for t, w in zip(tail_text.to_pylist(), width.tolist())])
            phone = pc.binary_join_element_wise(pc.take(head_arr, pa.array(country)), tail_text, "")
            phone_np = np.array(phone.to_pylist(), dtype=object)
            style = rng.random(n)
            # 3% as wa_id (no '+'), 1.5% written with spaces, 0.5% that cannot be real
            no_plus = style < 0.03
            phone_np[no_plus] = [s[1:] for s in phone_np[no_plus]]
            spaced = (style >= 0.03) & (style < 0.045)
            phone_np[spaced] = [f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}" for s in phone_np[spaced]]
            bad = (style >= 0.045) & (style < 0.05)
            phone_np[bad] = [s[:7] for s in phone_np[bad]]
            # about 1% repeat a recipient of the previous chunk (same number, maybe same template)
            dup = rng.random(n) < 0.01
            if len(recent):
                phone_np[dup] = rng.choice(recent, size=int(dup.sum()))
            recent = phone_np[rng.integers(0, n, size=min(n, 50_000))]
            template = pc.take(names, pa.array(rng.choice(len(names), size=n, p=tp)))
            writer.write_table(
                pa.table({"phone": pa.array(phone_np.tolist(), pa.string()), "template": template})
            )
            done += n
    tmp.replace(path)


def campaign_file(rows: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"campaign_{rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        print(f"generating {path} ...", file=sys.stderr)
        # in a child, so that this process stays small: a child's ru_maxrss starts from the
        # size of the parent it was forked from
        run_child("generate", str(path), str(rows))
        print(
            f"  {path.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return path


# --- children: each prints one JSON line with its own timing ---------------------------------


def _vm_hwm_mib() -> float | None:
    """This process's own peak RSS from /proc (a cross-check of ru_maxrss), where there is one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def child_parse(path: Path) -> dict[str, object]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    started = time.perf_counter()
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={"phone": pa.string(), "template": pa.string()}
        ),
    )
    return {"seconds": time.perf_counter() - started, "rows": table.num_rows}


def child_estimate(path: Path, block_size: int | None, exclude: Path | None) -> dict[str, object]:
    import datetime as dt
    import hashlib

    from wacost.counting.allocator import own_process

    own_process()  # as `wacost estimate` does, before pyarrow and numpy are imported
    from wacost.estimate import EstimateOptions, estimate_campaign
    from wacost.prices.loading import load_price_book
    from wacost.report.document import to_dict
    from wacost.templates.definitions import load_templates

    book = load_price_book()
    templates = load_templates([TEMPLATES])
    extra: dict[str, object] = {}
    if block_size:
        extra["block_size"] = block_size
    if exclude is not None:
        extra["exclude"] = (exclude,)
    options = EstimateOptions(date=dt.date.fromisoformat(DATE), **extra)  # type: ignore[arg-type]
    started = time.perf_counter()
    estimate = estimate_campaign([path], book, templates, options)
    seconds = time.perf_counter() - started
    report = to_dict(estimate)
    report["inputs"] = []  # the same figures from another file name are the same result
    text = json.dumps(report, sort_keys=True)
    return {
        "seconds": seconds,
        "rows": report["totals"]["messages"] + report["totals"].get("excluded_messages", 0),
        "cost": report["totals"]["cost"],
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "warnings": {w["code"]: w["count"] for w in report["warnings"]},
    }


def run_child(*args: str) -> dict[str, object]:
    """Run this script as a child; its JSON line plus its peak RSS (MiB) and wall time."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True
    )
    result = child_result(proc, f"child {args}")
    result["wall"] = time.perf_counter() - started
    return result


def child_result(proc: subprocess.Popen[str], name: str) -> dict[str, object]:
    """A child's JSON line (its last) plus its peak RSS (MiB) and CPU time, once it ends."""
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{name} failed with exit {proc.returncode}")
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024  # Linux: KiB
    result["cpu"] = usage.ru_utime + usage.ru_stime  # the whole child's, every thread's
    result["sys"] = usage.ru_stime
    return result


def _median_cpu(runs: list[dict[str, object]]) -> float:
    """The median CPU time of the children (imports and start included)."""
    return statistics.median(float(run["cpu"]) for run in runs)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each side; the best time counts"
    )
    parser.add_argument("--no-parse", action="store_true", help="skip the pyarrow parse")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also price the file in one batch and compare the reports",
    )
    parser.add_argument("--block-size", type=int, default=0, help="wacost's block size in bytes")
    parser.add_argument("--exclude", type=Path, default=None, help="an opt-out list to pass")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, path = args.child[0], Path(args.child[1])
        if kind == "generate":
            generate(int(args.child[2]), path)
            result = {}
        elif kind == "parse":
            result = child_parse(path)
        else:
            exclude = Path(args.child[3]) if len(args.child) > 3 and args.child[3] else None
            result = child_estimate(path, int(args.child[2]) or None, exclude)
        result["hwm_mib"] = _vm_hwm_mib()
        print(json.dumps(result))
        return

    path = campaign_file(args.rows)
    size = path.stat().st_size
    print(
        f"campaign: {path.name}, {args.rows:,} rows, {size / 2**20:,.0f} MiB, {os.cpu_count()} cores"
    )
    exclude = str(args.exclude) if args.exclude else ""
    runs, parses = [], []
    for _ in range(args.repeat):  # interleaved, so that both sides see the same machine
        runs.append(run_child("estimate", str(path), str(args.block_size), exclude))
        if not args.no_parse:
            parses.append(run_child("parse", str(path)))
    best = min(runs, key=lambda r: float(r["seconds"]))  # type: ignore[arg-type]
    seconds = float(best["seconds"])  # type: ignore[arg-type]
    print(
        f"wacost estimate: {seconds:.2f} s ({args.rows / seconds:,.0f} rows/s), "
        f"peak {max(float(r['peak_mib']) for r in runs):,.0f} MiB, "  # type: ignore[arg-type]
        f"child wall {float(best['wall']):.2f} s, total {best['cost']} USD"
    )  # type: ignore[arg-type]
    print(f"  warnings: {best['warnings']}")
    # CPU time is what a loaded machine (other processes on the cores) changes least
    print(f"  child CPU (user+sys, median of {args.repeat}): {_median_cpu(runs):.2f} s")
    if not args.no_parse:
        parse = min(parses, key=lambda r: float(r["seconds"]))  # type: ignore[arg-type]
        parse_s = float(parse["seconds"])  # type: ignore[arg-type]
        print(
            f"pyarrow read_csv: {parse_s:.2f} s, peak {float(parse['peak_mib']):,.0f} MiB, "  # type: ignore[arg-type]
            f"child wall {float(parse['wall']):.2f} s"
        )  # type: ignore[arg-type]
        print(f"  child CPU (user+sys, median of {args.repeat}): {_median_cpu(parses):.2f} s")
        print(f"ratio estimate/parse: {seconds / parse_s:.2f}x (best of {args.repeat} each)")
    if args.check:
        whole = run_child("estimate", str(path), str(size + 1), exclude)
        same = whole["sha256"] == best["sha256"]
        print(
            f"one batch ({size + 1:,} B blocks): {float(whole['seconds']):.2f} s, "  # type: ignore[arg-type]
            f"peak {float(whole['peak_mib']):,.0f} MiB; report identical: {same}"
        )  # type: ignore[arg-type]
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
