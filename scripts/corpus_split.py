"""Check the labelled template corpus and print its counts per split x category x language.

The corpus lives in tests/data/corpus/, one YAML file per source group (see its README.md).
Splits are assigned by source group, never by template, so near-duplicates from one source
never straddle two splits:

- a group listed in PINNED gets the split named there (the old word-list tuning set is
  pinned to train: the word lists were tuned on it);
- any other group gets the split of the hash rule: bucket = sha256(group id) mod 100,
  train below 60, dev below 80, blind otherwise.

Once a group is committed its split is recorded in every entry and never changes; new
groups only get theirs from the rule. This script checks that every entry's recorded split
is the one the rule (or PINNED) gives, that a group lives in one file named after it,
that keys and values are valid, and that no normalised text appears in two splits
(authentication templates excepted: Meta fixes their text, so every source repeats it).

Usage:
    python scripts/corpus_split.py            # check, then print the counts table
    python scripts/corpus_split.py --group ID # print the split the rule gives a new group id

Exit status 0 when the corpus is consistent, 1 otherwise (each problem on stderr).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"

LABELS = ("marketing", "utility", "authentication")
SPLITS = ("train", "dev", "blind")
SOURCE_KINDS = (
    "meta_guidelines",
    "meta_library",
    "approved_export",
    "provider_docs",
    "team_written",
)
TRUSTS = ("high", "medium", "low")
REQUIRED = (
    "name",
    "language",
    "components",
    "label",
    "text_language",
    "source",
    "source_kind",
    "trust",
    "group",
    "split",
)

# Groups whose split is fixed by hand, with the reason. Never move a group after commit.
PINNED: dict[str, tuple[str, str]] = {
    f"team-written-legacy-{lang}": ("train", "old word-list tuning set")
    for lang in ("en", "es", "pt", "de", "fr", "it", "nl", "sv", "id", "tr", "ar", "hi-latn")
}


# Team-written sets written split-first (contrast scenarios: one scenario set per split, translated
# into every language, so a scenario never straddles splits; variety sets: train only); the split
# is the last part of the group id.
WRITTEN_SPLIT_FIRST = ("team-written-contrasts-", "team-written-variety-")
# Train-only contrast sets, one topic per group (`team-written-train-contrasts-<topic>`): written
# after reading train cross-validation and dev errors, so they may only ever train.
TRAIN_ONLY = "team-written-train-"


def rule_split(group: str) -> str:
    """The split the hash rule gives a group id (PINNED and contrast sets first)."""
    if group in PINNED:
        return PINNED[group][0]
    if group.startswith(TRAIN_ONLY):
        return "train"
    if group.startswith(WRITTEN_SPLIT_FIRST) and group.rsplit("-", 1)[-1] in SPLITS:
        return group.rsplit("-", 1)[-1]
    bucket = int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % 100
    if bucket < 60:
        return "train"
    if bucket < 80:
        return "dev"
    return "blind"


def template_text(entry: dict[str, Any]) -> str:
    """All the visible text of a template: header, body, footer and button labels."""
    parts: list[str] = []
    for comp in entry.get("components") or []:
        if comp.get("text"):
            parts.append(str(comp["text"]))
        for button in comp.get("buttons") or []:
            if button.get("text"):
                parts.append(str(button["text"]))
    return " ".join(parts)


def normalised(entry: dict[str, Any]) -> str:
    """Text with variables, punctuation, case and spacing removed: near-duplicates collide."""
    text = re.sub(r"\{\{[^}]*\}\}", " ", template_text(entry)).lower()
    return " ".join(re.findall(r"\w+", text))


def load(corpus_dir: Path = CORPUS_DIR) -> list[dict[str, Any]]:
    """Every entry of every group file, with the file name kept under `_file`."""
    entries: list[dict[str, Any]] = []
    for path in sorted(corpus_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for entry in data:
            entry["_file"] = path.name
            entries.append(entry)
    return entries


def check(entries: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    group_split: dict[str, set[str]] = defaultdict(set)
    text_splits: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        where = f"{entry['_file']}: {entry.get('name')}"
        missing = [key for key in REQUIRED if key not in entry]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["label"] not in LABELS:
            problems.append(f"{where}: label {entry['label']!r} not one of {LABELS}")
        if entry["source_kind"] not in SOURCE_KINDS:
            problems.append(
                f"{where}: source_kind {entry['source_kind']!r} not one of {SOURCE_KINDS}"
            )
        if entry["trust"] not in TRUSTS:
            problems.append(f"{where}: trust {entry['trust']!r} not one of {TRUSTS}")
        if entry["split"] not in SPLITS:
            problems.append(f"{where}: split {entry['split']!r} not one of {SPLITS}")
        if entry["_file"] != f"{entry['group']}.yaml":
            problems.append(f"{where}: group {entry['group']!r} must live in {entry['group']}.yaml")
        if entry["split"] != rule_split(entry["group"]):
            problems.append(
                f"{where}: split {entry['split']} but the rule gives {rule_split(entry['group'])}"
            )
        if (
            entry["source_kind"] == "team_written"
            and entry["group"].startswith("team-written-legacy")
            and entry["split"] == "blind"
        ):
            problems.append(f"{where}: the old tuning set must not be in blind")
        if entry["label"] != "authentication" and not any(
            c.get("type") == "BODY" and c.get("text") for c in entry["components"]
        ):
            problems.append(f"{where}: no BODY text")
        group_split[entry["group"]].add(entry["split"])
        if entry["label"] != "authentication":
            # Meta fixes the text of authentication templates, so identical text in several
            # sources (and splits) is by design there; anywhere else it would be a leak.
            text_splits[normalised(entry)].add(entry["split"])
    for group, splits in group_split.items():
        if len(splits) > 1:
            problems.append(f"group {group}: entries in more than one split {sorted(splits)}")
    for text, splits in text_splits.items():
        if len(splits) > 1:
            problems.append(f"text in {sorted(splits)}: {text[:80]!r}")
    return problems


def table(entries: list[dict[str, Any]]) -> str:
    counts: Counter[tuple[str, str, str]] = Counter()
    for e in entries:
        counts[(e["split"], e["label"], e["text_language"])] += 1
    langs = sorted({k[2] for k in counts})
    lines = []
    header = (
        f"{'split':6} {'category':15}" + "".join(f"{lang:>8}" for lang in langs) + f"{'total':>8}"
    )
    lines.append(header)
    for split in SPLITS:
        for label in LABELS:
            row = [counts[(split, label, lang)] for lang in langs]
            lines.append(
                f"{split:6} {label:15}" + "".join(f"{n:>8}" for n in row) + f"{sum(row):>8}"
            )
        tot = [sum(counts[(split, label, lang)] for label in LABELS) for lang in langs]
        lines.append(f"{split:6} {'all':15}" + "".join(f"{n:>8}" for n in tot) + f"{sum(tot):>8}")
    real = Counter(e["split"] for e in entries if e["source_kind"] != "team_written")
    team = Counter(e["split"] for e in entries if e["source_kind"] == "team_written")
    groups = Counter(e["split"] for e in {e["group"]: e for e in entries}.values())
    lines.append("")
    for split in SPLITS:
        lines.append(
            f"{split:6} real {real[split]:5}  team-written {team[split]:5}  groups {groups[split]:4}"
        )
    lines.append(
        f"{'total':6} real {sum(real.values()):5}  team-written {sum(team.values()):5}  groups {sum(groups.values()):4}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--group", help="print the split the rule gives this new group id")
    args = parser.parse_args(argv)
    if args.group:
        print(rule_split(args.group))
        return 0
    entries = load()
    problems = check(entries)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(table([e for e in entries if all(k in e for k in REQUIRED)]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
