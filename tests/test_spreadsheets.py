"""Campaign files as campaign managers export them from spreadsheets (issue 13).

National numbers with a country column, blank rows, template names and languages as people
write them, and the rejects file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SAMPLES, write
from hypothesis import given, settings
from hypothesis import strategies as st

TEMPLATES = SAMPLES / "templates.json"
DATE = "2026-11-25"


def _json_run(wacost: Any, campaign: Path, *extra: str) -> Any:
    """The JSON estimate of `campaign` with the sample templates on DATE."""
    return wacost(
        "estimate", campaign, "--templates", TEMPLATES, "--date", DATE, "--format", "json", *extra
    )


def test_national_numbers_price_in_their_rows_country(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone;template;country\n"
        "(21) 98765-4321;spring_sale;BR\n"
        "0151 23456789;spring_sale;DE\n"
        "098765 12345;spring_sale;IN\n",
    )
    run = _json_run(wacost, campaign)
    assert run.exit_code == 0, run.stderr
    report = run.json()
    markets = {m["market"]: m["messages"] for m in report["by_market"]}
    assert markets == {"Brazil": 1, "Germany": 1, "India": 1}
    assert not [w for w in report["warnings"] if w["code"] == "invalid_phone"]
    # --default-country is the fallback only: the row's own country wins
    run = _json_run(wacost, campaign, "--default-country", "BR")
    assert {m["market"]: m["messages"] for m in run.json()["by_market"]} == markets


def test_default_country_does_not_take_another_countrys_number(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone,template\n(21) 98765-4321,spring_sale\n0151 23456789,spring_sale\n",
    )
    run = _json_run(wacost, campaign, "--default-country", "BR")
    report = run.json()
    assert [(m["market"], m["messages"]) for m in report["by_market"]] == [("Brazil", 1)]
    invalid = [w for w in report["warnings"] if w["code"] == "invalid_phone"]
    assert invalid[0]["count"] == 1 and invalid[0]["example"].endswith(":3")


def test_lookup_checks_national_numbers_against_the_country(wacost: Any) -> None:
    run = wacost(
        "lookup", "0151 23456789", "(21) 98765-4321", "--default-country", "BR", "--format", "json"
    )
    assert run.exit_code == 0
    german, brazilian = run.json()
    assert german["valid"] is False and german["e164"] is None
    assert brazilian["e164"] == "+5521987654321" and brazilian["market"] == "Brazil"
    run = wacost("lookup", "0151 23456789", "--default-country", "DE", "--format", "json")
    assert run.json()[0]["e164"] == "+4915123456789"


def test_number_of_another_country_than_its_row_is_warned(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone;template;country\n+4915123456789;spring_sale;BR\n(21) 98765-4321;spring_sale;BR\n",
    )
    run = _json_run(wacost, campaign)
    report = run.json()
    # billed by the number, as Meta bills; warned
    assert {m["market"] for m in report["by_market"]} == {"Germany", "Brazil"}
    mismatch = [w for w in report["warnings"] if w["code"] == "country_mismatch"]
    assert mismatch and mismatch[0]["count"] == 1 and mismatch[0]["example"].endswith(":2")


def test_invalid_national_number_says_how_to_fix_it(wacost: Any, tmp_path: Path) -> None:
    campaign = write(tmp_path / "export.csv", "phone,template\n070-123 45 67,spring_sale\n")
    run = _json_run(wacost, campaign)
    invalid = next(w for w in run.json()["warnings"] if w["code"] == "invalid_phone")
    assert "--default-country" in invalid["message"] and "country column" in invalid["message"]
    assert "070" not in run.stdout.replace("070-123 45 67", "")  # sanity: no number echoed


def test_excel_blank_rows_are_skipped_not_invalid(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone;template;language;name\n+46701234567;spring_sale;;Ann\n;;;\n;;;\n"
        "+46701234568;spring_sale;;Bo\n",
    )
    run = _json_run(wacost, campaign)
    report = run.json()
    assert report["totals"]["messages"] == 2
    assert not [w for w in report["warnings"] if w["code"] == "invalid_phone"]
    notice = next(n for n in report["notices"] if n["code"] == "empty_row")
    assert notice["count"] == 2


def _reference_lines(text: str, skip: int) -> list[int]:
    """Each row's first line, by Python's csv module (blank lines are no rows)."""
    import csv
    import io

    lines = text.splitlines(keepends=True)
    rest = "".join(lines[skip:])
    reader = csv.reader(io.StringIO(rest, newline=""))
    result = []
    before = 0
    for row in reader:
        if row:  # csv yields [] for a blank line
            result.append(skip + before + 1)
        before = reader.line_num
    return result


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(["", "a", "+46701234567", "x y"]),
                # a quote inside an unquoted field, or after a quoted part: a character
                st.sampled_from(['5" x', '12"', 'a"b"c', '"ab"c"', '"a""b" x"']),
                st.text(alphabet='ab\n\r",; ', max_size=6).map(
                    lambda t: '"' + t.replace('"', '""') + '"'
                ),
            ),
            min_size=2,
            max_size=2,
        ).map(",".join)
        | st.sampled_from(["", ""]),
        max_size=30,
    ),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    chunk=st.sampled_from([1, 2, 3, 7, 64]),
)
def test_row_lines_match_the_csv_module(
    rows: list[str], newline: str, chunk: int, tmp_path_factory: Any
) -> None:
    import numpy as np

    import wacost.lines as lines_module

    text = "phone,template" + newline + newline.join(rows) + newline
    path = tmp_path_factory.mktemp("lines") / "f.csv"
    path.write_bytes(text.encode())
    expected = _reference_lines(text.replace("\r\n", "\n").replace("\r", "\n"), 1)
    old = lines_module._CHUNK
    lines_module._CHUNK = chunk
    try:
        found = lines_module.row_lines(path, "utf-8", 1, np.arange(len(expected)))
    finally:
        lines_module._CHUNK = old
    assert found.tolist() == expected
    # a stream read once learns the same lines from the same chunks, and forgets rows behind
    stream = lines_module.StreamLines("utf-8", 1, ",")
    data = text.encode()
    for at in range(0, len(data), chunk):
        stream.feed(data[at : at + chunk])
    stream.feed(b"")
    counted = np.arange(len(expected)) + 2  # one line a row after the header
    assert stream.true_lines(counted).tolist() == expected
    if expected:
        half = len(expected) // 2
        stream.forget(int(counted[half]))
        assert stream.true_lines(counted[half:]).tolist() == expected[half:]
    # and the reader wacost counts with sees the same rows
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        path, read_options=pacsv.ReadOptions(skip_rows=1, column_names=["a", "b"])
    )
    assert table.num_rows == len(expected)


MESSY = (
    "phone;template;language;country;name\n"
    "(21) 98765-4321;spring_sale;pt-BR;BR;Ana\n"
    "\n"
    "0151 23456789;Spring_Sale;de;DE;Jo\n"
    ";;;;\n"
    # a quoted line break in a column wacost does not read (one in the phone column is refused
    # as a possible unclosed quote, issue 14)
    '+91 98765 12345;spring_sale;es;IN;"Raj\nKumar"\n'
    "+4915123456789;spring_sale;;BR;X\n"
    "12;spring_sale;;;Y\n"
    "+4915123456780;sprng_sale;;;Z\n"
    ";;;XX;Q\n"
    "+5521987654321;spring_sale;es;;W\n"
)


def test_rejects_lists_every_bad_row_with_its_true_line(wacost: Any, tmp_path: Path) -> None:
    import csv

    campaign = write(tmp_path / "messy.csv", MESSY)
    target = tmp_path / "rejects.csv"
    run = wacost(
        "estimate",
        campaign,
        "--templates",
        TEMPLATES,
        "--date",
        DATE,
        "--rejects",
        target,
        "--format",
        "json",
    )
    assert run.exit_code == 0, run.stderr
    assert "98765" not in run.stderr and "4915123456789" not in run.stderr
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    found = {(int(r["line"]), r["reason"]) for r in rows}
    assert found == {
        (4, "template_name_case"),
        (6, "unknown_language"),  # a quoted line break in its name: starts on line 6
        (8, "country_mismatch"),
        (9, "invalid_phone"),
        (10, "unknown_template"),
        (11, "invalid_country"),
        (12, "unknown_language"),
    }
    assert f"{len(rows)} rows not priced as written" in run.stderr
    # the row as written comes back, every field, so it can be fixed in place
    name_case = next(r for r in rows if r["reason"] == "template_name_case")
    assert (name_case["phone"], name_case["template"], name_case["name"]) == (
        "0151 23456789",
        "Spring_Sale",
        "Jo",
    )
    assert next(r for r in rows if r["reason"] == "unknown_template")["detail"] == (
        "did you mean 'spring_sale'?"
    )
    # the report's examples carry the same true lines
    examples = {w["code"]: w["example"] for w in run.json()["warnings"]}
    assert examples["invalid_phone"].endswith(":9")  # after a blank line and a quoted break
    assert examples["unknown_language"].endswith(":6") or examples["unknown_language"].endswith(
        ":12"
    )
    assert not list(tmp_path.glob(".*.tmp"))


def test_rejects_file_is_not_written_on_bad_input(wacost: Any, tmp_path: Path) -> None:
    campaign = write(tmp_path / "bad.csv", "phone,count\n+46701234567,lots\n")
    target = tmp_path / "rejects.csv"
    run = wacost("estimate", campaign, "--rejects", target)
    assert run.exit_code == 2
    assert not target.exists() and not list(tmp_path.glob(".*.tmp"))


def test_rejects_onto_a_fifo_a_full_disk_or_an_input(
    wacost: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """--rejects replaced a FIFO (or, as root, a device such as /dev/full) with a regular file
    where --output writes into it; a full disk was 'internal error: OSError'; and --rejects
    naming an input was reported as --output."""
    import errno
    import os
    import stat

    from wacost import rejects

    campaign = write(tmp_path / "messy.csv", MESSY)
    fifo = tmp_path / "rejects.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the writer's open does not block
    try:
        run = wacost("estimate", campaign, "--date", DATE, "--rejects", fifo, "-q")
        assert run.exit_code == 0, run.stderr
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert os.read(reader, 65536).startswith(b"file;line;reason;detail;")
    finally:
        os.close(reader)

    class Full:
        def writerow(self, row: Any) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rejects.csv, "writer", lambda *args, **kwargs: Full())
    target = tmp_path / "rejects.csv"
    run = wacost("estimate", campaign, "--date", DATE, "--rejects", target, "-q")
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        f"wacost: error: --rejects {target}: cannot write (No space left on device) "
        "(check the path)"
    ]
    assert not target.exists() and not list(tmp_path.glob(".*.tmp"))
    run = wacost("estimate", campaign, "--date", DATE, "--rejects", campaign)
    assert run.exit_code == 2 and f"--rejects {campaign}: is the input" in run.stderr


def test_template_names_and_languages_as_meta_matches_them(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "t.csv",
        "phone,template,language\n"
        "+46701234567,Order_Shipped,pt-br\n"
        "+46701234568,order_shipped,es\n"
        "+46701234569,order_shiped,en_US\n",
    )
    run = _json_run(wacost, campaign)
    report = run.json()
    warnings = {w["code"]: w for w in report["warnings"]}
    assert "'order_shipped'" in warnings["template_name_case"]["message"]
    assert "es" in warnings["unknown_language"]["message"]
    assert "en_US, pt_BR" in warnings["unknown_language"]["message"]
    assert "did you mean 'order_shipped'?" in warnings["unknown_template"]["message"]
    templates = {(t["template"], t["language"], t["category"]) for t in report["by_template"]}
    # the wrongly cased name is priced as the template it means, in Meta's spelling of pt-br
    assert ("order_shipped", "pt_BR", "utility") in templates
    assert ("order_shiped", "en_US", "marketing") in templates


def test_xlsx_workbook_holds_real_numbers(wacost: Any, tmp_path: Path) -> None:
    from decimal import Decimal

    import openpyxl

    target = tmp_path / "report.xlsx"
    run = wacost(
        "estimate",
        SAMPLES / "campaign.csv",
        "--templates",
        TEMPLATES,
        "--date",
        DATE,
        "--format",
        "xlsx",
        "-o",
        target,
    )
    assert run.exit_code == 0, run.stderr
    report = wacost(
        "estimate",
        SAMPLES / "campaign.csv",
        "--templates",
        TEMPLATES,
        "--date",
        DATE,
        "--format",
        "json",
    ).json()
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[:5] == ["Summary", "Categories", "Markets", "Templates", "Lines"]
    assert "Warnings" in book.sheetnames
    markets = book["Markets"]
    header = [c.value for c in markets[1]]
    assert header[:4] == ["market", "messages", "billable_messages", "cost"]
    rows = list(markets.iter_rows(min_row=2, values_only=False))
    assert len(rows) == len(report["by_market"])
    for cells, expected in zip(rows, report["by_market"]):
        name, messages, _, cost = cells[:4]
        assert name.value == expected["market"]
        assert isinstance(messages.value, int) and messages.value == expected["messages"]
        assert isinstance(cost.value, (int, float)) and cost.data_type == "n"
        assert Decimal(str(cost.value)) == Decimal(expected["cost"])
        assert "USD" in cost.number_format and "#,##0" in cost.number_format
    warnings = [c.value for c in book["Warnings"]["A"][1:]]
    assert warnings == [w["code"] for w in report["warnings"]]
    # without --format, -o's suffix chooses the workbook
    again = tmp_path / "again.xlsx"
    wacost(
        "estimate",
        SAMPLES / "campaign.csv",
        "--templates",
        TEMPLATES,
        "--date",
        DATE,
        "-o",
        again,
    )
    assert openpyxl.load_workbook(again).sheetnames == book.sheetnames


def test_output_suffix_chooses_the_format(wacost: Any, tmp_path: Path) -> None:
    import json

    args = ("estimate", SAMPLES / "campaign.csv", "--templates", TEMPLATES, "--date", DATE)
    for suffix, check in [
        (".html", lambda t: t.startswith("<!doctype html>")),
        (".json", lambda t: json.loads(t)["schema"] == "wacost.estimate/1"),
        (".csv", lambda t: t.startswith("section,")),
        (".md", lambda t: "## WhatsApp campaign cost estimate" in t),
        (".txt", lambda t: t.startswith("Estimated cost")),
    ]:
        target = tmp_path / f"report{suffix}"
        assert wacost(*args, "-o", target).exit_code == 0
        assert check(target.read_text(encoding="utf-8")), suffix
    # an explicit --format wins over the suffix
    target = tmp_path / "report.html"
    wacost(*args, "--format", "json", "-o", target)
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == "wacost.estimate/1"


def test_rejects_of_an_input_it_cannot_list_is_refused_first(wacost: Any, tmp_path: Path) -> None:
    """--rejects writes rows as read from a plain CSV: Parquet, compressed files and standard
    input are refused before the run, in one line, with nothing written."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = "phone,template\n+46701234567,spring_sale\n"
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"phone": ["+46701234567"], "template": ["spring_sale"]}), parquet)
    packed = tmp_path / "c.csv.gz"
    packed.write_bytes(gzip.compress(plain.encode()))
    for campaign, kind in ((parquet, "Parquet"), (packed, "compressed")):
        target = tmp_path / "rejects.csv"
        report = tmp_path / "report.json"
        run = wacost("estimate", campaign, "--rejects", target, "-o", report)
        assert run.exit_code == 2, run.stderr
        assert f"--rejects lists the rows of plain CSV files; {campaign} is {kind}" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
        assert not target.exists() and not report.exists()
    run = wacost("estimate", "-", "--rejects", tmp_path / "r.csv")
    assert run.exit_code == 2 and "standard input (read once)" in run.stderr
