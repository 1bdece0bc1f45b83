"""Report how well the shipped template classifier does on the labelled corpus.

Usage:
    PYTHONPATH=src python scripts/classifier_accuracy.py [--errors] [--blind [--record]]

For the train and dev splits of tests/data/corpus (plus the hand-written tuning set,
which is train), prints accuracy overall, per category (utility right, marketing caught,
authentication right) and per language, the reliability (calibration) tables (dev; blind with --blind), and
the false-alarm rate of the recategorization risk on utility templates. The temperature is
fitted on train's real templates out of fold, so dev's reliability table is held out; blind's
(with `--blind`) is the one on data nothing was chosen on.
Blind discipline: the blind split is only scored with `--blind`, once the model is frozen;
never tune while looking at it, and its errors are never listed (`--errors` lists train and
dev only). tests/data/blind_log.yaml records every blind evaluation and the groups it held:
blind is reported whole, then split into groups scored before and "fresh" groups never
scored (templates the model has never been judged on). `--record` appends this evaluation
to the log. A figure on train is a regression guard, not a result.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from train_classifier import CLASSES, load_examples

from wacost.classify import Classification, classify_template, load_classifier_rules

BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
ROOT = Path(__file__).resolve().parent.parent
BLIND_LOG = ROOT / "tests" / "data" / "blind_log.yaml"
MODEL = ROOT / "src" / "wacost" / "classifier" / "model.json"
Results = list[tuple[dict[str, Any], "Classification"]]


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {hits / total:6.1%}" if total else "-"


def report(split: str, results: list[tuple[dict[str, Any], Classification]], errors: bool) -> None:
    print(f"== {split}: {len(results)} templates")
    if not results:
        return
    right = sum(r.category == e["label"] for e, r in results)
    print(f"overall              {_rate(right, len(results))}")
    names = {"utility": "utility right", "marketing": "marketing caught"}
    for label in CLASSES:
        mine = [r for e, r in results if e["label"] == label]
        caught = sum(r.category == label for r in mine)
        print(f"{names.get(label, label + ' right'):<20} {_rate(caught, len(mine))}")
    real = [(e, r) for e, r in results if e["source_kind"] != "team_written"]
    line = [
        f"real only            {_rate(sum(r.category == e['label'] for e, r in real), len(real))}"
    ]
    for label in CLASSES:
        mine = [r for e, r in real if e["label"] == label]
        line.append(f"{label} {_rate(sum(r.category == label for r in mine), len(mine))}")
    print("; ".join(line))
    utility = [r for e, r in results if e["label"] == "utility"]
    alarms = sum(r.marketing_probability >= 0.5 for r in utility)
    print(f"false alarms         {_rate(alarms, len(utility))} of utility templates at risk")
    per_language: dict[str, list[bool]] = defaultdict(list)
    for entry, result in results:
        per_language[entry["language"]].append(result.category == entry["label"])
    print(
        "per language         "
        + "  ".join(f"{lang} {sum(v)}/{len(v)}" for lang, v in sorted(per_language.items()))
    )
    if errors and not split.startswith("blind"):
        for entry, result in results:
            if result.category != entry["label"]:
                print(
                    f"  - {result.name} ({entry['language']}, {entry['group']}): "
                    f"{entry['label']} read as {result.category} ({result.confidence}): "
                    + " | ".join(result.reasons)
                )
    print()


def reliability(split: str, results: list[tuple[dict[str, Any], Classification]]) -> None:
    """Confidence bins: how often the verdict was right where the model said so."""
    role = {
        "dev": "held out from the fit and the temperature; its log loss helped choose C",
        "blind": "held out: nothing was fitted or chosen on it",
    }[split.split()[0]]
    print(f"reliability ({split}, {role}): confidence bin, templates, mean confidence, accuracy")
    for low, high in itertools.pairwise(BINS):
        inside = [(e, r) for e, r in results if low <= r.confidence < high]
        if not inside:
            continue
        mean = sum(r.confidence for _, r in inside) / len(inside)
        right = sum(r.category == e["label"] for e, r in inside) / len(inside)
        print(f"  [{low:.2f}, {min(high, 1.0):.2f})  {len(inside):>5}  {mean:6.3f}  {right:6.3f}")
    print()


def _blind_log() -> list[dict[str, Any]]:
    if not BLIND_LOG.exists():
        return []
    data = yaml.safe_load(BLIND_LOG.read_text(encoding="utf-8")) or {}
    evaluations: list[dict[str, Any]] = data.get("evaluations") or []
    return evaluations


def blind(results: Results, record: bool) -> None:
    """Score blind whole, then its groups scored before apart from fresh ones; maybe log it."""
    log = _blind_log()
    times: dict[str, int] = defaultdict(int)
    for evaluation in log:
        for group in evaluation.get("groups") or []:
            times[group] += 1
    number = len(log) + 1
    report(f"blind (evaluation {number})", results, errors=False)
    reliability("blind", results)
    before = [(e, r) for e, r in results if times[e["group"]]]
    fresh = [(e, r) for e, r in results if not times[e["group"]]]
    counts = sorted({times[e["group"]] for e, _ in before})
    report(f"blind, groups scored before ({', '.join(map(str, counts))} times)", before, False)
    report("blind, fresh groups (never scored before)", fresh, errors=False)
    if record:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        log.append(
            {
                "number": number,
                "date": datetime.date.today().isoformat(),
                "commit": commit or "unknown",
                "model_sha256": hashlib.sha256(MODEL.read_bytes()).hexdigest(),
                "templates": len(results),
                "right": sum(r.category == e["label"] for e, r in results),
                "fresh_templates": len(fresh),
                "fresh_right": sum(r.category == e["label"] for e, r in fresh),
                "groups": sorted({e["group"] for e, _ in results}),
            }
        )
        head = "".join(
            line
            for line in BLIND_LOG.read_text(encoding="utf-8").splitlines(keepends=True)
            if line.startswith("#")
        )
        body = yaml.safe_dump({"evaluations": log}, sort_keys=False, allow_unicode=True)
        BLIND_LOG.write_text(head + body, encoding="utf-8")
        print(f"recorded as evaluation {number} in {BLIND_LOG.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", action="store_true", help="list misclassified templates")
    parser.add_argument(
        "--blind", action="store_true", help="also score the blind split (frozen model only)"
    )
    parser.add_argument(
        "--record", action="store_true", help="with --blind: log this evaluation in blind_log"
    )
    args = parser.parse_args(argv)
    if args.record and not args.blind:
        parser.error("--record logs a blind evaluation: use it with --blind")
    rules = load_classifier_rules()
    splits = ("train", "dev", "blind") if args.blind else ("train", "dev")
    for split in splits:
        examples = load_examples((split,))
        results = [(e, classify_template(e["template"], rules)) for e in examples]
        if split == "blind":
            blind(results, args.record)
            continue
        report(split, results, args.errors)
        if split == "dev":
            reliability(split, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
