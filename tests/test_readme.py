"""The README tells the truth: its option tables equal --help, and its GitHub Actions workflow works."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

README = ROOT / "README.md"


def _readme_usage() -> Any:
    spec = importlib.util.spec_from_file_location(
        "readme_usage", ROOT / "scripts" / "readme_usage.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_option_tables_match_help():
    text = README.read_text(encoding="utf-8")
    wanted = _readme_usage().update_readme(text)
    assert wanted == text, (
        "README.md's option tables differ from --help: run python scripts/readme_usage.py"
    )


def test_readme_tables_hold_every_option_of_every_command(wacost):
    """A second, independent look: every option of every command, and its help, is in the README."""
    import typer.main

    from wacost.cli import app

    text = README.read_text(encoding="utf-8")
    usage = _readme_usage()
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        assert usage.BEGIN.format(name=name) in text, (
            f"README has no option table for wacost {name}"
        )
        block = text.split(usage.BEGIN.format(name=name))[1].split(usage.END.format(name=name))[0]
        help_text = " ".join(wacost(name, "--help").stdout.split())
        for param in command.params:
            for option in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
                if option.startswith("-"):
                    assert re.search(rf"[`\s]{re.escape(option)}[\s`,]", block), (
                        f"README lacks wacost {name} {option}"
                    )
                    assert option in help_text
            if param.help:
                first_words = " ".join(param.help.split()[:6])
                assert first_words in " ".join(block.split()), (
                    f"README lacks the help of {name} {param.name}"
                )


def workflow() -> dict[str, Any]:
    """The GitHub Actions workflow in the README's section about GitHub Actions."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## GitHub Actions", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block, "README's GitHub Actions section has no ```yaml block"
    data = yaml.safe_load(block.group(1))
    assert isinstance(data, dict)
    return data


def test_workflow_is_a_pull_request_check():
    flow = workflow()
    assert "pull_request" in flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on:` as True
    steps = [s for job in flow["jobs"].values() for s in job["steps"]]
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in steps)
    assert flow["permissions"]["pull-requests"] == "write"


def _wacost_steps(flow: dict[str, Any]) -> list[tuple[dict[str, str], str, str]]:
    """(env, script, if-condition) of every step whose script runs wacost."""
    steps = []
    for job in flow["jobs"].values():
        for step in job["steps"]:
            run = step.get("run", "")
            if re.search(r"(^|\s)wacost\s", run):
                assert "${{" not in run, "pass workflow expressions to wacost steps through env:"
                steps.append(
                    ({**job.get("env", {}), **step.get("env", {})}, run, str(step.get("if", "")))
                )
    return steps


def _run_workflow(tmp_path: Path, overrides: dict[str, str]) -> list[int | None]:
    """Run the README workflow's wacost steps on the sample files, as GitHub's bash would.

    Returns each step's exit code, None for a step its `if: hashFiles(...)` condition skips.
    Workflow expressions in env (`${{ vars.X }}`) are empty unless `overrides` sets them.
    """
    work = tmp_path / "checkout"
    shutil.copytree(ROOT / "samples", work / "samples")
    summary = tmp_path / "step-summary.md"
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    codes: list[int | None] = []
    for env, script, condition in _wacost_steps(workflow()):
        needed = re.findall(r"hashFiles\('([^']+)'\) != ''", condition)
        if any(not (work / name).exists() for name in needed):
            codes.append(None)
            continue
        step_env = {k: ("" if "${{" in str(v) else str(v)) for k, v in env.items()}
        step_env.update(overrides)
        full_env = {**os.environ, **step_env, "PATH": path, "GITHUB_STEP_SUMMARY": str(summary)}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=work,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        codes.append(result.returncode)
    return codes


SAMPLE_INPUTS = {
    "CAMPAIGN": "samples/plan.csv",
    "TEMPLATES": "samples/templates.json",
    "POLICY": "samples/policy.yaml",
}


@pytest.fixture
def github(monkeypatch):
    monkeypatch.delenv("WACOST_BUDGET", raising=False)
    if shutil.which("wacost") is None and not (Path(sys.executable).parent / "wacost").exists():
        pytest.fail("the wacost command is not installed: python3 -m pip install -e .")


def test_workflow_passes_within_budget(github, tmp_path):
    assert _run_workflow(tmp_path, SAMPLE_INPUTS) == [0, 0]
    summary = (tmp_path / "step-summary.md").read_text(encoding="utf-8")
    assert summary.startswith("<!-- wacost:estimate -->")
    assert "⚠️ 4 near the limit" in summary
    comment = (tmp_path / "checkout" / "wacost.md").read_text(encoding="utf-8")
    assert comment == summary
    assert (
        (tmp_path / "checkout" / "wacost.html")
        .read_text(encoding="utf-8")
        .startswith("<!doctype html>")
    )


def test_workflow_fails_the_pull_request_over_budget(github, tmp_path):
    codes = _run_workflow(tmp_path, {**SAMPLE_INPUTS, "WACOST_BUDGET": "1000"})
    assert codes == [1, 0]  # the estimate step fails the check; the HTML step reports, not fails
    summary = (tmp_path / "step-summary.md").read_text(encoding="utf-8")
    assert "❌ **1 over limit** (total)" in summary
    assert (tmp_path / "checkout" / "wacost.md").exists()  # so the comment step can explain


def test_workflow_fails_on_a_broken_policy(github, tmp_path):
    bad = tmp_path / "bad-policy.yaml"
    bad.write_text("categories:\n  promotions: 10\n", encoding="utf-8")
    codes = _run_workflow(tmp_path, {**SAMPLE_INPUTS, "POLICY": str(bad)})
    assert codes == [2, None]  # no report, so the HTML step is skipped
    assert not (tmp_path / "checkout" / "wacost.md").exists()


def test_ci_runs_the_readme_test_command_with_the_lint():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = 'python3 -m pip install -e ".[dev]" && scripts/lint.sh && python3 -m pytest'
    assert command in readme
    assert command in ci.splitlines()


def test_the_package_is_typed():
    import wacost

    assert (Path(wacost.__file__).parent / "py.typed").is_file()
