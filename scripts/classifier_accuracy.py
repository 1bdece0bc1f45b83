"""Print how well the template classifier does on a labelled set.

Usage:
    PYTHONPATH=src python scripts/classifier_accuracy.py [LABELLED.yaml ...] [--errors]

Default set: tests/data/labelled_templates.yaml. Each entry is a template object as
Meta's API returns it, with `expected` (the true category) and optionally
`text_language` (the language of the text, when the declared `language` differs).
Prints accuracy per language, overall accuracy, marketing recall, and a confusion
matrix; `--errors` also lists every template the classifier gets wrong, with reasons.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from wacost.classify import CATEGORIES, Classification, classify_template, load_classifier_rules

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "labelled_templates.yaml"
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "pt": "Portuguese",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "sv": "Swedish",
    "id": "Indonesian",
    "tr": "Turkish",
    "ar": "Arabic",
    "hi": "Hinglish",
}


def text_language(template: dict[str, Any]) -> str:
    """Return the two-letter language of the template's text."""
    code = str(template.get("text_language") or template.get("language") or "??")
    return code.replace("-", "_").split("_")[0].lower()


def load_labelled(paths: list[Path]) -> list[dict[str, Any]]:
    templates: list[dict[str, Any]] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise SystemExit(f"{path}: expected a YAML list of templates")
        templates.extend(item for item in data if isinstance(item, dict))
    return templates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_SET])
    parser.add_argument("--errors", action="store_true", help="list misclassified templates")
    args = parser.parse_args(argv)

    rules = load_classifier_rules()
    templates = load_labelled(args.files)
    started = time.perf_counter()
    results: list[tuple[dict[str, Any], Classification]] = [
        (template, classify_template(template, rules)) for template in templates
    ]
    elapsed = time.perf_counter() - started

    per_language: dict[str, list[bool]] = defaultdict(list)
    confusion: Counter[tuple[str, str]] = Counter()
    for template, result in results:
        expected = str(template["expected"])
        per_language[text_language(template)].append(result.category == expected)
        confusion[(expected, result.category)] += 1

    print(f"{'language':<12} {'templates':>9} {'correct':>8} {'accuracy':>9}")
    for code in sorted(per_language, key=lambda c: (c != "en", c)):
        outcomes = per_language[code]
        name = LANGUAGE_NAMES.get(code, code)
        print(
            f"{name:<12} {len(outcomes):>9} {sum(outcomes):>8} "
            f"{sum(outcomes) / len(outcomes):>9.1%}"
        )
    total = len(results)
    correct = sum(confusion[(c, c)] for c in CATEGORIES)
    marketing = sum(confusion[(MARKETING_KEY, c)] for c in CATEGORIES)
    print()
    print(
        f"overall accuracy   {correct}/{total} = {correct / total:.1%}" if total else "no templates"
    )
    if marketing:
        caught = confusion[(MARKETING_KEY, MARKETING_KEY)]
        print(f"marketing recall   {caught}/{marketing} = {caught / marketing:.1%}")
    flagged = [(t, r) for t, r in results if r.category == MARKETING_KEY]
    if flagged:
        right = sum(1 for t, _ in flagged if t["expected"] == MARKETING_KEY)
        print(f"marketing precision {right}/{len(flagged)} = {right / len(flagged):.1%}")
    print(f"time               {elapsed * 1000:.1f} ms for {total} templates")
    print()
    print("confusion matrix (rows: expected, columns: classifier)")
    print(f"{'':<16}" + "".join(f"{c:>16}" for c in CATEGORIES))
    for expected in CATEGORIES:
        print(f"{expected:<16}" + "".join(f"{confusion[(expected, c)]:>16}" for c in CATEGORIES))

    if args.errors:
        print()
        for template, result in results:
            if result.category != template["expected"]:
                print(
                    f"- {result.name} ({result.language}): expected {template['expected']}, "
                    f"got {result.category} ({result.confidence})"
                )
                for reason in result.reasons:
                    print(f"    {reason}")
    return 0


MARKETING_KEY = "marketing"

if __name__ == "__main__":
    sys.exit(main())
