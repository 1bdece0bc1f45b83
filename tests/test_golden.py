"""Every format of every sample against golden files; saved reports render the same; the schema holds.

Rewrite the golden files after an intended output change, then review `git diff tests/golden`:

    python3 -m pytest tests/test_golden.py --update-golden
    WACOST_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from wacost.cli import app

GOLDEN = Path(__file__).parent / "golden"
SCHEMA_FILE = ROOT / "schema" / "wacost.estimate-1.schema.json"
COMMON = ["--templates", "samples/templates.json", "--date", "2026-11-25"]

# name -> (estimate arguments, exit code). Paths are relative to the repository (reports name them).
CASES = {
    "campaign": (["samples/campaign.csv", *COMMON], 0),
    "plan": (["samples/plan.csv", *COMMON], 0),
    "plan-policy": (
        ["samples/plan.csv", *COMMON, "--policy", "samples/policy.yaml", "--budget", "1000"],
        1,
    ),
}
FORMATS = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md", "html": "html"}
# Reports with the real-bill options too, for the schema (their text is covered in test_bill.py).
SCHEMA_EXTRA = {
    "campaign-bill": [
        "samples/campaign.csv",
        *COMMON,
        "--fees",
        "twilio",
        "--compare-date",
        "2026-07-01",
        "--usage",
        "samples/usage.csv",
        "--sender-numbers",
        "2",
        "--service-free-used",
        "100",
    ],
    "plan-eur": [
        "samples/plan.csv",
        *COMMON,
        "--currency",
        "EUR",
        "--fx-rate",
        "0.92",
        "--budget",
        "900",
    ],
}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("WACOST_BUDGET", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@functools.cache
def estimate(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `wacost estimate ARGS`, run once per test session (it is slow)."""
    result = CliRunner().invoke(app, ["estimate", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_golden(update_golden, case, fmt):
    args, code = CASES[case]
    exit_code, stdout, stderr = estimate(*args, "--format", fmt)
    assert exit_code == code, stderr
    assert stderr == ""
    golden = GOLDEN / f"{case}.{FORMATS[fmt]}"
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(stdout, encoding="utf-8", newline="")
        return
    assert golden.exists(), (
        f"no golden file {golden.name}: run pytest {Path(__file__).name} --update-golden"
    )
    expected = golden.read_text(encoding="utf-8")
    assert stdout == expected, (
        f"{case} --format {fmt} differs from tests/golden/{golden.name}; if the change is intended, "
        f"run: python3 -m pytest tests/test_golden.py --update-golden"
    )


@pytest.mark.parametrize("case", CASES)
def test_saved_report_renders_identically_in_every_format(wacost, tmp_path, case):
    args, _ = CASES[case]
    saved = tmp_path / "saved.json"
    saved.write_text(estimate(*args, "--format", "json")[1], encoding="utf-8")
    for fmt in FORMATS:
        direct = estimate(*args, "--format", fmt)
        again = wacost("report", saved, "--format", fmt)
        assert (again.exit_code, again.stdout) == direct[:2], fmt
    if case == "plan-policy":
        for view in ("category", "market", "template"):
            direct = estimate(*args, "--by", view)
            assert wacost("report", saved, "--by", view).stdout == direct[1], view


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("case", [*CASES, *SCHEMA_EXTRA])
def test_every_sample_report_matches_the_schema(case):
    args = CASES[case][0] if case in CASES else SCHEMA_EXTRA[case]
    exit_code, stdout, stderr = estimate(*args, "--format", "json")
    assert exit_code in (0, 1), stderr
    errors = sorted(
        _validator().iter_errors(json.loads(stdout)), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_golden_json_matches_the_schema():
    for path in sorted(GOLDEN.glob("*.json")):
        assert not list(_validator().iter_errors(json.loads(path.read_text(encoding="utf-8")))), (
            path.name
        )


def test_schema_rejects_what_the_contract_forbids():
    report = json.loads((GOLDEN / "plan.json").read_text(encoding="utf-8"))
    validator = _validator()
    assert validator.is_valid(report)
    for mutate in (
        lambda r: r["totals"].__setitem__("cost", 1385.83),  # money as a float
        lambda r: r.__setitem__("schema", "wacost.estimate/2"),
        lambda r: r["by_category"][0].__setitem__("category", "Marketing"),
        lambda r: r["lines"][0].__setitem__("pricing_type", "REGULAR"),
        lambda r: r.pop("budget"),
    ):
        broken = json.loads(json.dumps(report))
        mutate(broken)
        assert not validator.is_valid(broken)
