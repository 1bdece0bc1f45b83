"""Review of the speed work: inputs where the fast paths must behave as the code before them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wacost import files, yaml_loading
from wacost.errors import InputFileError

ROOT = Path(__file__).resolve().parents[1]


def _bounded(text: str) -> object:
    """What the bounded (pure-Python) loader makes of `text`: its data or its error line."""
    try:
        return ("ok", repr(yaml.load(text, Loader=yaml_loading._BoundedSafeLoader)))
    except yaml.YAMLError:
        pass
    with pytest.raises(InputFileError) as error:
        yaml_loading.load_yaml(text, "f.yaml")
    return ("error", str(error.value))


def _loaded(text: str) -> object:
    try:
        return ("ok", repr(files.load_yaml_text(text, "f.yaml")))
    except InputFileError as error:
        return ("error", str(error))


@pytest.mark.parametrize("depth", [400, 50_000])
def test_deeply_nested_yaml_is_refused_not_a_crash(tmp_path, depth):
    # libyaml composes in C without Python's recursion limit: 50,000 levels killed the process.
    policy = tmp_path / "policy.yaml"
    policy.write_text("total: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    samples = ROOT / "samples"
    args = ["estimate", str(samples / "plan.csv"), "--templates", str(samples / "templates.json")]
    run = subprocess.run(
        [sys.executable, "-m", "wacost", *args, "--policy", str(policy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr[-500:]
    assert run.stderr.strip().splitlines() == [
        f"wacost: error: {policy}: YAML nested too deeply (flatten the file)"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a:  \t\n",  # a tab after the value's indicator
        "rates:\n  IN: {marketing: \t0.0107}\n",
        "a: 1\t#\nb: 2\n",
        "a: \n\ufeffb:\n  - x\n",  # a byte-order mark inside the text: libyaml nested b under a
        "a: b\x85c: d\n",
        "a: \u2028b\n",
        "rates:\n  IN: {marketing: 0.0107, utility: 0.001?4}\n",  # `?` in a flow plain scalar
        "k: |#\n  text\n  more\nz: >\n  f\n",  # `#` right after a block scalar's indicator
        "z: >#\n  f\n",
        "a: \ud800\n",  # a lone surrogate (a library caller's text): an error, not UnicodeEncodeError
    ],
)
def test_fast_yaml_reads_what_the_bounded_loader_reads(text):
    assert _loaded(text) == _bounded(text)


def test_price_counts_still_takes_counts_whose_table_is_a_dataframe():
    # `Counts.table` was a DataFrame before CountTable; price_counts (public) took such Counts.
    import dataclasses
    import datetime as dt

    from wacost.counting.pipeline import count_campaign
    from wacost.estimate import EstimateOptions, price_counts
    from wacost.numbers.resolver import NumberResolver
    from wacost.prices.loading import load_price_book
    from wacost.render.json import render_json
    from wacost.templates.definitions import load_templates

    book = load_price_book()
    templates = load_templates([ROOT / "samples" / "templates.json"])
    options = EstimateOptions(date=dt.date(2026, 11, 25))
    counts = count_campaign(
        [ROOT / "samples" / "campaign.csv"], NumberResolver(book.numbering, None)
    )
    as_frame = dataclasses.replace(counts, table=counts.table.to_pandas())
    expected = render_json(price_counts(counts, book, templates, options))
    assert render_json(price_counts(as_frame, book, templates, options)) == expected
