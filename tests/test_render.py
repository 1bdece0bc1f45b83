"""The views: --by, --quiet, --github-summary, HTML that loads nothing, and renderers that tolerate old reports."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT, SAMPLES
from wacost.render import RENDERERS, render_report
from wacost.render.table import _bar
from wacost.report.document import from_dict

PLAN = [SAMPLES / "plan.csv", "--templates", SAMPLES / "templates.json", "--date", "2026-11-25"]

# The contract's example report: only the fields CONTRACT.md promises, as an older wacost wrote them.
CONTRACT_EXAMPLE = {
    "schema": "wacost.estimate/1",
    "currency": "USD",
    "date": "2026-11-25",
    "rate_card": {"effective_from": "2026-10-01", "source": "https://..."},
    "totals": {"messages": 1200, "billable_messages": 1100, "cost": "14.2300"},
    "by_category": [
        {"category": "marketing", "messages": 1000, "billable_messages": 1000, "cost": "11.8000"},
        {"category": "utility", "messages": 100, "billable_messages": 100, "cost": "2.4300"},
    ],
    "by_market": [
        {"market": "India", "messages": 1100, "billable_messages": 1100, "cost": "14.2300"}
    ],
    "by_template": [
        {
            "template": "spring_sale",
            "language": "en_US",
            "category": "marketing",
            "messages": 1000,
            "cost": "11.8000",
        }
    ],
    "lines": [
        {
            "market": "India",
            "category": "marketing",
            "pricing_type": "regular",
            "tier": None,
            "messages": 1000,
            "rate": "0.0118",
            "cost": "11.8000",
        },
        {
            "market": "India",
            "category": "utility",
            "pricing_type": "regular",
            "tier": None,
            "messages": 100,
            "rate": "0.0243",
            "cost": "2.4300",
        },
    ],
    "warnings": [{"code": "invalid_phone", "message": "...", "count": 3}],
    "budget": {"limit": None, "exceeded": False},
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("WACOST_BUDGET", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture(scope="module")
def plan_report():
    from typer.testing import CliRunner

    from wacost.cli import app

    result = CliRunner().invoke(
        app,
        ["estimate", *map(str, PLAN), "--format", "json", "--policy", str(SAMPLES / "policy.yaml")],
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("fmt", RENDERERS)
def test_every_renderer_reads_the_contract_example(fmt):
    text = RENDERERS[fmt](from_dict(json.loads(json.dumps(CONTRACT_EXAMPLE))))
    assert "14.2300" in text


@pytest.fixture(scope="module")
def saved(plan_report, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "plan.json"
    path.write_text(json.dumps(plan_report), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_by_shows_one_breakdown(wacost, saved, fmt):
    titles = {"table": "By {}", "markdown": "### By {}", "html": "<h2>By {}</h2>"}[fmt]
    for view in ("category", "market", "template"):
        run = wacost("report", saved, "--format", fmt, "--by", view)
        assert run.exit_code == 0
        shown = [v for v in ("category", "market", "template") if titles.format(v) in run.stdout]
        assert shown == [view]


def test_by_market_table_is_the_market_breakdown(wacost):
    run = wacost("estimate", *PLAN, "--by", "market")
    assert run.exit_code == 0
    assert "Brazil" in run.stdout and "Rest of Africa" in run.stdout
    assert "spring_sale" not in run.stdout.split("Recategorization")[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--by", "country"],
            "--by 'country': unknown breakdown (use one of category, market, template)",
        ),
        (
            ["--by", "market", "--format", "json"],
            "--by market: --format json always holds every breakdown",
        ),
    ],
)
def test_bad_by_is_exit_2(wacost, args, message):
    run = wacost("estimate", *PLAN, *args)
    assert run.exit_code == 2
    assert message in run.stderr


def test_quiet_prints_only_the_total(wacost, tmp_path):
    run = wacost("estimate", *PLAN, "--quiet")
    assert (run.exit_code, run.stdout, run.stderr) == (0, "1385.8300 USD\n", "")
    out = tmp_path / "r.json"
    run = wacost("estimate", *PLAN, "-q", "--format", "json", "-o", out, "--budget", "1000")
    assert (run.exit_code, run.stdout) == (1, "1385.8300 USD\n")
    assert json.loads(out.read_text())["totals"]["cost"] == "1385.8300"
    saved = wacost("report", out, "--quiet")
    assert (saved.exit_code, saved.stdout) == (1, "1385.8300 USD\n")


def test_quiet_counts_fees_like_the_budget(wacost):
    run = wacost("estimate", *PLAN, "--quiet", "--fees", "twilio")
    report = wacost("estimate", *PLAN, "--format", "json", "--fees", "twilio").json()
    assert run.stdout == f"{report['totals']['total_cost']} USD\n"


def test_github_summary_appends_markdown(wacost, monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = wacost("estimate", *PLAN, "--github-summary", "--budget", "1000")
    assert run.exit_code == 1
    # stdout keeps the chosen format: the table, its verdict first
    assert run.stdout.startswith("OVER BUDGET by 385.8300 USD")
    assert run.stdout.splitlines()[1].startswith("Estimated cost")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith(
        "# earlier step\n<!-- wacost:estimate -->\n## WhatsApp campaign cost estimate"
    )
    assert "❌ **over budget**" in text
    markdown = wacost("estimate", *PLAN, "--format", "markdown", "--budget", "1000").stdout
    assert text == "# earlier step\n" + markdown


def test_github_summary_writes_control_characters_out(wacost, monkeypatch, tmp_path):
    """A template name from the campaign file never brings an escape sequence into the step
    summary (GitHub shows it to people), as it never does into the other formats."""
    campaign = tmp_path / "c.csv"
    campaign.write_text("phone,template\n+919876543210,\x1b[31mred\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = wacost("estimate", campaign, "--github-summary", "--quiet")
    assert run.exit_code == 0
    text = summary.read_text(encoding="utf-8")
    assert "\x1b" not in text
    assert "x1b\\[31mred" in text  # written out, as in --format markdown
    markdown = wacost("estimate", campaign, "--format", "markdown").stdout
    assert text == markdown


def test_github_summary_without_github_is_a_note(wacost):
    run = wacost("estimate", *PLAN, "--github-summary", "--quiet")
    assert run.exit_code == 0
    assert run.stdout == "1385.8300 USD\n"
    assert "GITHUB_STEP_SUMMARY is not set" in run.stderr


def test_github_summary_unwritable_does_not_hide_the_result(wacost, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "no" / "such" / "dir.md"))
    run = wacost("estimate", *PLAN, "--github-summary", "--budget", "1000", "--quiet")
    assert run.exit_code == 1
    assert "cannot write" in run.stderr


def test_markdown_for_a_pull_request(plan_report):
    text = render_report(from_dict(plan_report), "markdown")
    assert text.startswith("<!-- wacost:estimate -->\n## ")
    assert "**Total: 1,385.8300 USD**" in text  # thousands separators in human formats
    assert "**Budget policy (`policy.yaml`):** ✅ every limit kept; ⚠️ 4 near the limit" in text
    assert "| Market India | 350.0000 | 295.0000 | 84.3% | ⚠️ warning (≥ 80%) |" in text
    assert "<details><summary><b>By template</b> (5 rows)</summary>" in text
    assert "[source](https://developers.facebook.com/" in text
    # Every table has a header separator right below its header, and no row breaks the column count.
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|")):
            columns = line.count(" | ") + 1
            assert re.fullmatch(r"\|(:?-+:?\|)+", lines[i + 1]), line
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                assert lines[j].replace("\\|", "").count(" | ") + 1 == columns, lines[j]
                j += 1


def test_html_loads_nothing_and_escapes_everything(plan_report):
    report = json.loads(json.dumps(plan_report))
    report["by_template"][0]["template"] = '<script>alert("x")</script>'
    report["warnings"][0]["message"] = "<img src=x onerror=alert(1)>"
    report["rate_card"]["source"] = "javascript:alert(1)"
    html = render_report(from_dict(report), "html")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    tags = " ".join(re.findall(r"<[a-z][^>]*>", html.lower()))
    for needle in ("<link", "<script", "<iframe", "<object", "<embed", "<img", " src=", "refresh"):
        assert needle not in tags, needle
    assert "@import" not in html and "url(" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert len(re.findall(r"<svg class=\"chart\"", html)) == 3


def test_html_has_the_parts(plan_report):
    html = render_report(from_dict(plan_report), "html")
    for part in (
        'id="budget"',
        'id="by-category"',
        'id="by-market"',
        'id="by-template"',
        'id="risk"',
        'id="warnings"',
        'id="rate-card"',
        "rate-card-2026-10-01-USD.yaml",
        "Near a limit",
    ):
        assert part in html, part
    assert html.startswith("<!doctype html>") and html.endswith("</html>\n")


def test_bars_in_the_terminal():
    from decimal import Decimal

    assert _bar(Decimal(1), 4) == "████"
    assert _bar(Decimal("0.5"), 4) == "██  "
    assert _bar(Decimal("0.0625"), 4) == "▎   "  # two eighths of a cell
    assert _bar(Decimal("0.0001"), 4) == "▏   "  # a share above zero is never invisible
    assert _bar(Decimal(0), 4) == "    "
    assert _bar(Decimal(2), 4) == "████"  # over 100% (a broken limit) stays in its cell


def test_table_fits_the_terminal(wacost):
    run = wacost(
        "estimate",
        *PLAN,
        "--policy",
        SAMPLES / "policy.yaml",
        "--fees",
        "twilio",
        "--compare-date",
        "2026-07-01",
    )
    assert run.exit_code == 1  # the fees take it over the policy's total
    assert max(len(line) for line in run.stdout.splitlines()) <= 100
    assert "█" in run.stdout


def test_every_command_help_has_an_example(wacost):
    import typer.main

    from wacost.cli import app

    assert "Example:" in wacost("--help").stdout
    for name in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        assert "Example:" in wacost(name, "--help").stdout, name


def test_schema_ships_in_the_package():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schema" = "wacost/schema"' in pyproject
